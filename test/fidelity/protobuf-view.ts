import { PROTOBUF, type ProtobufField, protobufFields } from '../../src/sandbox/protobuf.js';

/**
 * What the catalogue compares of a protobuf answer (kubectl's `Accept: application/vnd.kubernetes.protobuf,
 * application/json`): the `k8s\0` envelope's apiVersion/kind, a Status in full, and of an object or list only the
 * metadata every kind carries at field 1 (ObjectMeta / ListMeta) and the items' metadata. A JSON answer to the same
 * request is projected the same way (projectLikeProtobuf), so a server answering JSON where the client also accepts
 * JSON is compared on what both carry.
 */
export { PROTOBUF };

type Field = ProtobufField;
const fields = protobufFields;

const one = (fs: Field[], no: number) => fs.find((f) => f.no === no);
const str = (f: Field | undefined) => (f ? (f.value as Buffer).toString('utf8') : undefined);
const num = (f: Field | undefined) => (f ? Number(f.value as bigint) : undefined);
const sub = (f: Field | undefined) => (f ? fields(f.value as Buffer) : []);

function strMap(fs: Field[], no: number): Record<string, string> | undefined {
  const entries = fs.filter((f) => f.no === no);
  if (entries.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const e of entries) {
    const kv = sub(e);
    out[str(one(kv, 1)) ?? ''] = str(one(kv, 2)) ?? '';
  }
  return out;
}

function time(f: Field | undefined): string | undefined {
  if (!f) return undefined;
  const seconds = num(one(sub(f), 1)) ?? 0;
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** protobuf has no "absent" for empty values: an empty string, 0 or empty list is left out on both sides */
function compact(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(o).filter(
      ([, v]) => v !== undefined && v !== '' && v !== 0 && !(Array.isArray(v) && v.length === 0),
    ),
  );
}

function objectMeta(fs: Field[]): Record<string, unknown> {
  return compact({
    name: str(one(fs, 1)),
    generateName: str(one(fs, 2)),
    namespace: str(one(fs, 3)),
    uid: str(one(fs, 5)),
    resourceVersion: str(one(fs, 6)),
    generation: num(one(fs, 7)),
    creationTimestamp: time(one(fs, 8)),
    deletionTimestamp: time(one(fs, 9)),
    labels: strMap(fs, 11),
    annotations: strMap(fs, 12),
    finalizers: fs.filter((f) => f.no === 14).map((f) => str(f)),
  });
}

function listMeta(fs: Field[]): Record<string, unknown> {
  return compact({
    resourceVersion: str(one(fs, 2)),
    continue: str(one(fs, 3)),
    remainingItemCount: num(one(fs, 4)),
  });
}

function status(fs: Field[]): Record<string, unknown> {
  const d = sub(one(fs, 5));
  const causes = d
    .filter((f) => f.no === 4)
    .map((c) => {
      const cf = sub(c);
      return compact({ reason: str(one(cf, 1)), message: str(one(cf, 2)), field: str(one(cf, 3)) });
    });
  const details = compact({
    name: str(one(d, 1)),
    group: str(one(d, 2)),
    kind: str(one(d, 3)),
    uid: str(one(d, 6)),
    causes: causes.length ? causes : undefined,
    retryAfterSeconds: num(one(d, 5)),
  });
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: listMeta(sub(one(fs, 1))),
    ...compact({ status: str(one(fs, 2)), message: str(one(fs, 3)), reason: str(one(fs, 4)) }),
    ...(one(fs, 5) ? { details } : {}),
    code: num(one(fs, 6)),
  };
}

/** The envelope decoded into the compared projection. */
export function decodeProtobufView(bytes: Buffer): unknown {
  if (bytes.subarray(0, 4).toString('latin1') !== 'k8s\0') throw new Error('no k8s protobuf envelope');
  const unknown = fields(bytes.subarray(4));
  const tm = sub(one(unknown, 1));
  const apiVersion = str(one(tm, 1)) ?? '';
  const kind = str(one(tm, 2)) ?? '';
  const raw = sub(one(unknown, 2));
  if (kind === 'Status') return status(raw);
  if (kind.endsWith('List')) {
    return {
      apiVersion,
      kind,
      metadata: listMeta(sub(one(raw, 1))),
      items: raw.filter((f) => f.no === 2).map((f) => ({ metadata: objectMeta(sub(one(sub(f), 1))) })),
    };
  }
  return { apiVersion, kind, metadata: objectMeta(sub(one(raw, 1))) };
}

const META_KEYS = [
  'name',
  'generateName',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'labels',
  'annotations',
  'finalizers',
];

function pick(meta: unknown, keys: string[]): Record<string, unknown> {
  const m = (meta ?? {}) as Record<string, unknown>;
  return compact(Object.fromEntries(keys.map((k) => [k, m[k]])));
}

/** A JSON answer reduced to what a protobuf answer is compared on (a decoded protobuf view stays as it is). */
export function projectLikeProtobuf(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const o = body as Record<string, unknown>;
  if (o.kind === 'Status') return o;
  if (Array.isArray(o.items)) {
    return {
      apiVersion: o.apiVersion,
      kind: o.kind,
      metadata: pick(o.metadata, ['resourceVersion', 'continue', 'remainingItemCount']),
      items: o.items.map((i) => ({ metadata: pick((i as { metadata?: unknown }).metadata, META_KEYS) })),
    };
  }
  return { apiVersion: o.apiVersion, kind: o.kind, metadata: pick(o.metadata, META_KEYS) };
}
