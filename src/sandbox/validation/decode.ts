import { apiErrors } from '../api-error.js';
import type { ResourceDef } from '../resource-registry.js';

/**
 * The typed JSON decoding a built-in kind goes through before anything else (sigs.k8s.io/json, a fork of
 * encoding/json, into the Go structs of k8s.io/api): a value of the wrong JSON type is a 400 BadRequest
 * "X in version "v" cannot be handled as a X: <decode error>" (apiserver
 * pkg/endpoints/handlers/rest.go transformDecodeError). Go's wording is kept: `json: cannot unmarshal
 * number into Go struct field ConfigMap.data of type string`, base64's `illegal base64 data at input byte N`,
 * MicroTime's `parsing time ... as "2006-01-02T15:04:05.000000Z07:00"`. Custom resources are unstructured
 * and not checked here (their schema is).
 */
type GoType =
  | { t: 'string' | 'bool' | 'bytes' | 'microtime' | 'intOrString' }
  | { t: 'int'; bits: 32 | 64 }
  | { t: 'map'; of: GoType }
  | { t: 'array'; of: GoType }
  | { t: 'struct'; name: string; fields: Record<string, GoType> };

const str: GoType = { t: 'string' };
const bool: GoType = { t: 'bool' };
const bytes: GoType = { t: 'bytes' };
const int32: GoType = { t: 'int', bits: 32 };
const int64: GoType = { t: 'int', bits: 64 };
const microtime: GoType = { t: 'microtime' };
const mapOf = (of: GoType): GoType => ({ t: 'map', of });
const arrayOf = (of: GoType): GoType => ({ t: 'array', of });
const struct = (name: string, fields: Record<string, GoType>) => ({ t: 'struct' as const, name, fields });

const OBJECT_META: { t: 'struct'; name: string; fields: Record<string, GoType> } = struct('ObjectMeta', {
  name: str,
  generateName: str,
  namespace: str,
  selfLink: str,
  uid: str,
  resourceVersion: str,
  generation: int64,
  deletionGracePeriodSeconds: int64,
  labels: mapOf(str),
  annotations: mapOf(str),
  finalizers: arrayOf(str),
  ownerReferences: arrayOf(
    struct('OwnerReference', {
      apiVersion: str,
      kind: str,
      name: str,
      uid: str,
      controller: bool,
      blockOwnerDeletion: bool,
    }),
  ),
});

const KINDS: Record<string, Record<string, GoType>> = {
  '/ConfigMap': { data: mapOf(str), binaryData: mapOf(bytes), immutable: bool },
  '/Secret': { data: mapOf(bytes), stringData: mapOf(str), type: str, immutable: bool },
  '/Service': {
    spec: struct('ServiceSpec', {
      type: str,
      clusterIP: str,
      clusterIPs: arrayOf(str),
      externalName: str,
      sessionAffinity: str,
      selector: mapOf(str),
      ports: arrayOf(
        struct('ServicePort', {
          name: str,
          protocol: str,
          appProtocol: str,
          port: int32,
          targetPort: { t: 'intOrString' },
          nodePort: int32,
        }),
      ),
    }),
  },
  'coordination.k8s.io/Lease': {
    spec: struct('LeaseSpec', {
      holderIdentity: str,
      leaseDurationSeconds: int32,
      acquireTime: microtime,
      renewTime: microtime,
      leaseTransitions: int32,
    }),
  },
};

function goTypeName(t: GoType): string {
  switch (t.t) {
    case 'string':
    case 'bool':
      return t.t;
    case 'bytes':
      return '[]uint8';
    case 'int':
      return `int${t.bits}`;
    case 'microtime':
      return 'v1.MicroTime';
    case 'intOrString':
      return 'intstr.IntOrString';
    case 'map':
      return `map[string]${goTypeName(t.of)}`;
    case 'array':
      return `[]${goTypeName(t.of)}`;
    default:
      return `v1.${t.name}`;
  }
}

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
  let elem = RFC3339_MICRO;
  if (head) {
    const rest = v.slice(head[0].length);
    if (!/^\.\d{6}/.test(rest)) [bad, elem] = [rest, '.000000'];
    else [bad, elem] = [rest.slice(7), 'Z07:00'];
  }
  return `parsing time ${JSON.stringify(v)} as ${JSON.stringify(RFC3339_MICRO)}: cannot parse ${JSON.stringify(bad)} as ${JSON.stringify(elem)}`;
}

