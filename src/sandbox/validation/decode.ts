import { apiErrors } from '../api-error.js';
import type { ResourceDef } from '../resource-registry.js';
import { type GoType, goTypeName, jsonFields, kindStruct } from '../schema/go-types.js';

/**
 * The typed JSON decoding a built-in kind goes through before anything else (sigs.k8s.io/json, a fork of
 * encoding/json, into the Go structs of k8s.io/api): a value of the wrong JSON type is a 400 BadRequest
 * "X in version "v" cannot be handled as a X: <decode error>" (apiserver
 * pkg/endpoints/handlers/rest.go transformDecodeError). Go's wording is kept: `json: cannot unmarshal
 * number into Go struct field ConfigMap.data of type string`, base64's `illegal base64 data at input byte N`,
 * MicroTime's `parsing time ... as "2006-01-02T15:04:05.000000Z07:00"`. Custom resources are unstructured
 * and not checked here (their schema is).
 */
function jsonKind(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

/** encoding/base64 StdEncoding.Decode's CorruptInputError offset (newlines skipped), or undefined when valid. */
export function base64ErrorOffset(s: string): number | undefined {
  const n = s.length;
  const isNl = (c: string | undefined) => c === '\n' || c === '\r';
  let si = 0;
  for (;;) {
    for (let j = 0; j < 4; j++) {
      if (si === n) return j === 0 ? undefined : si - j;
      const c = s[si]!;
      si++;
      if (/[A-Za-z0-9+/]/.test(c)) continue;
      if (isNl(c)) {
        j--;
        continue;
      }
      if (c !== '=' || j < 2) return si - 1;
      if (j === 2) {
        while (si < n && isNl(s[si])) si++;
        if (si === n) return n;
        if (s[si] !== '=') return si - 1;
        si++;
      }
      while (si < n && isNl(s[si])) si++;
      return si < n ? si : undefined;
    }
  }
}

const RFC3339_MICRO = '2006-01-02T15:04:05.000000Z07:00';

/** metav1.MicroTime's time.Parse(RFC3339Micro) error, or undefined when it parses. */
export function microTimeError(v: string): string | undefined {
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$/.test(v)) return undefined;
  const head = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/.exec(v);
  let bad = v;
  // time.Parse names the first element of the layout it could not match: the year, for a value that is no date
  let elem = '2006';
  if (head) {
    const rest = v.slice(head[0].length);
    if (!/^\.\d{6}/.test(rest)) [bad, elem] = [rest, '.000000'];
    else [bad, elem] = [rest.slice(7), 'Z07:00'];
  }
  return `parsing time ${JSON.stringify(v)} as ${JSON.stringify(RFC3339_MICRO)}: cannot parse ${JSON.stringify(bad)} as ${JSON.stringify(elem)}`;
}

const RFC3339 = '2006-01-02T15:04:05Z07:00';

/** metav1.Time's time.Parse(RFC3339) error, or undefined when it parses. */
function timeError(v: string): string | undefined {
  if (v === '' || /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(v)) return undefined;
  const head = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/.exec(v);
  let bad = v;
  let elem = '2006';
  if (head) [bad, elem] = [v.slice(head[0].length), 'Z07:00'];
  return `parsing time ${JSON.stringify(v)} as ${JSON.stringify(RFC3339)}: cannot parse ${JSON.stringify(bad)} as ${JSON.stringify(elem)}`;
}

const QUANTITY = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;

/** First decode error in document order (Go keeps the first), as Go words it; `structName` is the innermost struct. */
function check(v: unknown, t: GoType, structName: string, path: string): string | undefined {
  if (v === null || v === undefined) return undefined;
  const mismatch = (value = jsonKind(v)) =>
    `json: cannot unmarshal ${value} into Go struct field ${structName}.${path} of type ${goTypeName(t)}`;
  switch (t.k) {
    case 'ptr':
      return check(v, t.of, structName, path);
    case 'map':
      if (jsonKind(v) !== 'object') return mismatch();
      for (const item of Object.values(v as object)) {
        const err = check(item, t.of, structName, path);
        if (err) return err;
      }
      return undefined;
    case 'list':
      if (!Array.isArray(v)) return mismatch();
      for (const item of v) {
        const err = check(item, t.of, structName, path);
        if (err) return err;
      }
      return undefined;
    case 'struct': {
      if (jsonKind(v) !== 'object') return mismatch();
      const fields = jsonFields(t.name);
      const name = t.name.slice(t.name.lastIndexOf('.') + 1);
      for (const [k, item] of Object.entries(v as object)) {
        // own keys only: a body key `constructor` or `toString` is not a field of the struct
        const f = fields.get(k);
        if (!f) continue;
        const err = check(item, f.type, name, `${path}.${k}`);
        if (err) return err;
      }
      return undefined;
    }
    default:
      switch (t.name) {
        case 'string':
          return typeof v === 'string' ? undefined : mismatch();
        case 'bool':
          return typeof v === 'boolean' ? undefined : mismatch();
        case 'int32':
        case 'int64': {
          if (typeof v !== 'number') return mismatch();
          const limit = 2 ** (t.name === 'int32' ? 31 : 63);
          return Number.isInteger(v) && v >= -limit && v < limit ? undefined : mismatch(`number ${v}`);
        }
        case 'float64':
          return typeof v === 'number' ? undefined : mismatch();
        case 'bytes': {
          if (typeof v !== 'string') return mismatch();
          const at = base64ErrorOffset(v);
          return at === undefined ? undefined : `illegal base64 data at input byte ${at}`;
        }
        case 'microtime':
          if (typeof v !== 'string')
            return `json: cannot unmarshal ${jsonKind(v)} into Go value of type string`;
          return v === '' ? undefined : microTimeError(v);
        case 'time':
          if (typeof v !== 'string')
            return `json: cannot unmarshal ${jsonKind(v)} into Go value of type string`;
          return timeError(v);
        case 'duration':
          if (typeof v !== 'string')
            return `json: cannot unmarshal ${jsonKind(v)} into Go value of type string`;
          return /^([-+]?([0-9]*(\.[0-9]*)?[a-zµμ]+)+|0)$/.test(v)
            ? undefined
            : `time: invalid duration ${JSON.stringify(v)}`;
        case 'quantity':
          if (typeof v === 'number') return undefined;
          if (typeof v !== 'string')
            return `json: cannot unmarshal ${jsonKind(v)} into Go value of type string`;
          return QUANTITY.test(v.trim())
            ? undefined
            : "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
        case 'intstr':
          if (typeof v === 'string') return undefined;
          if (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < 2 ** 31) return undefined;
          // IntOrString.UnmarshalJSON decodes into its int32; the decoder names the field
          return `json: cannot unmarshal ${typeof v === 'number' ? `number ${v}` : jsonKind(v)} into Go struct field ${structName}.${path} of type int32`;
        default:
          return undefined;
      }
  }
}

