import { apiErrors } from './api-error.js';
import { ROOT_TYPES } from './schema/go-types.generated.js';
import { type GoField, type GoType, structFields } from './schema/go-types.js';

/**
 * Decodes the Kubernetes protobuf bodies clients send (kubectl's `create <generator>`, client-go's typed clients):
 * the `k8s\0` envelope (runtime.Unknown: typeMeta, raw) around any built-in kind the sandbox serves, or
 * DeleteOptions, into the JSON the same object would have been sent as. Field numbers and types come from the Go
 * types (schema/go-types.ts, the `protobuf:` tags of k8s.io/api). Scalars of non-pointer fields, which protobuf
 * writes even when zero, are left out as JSON's omitempty would; the decoded object then takes every JSON write's
 * path (defaulting, validation, the Go shape).
 */
export const PROTOBUF = 'application/vnd.kubernetes.protobuf';

/** One field of a protobuf message: its number, wire type, and a varint's value or the bytes of the others. */
export type ProtobufField = { no: number; wire: number; value: bigint | Buffer };
type Field = ProtobufField;

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

/** The fields of one protobuf message, in order (a malformed body is a 400, as kube-apiserver answers). */
export function protobufFields(buf: Buffer): Field[] {
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
      if (end > buf.length) throw apiErrors.badRequest('truncated protobuf body');
      out.push({ no, wire, value: buf.subarray(p2, end) });
      pos = end;
    } else if (wire === 1) {
      out.push({ no, wire, value: buf.subarray(p1, p1 + 8) });
      pos = p1 + 8;
    } else if (wire === 5) {
      out.push({ no, wire, value: buf.subarray(p1, p1 + 4) });
      pos = p1 + 4;
    } else throw apiErrors.badRequest(`unsupported protobuf wire type ${wire}`);
  }
  return out;
}

const bytesOf = (f: Field) => (Buffer.isBuffer(f.value) ? f.value : Buffer.alloc(0));
const intOf = (f: Field) => (typeof f.value === 'bigint' ? Number(BigInt.asIntN(64, f.value)) : 0);

