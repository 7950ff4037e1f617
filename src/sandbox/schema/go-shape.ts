import { type GoField, type GoType, kindStruct, structFields } from './go-types.js';

/**
 * A built-in object as the real server holds and writes it: decoded into its Go struct and encoded back
 * (encoding/json). Fields the type lacks are gone; a non-pointer struct is always there (`"status": {}`), a field
 * without `omitempty` always too (its zero: `""`, `0`, `false`, `null` for nil lists, maps, pointers and zero
 * times); an `omitempty` field with its zero value is left out (`"data": {}` is not stored); times are written in
 * UTC, metav1.Time to the second, MicroTime to the microsecond; []byte as standard base64.
 *
 * Applied after defaulting (the sandbox defaults JSON where the real server defaults Go values), before validation,
 * the field manager and storage. Quantities and durations keep the form they were sent in (the real server
 * canonicalises them: `1000m` becomes `1`).
 */
const OMIT = Symbol('omit');
type Out = unknown | typeof OMIT;

const STRUCT_LIKE = new Set(['intstr', 'quantity', 'duration', 'raw', 'fieldsv1']);

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/i;

/** UTC `YYYY-MM-DDTHH:MM:SS` and the fraction digits of an RFC 3339 time, or undefined when it does not parse */
function utcParts(v: string): { seconds: string; fraction: string } | undefined {
  const m = RFC3339.exec(v);
  if (!m) return undefined;
  const zone = m[3]!.toUpperCase();
  let seconds = m[1]!;
  if (zone !== 'Z') {
    const d = new Date(`${m[1]}${zone}`);
    if (Number.isNaN(d.getTime())) return undefined;
    seconds = d.toISOString().slice(0, 19);
  }
  return { seconds, fraction: (m[2] ?? '.').slice(1) };
}

function encodeTime(v: unknown, micro: boolean): unknown {
  if (typeof v !== 'string' || v === '') return null;
  const p = utcParts(v);
  if (!p) return v;
  if (p.seconds === '0001-01-01T00:00:00' && /^0*$/.test(p.fraction)) return null; // the zero time
  return micro ? `${p.seconds}.${p.fraction.padEnd(6, '0').slice(0, 6)}Z` : `${p.seconds}Z`;
}

function zeroScalar(name: string): unknown {
  switch (name) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'int32':
    case 'int64':
    case 'float64':
    case 'intstr':
      return 0;
    case 'quantity':
      return '0';
    case 'duration':
      return '0s';
    default:
      return null;
  }
}

function isZeroScalar(name: string, v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (name === 'string' || name === 'bytes') return v === '';
  if (name === 'bool') return v === false;
  if (name === 'int32' || name === 'int64' || name === 'float64') return v === 0;
  return false;
}

/** A value of type `t` (from a body: absent or null is Go's zero) → its encoding, or OMIT under omitempty. */
function encode(t: GoType, v: unknown, omitempty: boolean): Out {
  switch (t.k) {
    case 'ptr':
      if (v === undefined || v === null) return omitempty ? OMIT : null;
      return encodeValue(t.of, v);
    case 'list':
    case 'map': {
      const empty =
        v === undefined ||
        v === null ||
        (Array.isArray(v) ? v.length === 0 : isObj(v) && Object.keys(v).length === 0);
      if (empty && omitempty) return OMIT;
      if (v === undefined || v === null) return null;
      return encodeValue(t, v);
    }
    case 'struct':
      return encodeStruct(t.name, isObj(v) ? v : {});
    default:
      if (t.name === 'time' || t.name === 'microtime') return encodeTime(v, t.name === 'microtime');
      // the other specials are structs with their own JSON form: never "empty" to encoding/json
      if (STRUCT_LIKE.has(t.name)) return v === undefined || v === null ? zeroScalar(t.name) : v;
      if (omitempty && isZeroScalar(t.name, v)) return OMIT;
      if (v === undefined || v === null) return zeroScalar(t.name);
      if (t.name === 'bytes' && typeof v === 'string') return Buffer.from(v, 'base64').toString('base64');
      return v;
  }
}

/** a value that is there (a list item, a map value, a pointer's target): never omitted */
function encodeValue(t: GoType, v: unknown): unknown {
  if (t.k === 'list') return Array.isArray(v) ? v.map((x) => encodeValue(t.of, x)) : v;
  // encoding/json writes a map's keys sorted
  if (t.k === 'map')
    return isObj(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, encodeValue(t.of, v[k])]),
        )
      : v;
  const out = encode(t, v, false);
  return out === OMIT ? null : out;
}

function encodeFields(fields: GoField[], v: Record<string, unknown>, out: Record<string, unknown>): void {
  for (const f of fields) {
    if (f.inline) {
      const inner = f.type.k === 'ptr' ? f.type.of : f.type;
      if (inner.k === 'struct') encodeFields(structFields(inner.name), v, out);
      continue;
    }
    const e = encode(f.type, v[f.json], f.omitempty);
    if (e === OMIT || (f.omitzero && (e === null || e === '' || e === 0 || e === false))) continue;
    out[f.json] = e;
  }
}

function encodeStruct(name: string, v: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  encodeFields(structFields(name), v, out);
  return out;
}

/**
 * The object encoded as its Go type (apiVersion and kind first, as TypeMeta is); objects of kinds the schema does not
 * hold (custom resources) are returned as they are.
 */
export function goShaped<T extends { apiVersion?: unknown; kind?: unknown }>(
  def: { group: string; kind: string; crdName?: string },
  obj: T,
): T {
  const root = kindStruct(def);
  if (!root) return obj;
  const body = encodeStruct(root, obj as Record<string, unknown>);
  return {
    ...(obj.kind !== undefined ? { kind: obj.kind } : {}),
    ...(obj.apiVersion !== undefined ? { apiVersion: obj.apiVersion } : {}),
    ...body,
  } as unknown as T;
}

/** The zero value of a kind (objectCreater.New encoded): every non-pointer struct and non-omitempty field present. */
export function goZero(def: {
  group: string;
  kind: string;
  crdName?: string;
}): Record<string, unknown> | undefined {
  const root = kindStruct(def);
  return root ? encodeStruct(root, {}) : undefined;
}

/**
 * A custom resource's metadata as the real server keeps it: decoded into ObjectMeta and encoded back
 * (apiextensions schemaobjectmeta Coerce / SetObjectMeta), so unknown and null fields are gone.
 */
export function goShapedMeta(meta: Record<string, unknown>): Record<string, unknown> {
  return encodeStruct('meta.v1.ObjectMeta', meta);
}