/** First decode error in document order (Go keeps the first), as Go words it. */
function check(v: unknown, t: GoType, structName: string, path: string): string | undefined {
  if (v === null || v === undefined) return undefined;
  const mismatch = (value = jsonKind(v)) =>
    `json: cannot unmarshal ${value} into Go struct field ${structName}.${path} of type ${goTypeName(t)}`;
  switch (t.t) {
    case 'string':
      return typeof v === 'string' ? undefined : mismatch();
    case 'bool':
      return typeof v === 'boolean' ? undefined : mismatch();
    case 'int': {
      if (typeof v !== 'number') return mismatch();
      const limit = 2 ** (t.bits - 1);
      return Number.isInteger(v) && v >= -limit && v < limit ? undefined : mismatch(`number ${v}`);
    }
    case 'bytes': {
      if (typeof v !== 'string') return mismatch();
      const at = base64ErrorOffset(v);
      return at === undefined ? undefined : `illegal base64 data at input byte ${at}`;
    }
    case 'microtime':
      if (typeof v !== 'string') return `json: cannot unmarshal ${jsonKind(v)} into Go value of type string`;
      return microTimeError(v);
    case 'intOrString':
      if (typeof v === 'string') return undefined;
      if (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < 2 ** 31) return undefined;
      return `json: cannot unmarshal ${typeof v === 'number' ? `number ${v}` : jsonKind(v)} into Go value of type int32`;
    case 'map':
      if (jsonKind(v) !== 'object') return mismatch();
      for (const item of Object.values(v as object)) {
        const err = check(item, t.of, structName, path);
        if (err) return err;
      }
      return undefined;
    case 'array':
      if (!Array.isArray(v)) return mismatch();
      for (const item of v) {
        const err = check(item, t.of, structName, path);
        if (err) return err;
      }
      return undefined;
    default:
      if (jsonKind(v) !== 'object') return mismatch();
      for (const [k, item] of Object.entries(v as object)) {
        // own keys only: a body key `constructor` or `toString` is not a field of the struct
        const ft = Object.hasOwn(t.fields, k) ? t.fields[k] : undefined;
        if (!ft) continue;
        const err = check(item, ft, t.name, `${path}.${k}`);
        if (err) return err;
      }
      return undefined;
  }
}

/** Throws the real server's 400 when a built-in object's body does not decode into its Go type. */
export function checkDecodes(def: ResourceDef, version: string, body: Record<string, unknown>): void {
  if (def.crdName !== undefined) {
    // a custom resource is unstructured, but its metadata is still decoded into ObjectMeta
    // (apiextensions-apiserver schema/objectmeta GetObjectMetaWithOptions: json.Unmarshal of .metadata alone)
    const meta = body.metadata;
    if (meta === undefined || meta === null || typeof meta !== 'object' || Array.isArray(meta)) return;
    for (const [k, v] of Object.entries(meta)) {
      const t = Object.hasOwn(OBJECT_META.fields, k) ? OBJECT_META.fields[k] : undefined;
      const err = t ? check(v, t, 'ObjectMeta', k) : undefined;
      if (err)
        throw apiErrors.badRequest(
          `${def.kind} in version "${version}" cannot be handled as a ${def.kind}: ${err}`,
        );
    }
    return;
  }
  const fields: Record<string, GoType> = {
    metadata: OBJECT_META,
    ...(KINDS[`${def.group}/${def.kind}`] ?? {}),
  };
  for (const [k, v] of Object.entries(body)) {
    const t = Object.hasOwn(fields, k) ? fields[k] : undefined;
    if (!t) continue;
    const err = check(v, t, def.kind, k);
    if (err) {
      throw apiErrors.badRequest(
        `${def.kind} in version "${version}" cannot be handled as a ${def.kind}: ${err}`,
      );
    }
  }
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
