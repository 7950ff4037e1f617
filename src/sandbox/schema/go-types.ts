import type { ResourceDef } from '../resource-def.js';
import { ROOT_TYPES, STRUCTS } from './go-types.generated.js';

/**
 * The Go types of the built-in kinds (go-types.generated.ts, from k8s.io/api): what the real server decodes a body
 * into, encodes it from, and keys its lists by. Parsed on first use.
 */
export type Special = 'time' | 'microtime' | 'duration' | 'fieldsv1' | 'intstr' | 'quantity' | 'raw';
export type Scalar = 'string' | 'bool' | 'int32' | 'int64' | 'float64' | 'bytes' | Special;

export type GoType =
  | { k: 'scalar'; name: Scalar }
  | { k: 'struct'; name: string }
  | { k: 'ptr'; of: GoType }
  | { k: 'list'; of: GoType }
  | { k: 'map'; of: GoType };

export interface GoField {
  /** the JSON name; '' for an inline (flattened) struct */
  json: string;
  /** the protobuf field number */
  proto: number;
  type: GoType;
  omitempty: boolean;
  /** `omitzero`: left out when it is its type's zero (metadata.creationTimestamp) */
  omitzero: boolean;
  inline: boolean;
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
  patchStrategy?: string;
  patchMergeKey?: string;
  /** +default, as JSON */
  default?: unknown;
  /** +mapType / +structType=atomic */
  atomic?: boolean;
}

function parseType(t: string): GoType {
  if (t.startsWith('*')) return { k: 'ptr', of: parseType(t.slice(1)) };
  if (t.startsWith('[]')) return { k: 'list', of: parseType(t.slice(2)) };
  if (t.startsWith('{')) return { k: 'map', of: parseType(t.slice(1)) };
  if (t.startsWith('@')) return { k: 'struct', name: t.slice(1) };
  return { k: 'scalar', name: t as Scalar };
}

function parseField(token: string): GoField {
  const [json = '', proto = '0', type = '', flags = '', extras = ''] = token.split(':');
  const f: GoField = {
    json,
    proto: Number(proto),
    type: parseType(type),
    omitempty: flags.includes('o'),
    omitzero: flags.includes('z'),
    inline: flags.includes('i'),
  };
  for (const e of extras.split(';').filter(Boolean)) {
    const [k, v = ''] = e.split('=');
    if (k === 'lt') f.listType = v as GoField['listType'];
    else if (k === 'lk') f.listMapKeys = v.split(',');
    else if (k === 'ps') f.patchStrategy = v;
    else if (k === 'pk') f.patchMergeKey = v;
    else if (k === 'd') {
      try {
        f.default = JSON.parse(decodeURIComponent(v));
      } catch {
        // a +default that is not JSON (ref(...)): not used
      }
    } else if ((k === 'mt' || k === 'st') && v === 'atomic') f.atomic = true;
  }
  return f;
}

const parsed = new Map<string, GoField[]>();
const byJson = new Map<string, Map<string, GoField>>();

/** The fields of a Go struct in declaration order (inline ones as one field of json ''). */
export function structFields(name: string): GoField[] {
  let fields = parsed.get(name);
  if (!fields) {
    const raw = STRUCTS[name];
    if (raw === undefined) throw new Error(`no Go type ${name}`);
    fields = raw === '' ? [] : raw.split(' ').map(parseField);
    parsed.set(name, fields);
  }
  return fields;
}

/** The struct's fields by JSON name, inline structs flattened (as encoding/json sees them). */
export function jsonFields(name: string): Map<string, GoField> {
  let m = byJson.get(name);
  if (!m) {
    m = new Map();
    for (const f of structFields(name)) {
      if (f.inline && f.type.k === 'struct') for (const [k, v] of jsonFields(f.type.name)) m.set(k, v);
      else if (f.inline && f.type.k === 'ptr' && f.type.of.k === 'struct')
        for (const [k, v] of jsonFields(f.type.of.name)) m.set(k, v);
      else m.set(f.json, f);
    }
    byJson.set(name, m);
  }
  return m;
}

/** The Go struct of a built-in kind; undefined for custom resources and kinds the schema does not hold. */
export function kindStruct(def: Pick<ResourceDef, 'group' | 'kind' | 'crdName'>): string | undefined {
  if (def.crdName !== undefined) return undefined;
  return ROOT_TYPES[`${def.group}/${def.kind}`];
}

/** The struct at a path of field names (list items and map values skipped), or undefined. */
export function typeAt(root: string, path: string[]): GoType | undefined {
  let t: GoType = { k: 'struct', name: root };
  for (const name of path) {
    while (t.k === 'ptr' || t.k === 'list' || t.k === 'map') t = t.of;
    if (t.k !== 'struct') return undefined;
    const f = jsonFields(t.name).get(name);
    if (!f) return undefined;
    t = f.type;
  }
  return t;
}

/** The field at a path of field names (see typeAt), or undefined. */
export function fieldAt(root: string, path: string[]): GoField | undefined {
  if (path.length === 0) return undefined;
  const parent = typeAt(root, path.slice(0, -1));
  let t = parent;
  while (t && (t.k === 'ptr' || t.k === 'list' || t.k === 'map')) t = t.of;
  if (t?.k !== 'struct') return undefined;
  return jsonFields(t.name).get(path[path.length - 1]!);
}

/** Go's type name of a field type, as decode errors print it (`int32`, `[]v1.Container`, `map[string]string`). */
export function goTypeName(t: GoType): string {
  switch (t.k) {
    case 'ptr':
      return `*${goTypeName(t.of)}`;
    case 'list':
      return `[]${goTypeName(t.of)}`;
    case 'map':
      return `map[string]${goTypeName(t.of)}`;
    case 'struct':
      // the Go package's name is its version folder: core/v1 → v1, autoscaling/v2 → v2
      return t.name.split('.').slice(-2).join('.');
    default:
      switch (t.name) {
        case 'bytes':
          return '[]uint8';
        case 'time':
          return 'v1.Time';
        case 'microtime':
          return 'v1.MicroTime';
        case 'duration':
          return 'v1.Duration';
        case 'intstr':
          return 'intstr.IntOrString';
        case 'quantity':
          return 'resource.Quantity';
        case 'fieldsv1':
          return 'v1.FieldsV1';
        case 'raw':
          return 'runtime.RawExtension';
        default:
          return t.name;
      }
  }
}
