import { apiErrors } from './api-error.js';

/**
 * Decodes the few Kubernetes protobuf bodies kubectl sends (`kubectl create ns|secret|configmap`):
 * the `k8s\0` envelope (runtime.Unknown) around a Namespace, Secret, ConfigMap or DeleteOptions.
 */
export const PROTOBUF = 'application/vnd.kubernetes.protobuf';

type Field = { no: number; wire: number; value: bigint | Buffer };

function readVarint(buf: Buffer, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= buf.length) throw apiErrors.badRequest('truncated protobuf body');
    const b = buf[pos++]!;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7n;
  }
}

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [tag, p1] = readVarint(buf, pos);
    const no = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (wire === 0) {
      const [v, p2] = readVarint(buf, p1);
      out.push({ no, wire, value: v });
      pos = p2;
    } else if (wire === 2) {
      const [len, p2] = readVarint(buf, p1);
      const end = p2 + Number(len);
      out.push({ no, wire, value: buf.subarray(p2, end) });
      pos = end;
    } else if (wire === 1) pos = p1 + 8;
    else if (wire === 5) pos = p1 + 4;
    else throw apiErrors.badRequest(`unsupported protobuf wire type ${wire}`);
  }
  return out;
}

const str = (f: Field) => (f.value as Buffer).toString('utf8');
const bytes = (f: Field) => f.value as Buffer;

function map(fs: Field[], no: number, value: (f: Field) => string): Record<string, string> | undefined {
  const entries = fs.filter((f) => f.no === no);
  if (entries.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const e of entries) {
    const kv = fields(bytes(e));
    const k = kv.find((f) => f.no === 1);
    const v = kv.find((f) => f.no === 2);
    out[k ? str(k) : ''] = v ? value(v) : '';
  }
  return out;
}

function objectMeta(buf: Buffer): Record<string, unknown> {
  const fs = fields(buf);
  const meta: Record<string, unknown> = {};
  const s = (no: number, key: string) => {
    const f = fs.find((x) => x.no === no);
    if (f && str(f) !== '') meta[key] = str(f);
  };
  s(1, 'name');
  s(2, 'generateName');
  s(3, 'namespace');
  s(5, 'uid');
  s(6, 'resourceVersion');
  const labels = map(fs, 11, str);
  if (labels) meta.labels = labels;
  const annotations = map(fs, 12, str);
  if (annotations) meta.annotations = annotations;
  const finalizers = fs.filter((f) => f.no === 14).map(str);
  if (finalizers.length) meta.finalizers = finalizers;
  return meta;
}

function typed(kind: string, apiVersion: string, raw: Buffer): Record<string, unknown> {
  const fs = fields(raw);
  const metaField = fs.find((f) => f.no === 1);
  const obj: Record<string, unknown> = {
    apiVersion,
    kind,
    metadata: metaField ? objectMeta(bytes(metaField)) : {},
  };
  const b64 = (f: Field) => bytes(f).toString('base64');
  const bool = (no: number) => fs.find((f) => f.no === no && f.wire === 0);
  switch (kind) {
    case 'Namespace': {
      const spec = fs.find((f) => f.no === 2);
      if (spec)
        obj.spec = {
          finalizers: fields(bytes(spec))
            .filter((f) => f.no === 1)
            .map(str),
        };
      return obj;
    }
    case 'Secret': {
      const data = map(fs, 2, b64);
      if (data) obj.data = data;
      const type = fs.find((f) => f.no === 3);
      if (type) obj.type = str(type);
      const stringData = map(fs, 4, str);
      if (stringData) obj.stringData = stringData;
      const imm = bool(5);
      if (imm) obj.immutable = imm.value !== 0n;
      return obj;
    }
    case 'ConfigMap': {
      const data = map(fs, 2, str);
      if (data) obj.data = data;
      const binary = map(fs, 3, b64);
      if (binary) obj.binaryData = binary;
      const imm = bool(4);
      if (imm) obj.immutable = imm.value !== 0n;
      return obj;
    }
    case 'DeleteOptions':
      return {};
    default:
      throw apiErrors.unsupportedMediaType(`${PROTOBUF} (kind ${kind})`);
  }
}

export function decodeProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || body.subarray(0, 4).toString('latin1') !== 'k8s\0')
    throw apiErrors.badRequest('protobuf body without the k8s envelope');
  const unknown = fields(body.subarray(4));
  const typeMeta = unknown.find((f) => f.no === 1);
  const raw = unknown.find((f) => f.no === 2);
  const tm = typeMeta ? fields(bytes(typeMeta)) : [];
  const apiVersion = tm.find((f) => f.no === 1);
  const kind = tm.find((f) => f.no === 2);
  return typed(kind ? str(kind) : '', apiVersion ? str(apiVersion) : '', raw ? bytes(raw) : Buffer.alloc(0));
}