/** Go's time.Duration.String() of nanoseconds (metav1.Duration's JSON) */
function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  let rest = Math.abs(ns);
  if (rest < 1e9) {
    if (rest < 1e3) return `${sign}${rest}ns`;
    if (rest < 1e6) return `${sign}${rest / 1e3}µs`;
    return `${sign}${rest / 1e6}ms`;
  }
  const h = Math.floor(rest / 3.6e12);
  rest -= h * 3.6e12;
  const m = Math.floor(rest / 6e10);
  rest -= m * 6e10;
  const s = rest / 1e9;
  return `${sign}${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}

function timestamp(buf: Buffer, micro: boolean): string | undefined {
  const fs = protobufFields(buf);
  const seconds = intOf(fs.find((f) => f.no === 1) ?? { no: 0, wire: 0, value: 0n });
  const nanos = intOf(fs.find((f) => f.no === 2) ?? { no: 0, wire: 0, value: 0n });
  // Go's zero time, and an empty Timestamp (metav1.Time.Unmarshal reads 0/0 as zero too)
  if ((seconds === -62135596800 || seconds === 0) && nanos === 0) return undefined;
  const base = new Date(seconds * 1000).toISOString().slice(0, 19);
  return micro ? `${base}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${base}Z`;
}

/** one wire value of a field of scalar or special type */
function special(name: string, f: Field): unknown {
  switch (name) {
    case 'string':
      return bytesOf(f).toString('utf8');
    case 'bytes':
      return bytesOf(f).toString('base64');
    case 'bool':
      return f.value !== 0n;
    case 'int32':
    case 'int64':
      return intOf(f);
    case 'float64':
      return f.wire === 1 ? bytesOf(f).readDoubleLE(0) : f.wire === 5 ? bytesOf(f).readFloatLE(0) : intOf(f);
    case 'time':
    case 'microtime':
      return timestamp(bytesOf(f), name === 'microtime');
    case 'duration': {
      const d = protobufFields(bytesOf(f)).find((x) => x.no === 1);
      return goDuration(d ? intOf(d) : 0);
    }
    case 'intstr': {
      const fs = protobufFields(bytesOf(f));
      const type = intOf(fs.find((x) => x.no === 1) ?? { no: 0, wire: 0, value: 0n });
      const s = fs.find((x) => x.no === 3);
      const i = fs.find((x) => x.no === 2);
      return type === 1 ? (s ? bytesOf(s).toString('utf8') : '') : i ? intOf(i) : 0;
    }
    case 'quantity': {
      const s = protobufFields(bytesOf(f)).find((x) => x.no === 1);
      return s ? bytesOf(s).toString('utf8') : '0';
    }
    case 'raw':
    case 'fieldsv1': {
      const raw = protobufFields(bytesOf(f)).find((x) => x.no === 1);
      if (!raw || bytesOf(raw).length === 0) return undefined;
      try {
        return JSON.parse(bytesOf(raw).toString('utf8'));
      } catch {
        throw apiErrors.badRequest('the embedded JSON of a protobuf body could not be decoded');
      }
    }
    default:
      return undefined;
  }
}

function value(t: GoType, f: Field): unknown {
  if (t.k === 'ptr') return value(t.of, f);
  if (t.k === 'struct') return message(t.name, bytesOf(f));
  if (t.k === 'scalar') return special(t.name, f);
  return undefined;
}

/** zero scalars of non-pointer fields are what protobuf writes for "unset": left out, as JSON's omitempty does */
const isZero = (v: unknown) => v === '' || v === 0 || v === false;

function message(structName: string, buf: Buffer): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const byNumber = new Map<number, GoField>(structFields(structName).map((f) => [f.proto, f]));
  for (const f of protobufFields(buf)) {
    const field = byNumber.get(f.no);
    if (!field) continue; // a field the type does not have (a newer client's): dropped, as Go's decoder does
    const t = field.type;
    if (field.inline) {
      const inner = t.k === 'ptr' ? t.of : t;
      if (inner.k === 'struct') Object.assign(out, message(inner.name, bytesOf(f)));
      continue;
    }
    if (t.k === 'list') {
      out[field.json] ??= [];
      const items = out[field.json] as unknown[];
      const elem = t.of;
      // a packed repeated scalar: several varints in one length-delimited field
      if (elem.k === 'scalar' && f.wire === 2 && ['int32', 'int64', 'bool'].includes(elem.name)) {
        const packed = bytesOf(f);
        for (let pos = 0; pos < packed.length; ) {
          const [v, next] = readVarint(packed, pos);
          items.push(special(elem.name, { no: f.no, wire: 0, value: v }));
          pos = next;
        }
      } else items.push(value(elem, f));
      continue;
    }
    if (t.k === 'map') {
      const entry = protobufFields(bytesOf(f));
      const k = entry.find((x) => x.no === 1);
      const v = entry.find((x) => x.no === 2);
      out[field.json] ??= {};
      const map = out[field.json] as Record<string, unknown>;
      map[k ? bytesOf(k).toString('utf8') : ''] = v
        ? value(t.of, v)
        : t.of.k === 'struct'
          ? {}
          : zeroOf(t.of);
      continue;
    }
    const decoded = value(t, f);
    if (decoded === undefined) continue;
    if (t.k === 'scalar' && isZero(decoded) && !['intstr', 'quantity'].includes(t.name)) continue;
    out[field.json] = decoded;
  }
  return out;
}

function zeroOf(t: GoType): unknown {
  if (t.k === 'scalar') return t.name === 'bool' ? false : t.name === 'string' || t.name === 'bytes' ? '' : 0;
  return null;
}

/** The envelope's object as JSON: apiVersion and kind from the envelope, the fields from its Go type. */
export function decodeProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || body.subarray(0, 4).toString('latin1') !== 'k8s\0')
    throw apiErrors.badRequest('protobuf body without the k8s envelope');
  const unknown = protobufFields(body.subarray(4));
  const typeMeta = unknown.find((f) => f.no === 1);
  const raw = unknown.find((f) => f.no === 2);
  const tm = typeMeta ? protobufFields(bytesOf(typeMeta)) : [];
  const apiVersionField = tm.find((f) => f.no === 1);
  const kindField = tm.find((f) => f.no === 2);
  const apiVersion = apiVersionField ? bytesOf(apiVersionField).toString('utf8') : '';
  const kind = kindField ? bytesOf(kindField).toString('utf8') : '';
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const root =
    kind === 'DeleteOptions' ? ROOT_TYPES['meta.k8s.io/DeleteOptions'] : ROOT_TYPES[`${group}/${kind}`];
  if (!root) throw apiErrors.unsupportedMediaType();
  const obj = message(root, raw ? bytesOf(raw) : Buffer.alloc(0));
  return kind === 'DeleteOptions' ? obj : { apiVersion, kind, ...obj };
}