/** Throws the real server's 400 when a built-in object's body does not decode into its Go type. */
export function checkDecodes(def: ResourceDef, version: string, body: Record<string, unknown>): void {
  const root = kindStruct(def);
  // a custom resource is unstructured, but its metadata is still decoded into ObjectMeta
  // (apiextensions-apiserver schema/objectmeta GetObjectMetaWithOptions: json.Unmarshal of .metadata alone)
  const fields = root
    ? jsonFields(root)
    : new Map([['metadata', { type: { k: 'struct', name: 'meta.v1.ObjectMeta' } }]]);
  const name = root ? root.slice(root.lastIndexOf('.') + 1) : 'ObjectMeta';
  for (const [k, v] of Object.entries(body)) {
    const f = fields.get(k);
    if (!f) continue;
    const err =
      root || f.type.k !== 'struct'
        ? check(v, f.type as GoType, name, k)
        : v !== null && typeof v === 'object' && !Array.isArray(v)
          ? firstMetaError(v as Record<string, unknown>)
          : undefined;
    if (err)
      throw apiErrors.badRequest(
        `${def.kind} in version "${version}" cannot be handled as a ${def.kind}: ${err}`,
      );
  }
}

/** a custom resource's metadata, decoded alone into ObjectMeta: the field path starts at the field */
function firstMetaError(meta: Record<string, unknown>): string | undefined {
  const fields = jsonFields('meta.v1.ObjectMeta');
  for (const [k, v] of Object.entries(meta)) {
    const f = fields.get(k);
    const err = f ? check(v, f.type, 'ObjectMeta', k) : undefined;
    if (err) return err;
  }
  return undefined;
}

/** Go's zero value for a null map entry: `{"a": null}` in map[string]string decodes to "a": "". */
export function nullEntriesToZero(map: unknown): void {
  if (map && typeof map === 'object' && !Array.isArray(map))
    for (const [k, v] of Object.entries(map)) if (v === null) (map as Record<string, unknown>)[k] = '';
}

/**
 * Lists of structs in the built-in kinds (k8s.io/api): a `null` item decodes to the zero struct, so `ports: [null]`
 * is a port with every field empty (then defaulted and validated), not a crash. Lists of strings: `null` → "".
 */
const STRUCT_LISTS = new Set([
  'containers',
  'initContainers',
  'ephemeralContainers',
  'env',
  'envFrom',
  'volumes',
  'volumeMounts',
  'volumeDevices',
  'imagePullSecrets',
  'hostAliases',
  'conditions',
  'ownerReferences',
  'topologySpreadConstraints',
  'tolerations',
  'ports',
  'rules',
  'subjects',
  'resourceClaims',
]);
const STRING_LISTS = new Set(['finalizers', 'clusterIPs', 'ipFamilies', 'externalIPs', 'command', 'args']);

export function nullItemsToZero(v: unknown, depth = 0): void {
  if (depth > 64 || v === null || typeof v !== 'object') return;
  if (Array.isArray(v)) {
    for (const x of v) nullItemsToZero(x, depth + 1);
    return;
  }
  const o = v as Record<string, unknown>;
  for (const [k, child] of Object.entries(o)) {
    if (Array.isArray(child)) {
      if (STRUCT_LISTS.has(k)) for (let i = 0; i < child.length; i++) if (child[i] === null) child[i] = {};
      if (STRING_LISTS.has(k)) for (let i = 0; i < child.length; i++) if (child[i] === null) child[i] = '';
    }
    if (k !== 'data' && k !== 'stringData' && k !== 'binaryData') nullItemsToZero(child, depth + 1);
  }
}
