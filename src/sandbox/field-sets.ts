import { deepEqual, isObject, type Json, type JsonObject } from './json-patches.js';

/**
 * Field sets as structured-merge-diff computes them for managedFields (managed-fields.ts): list types (which lists
 * are keyed, sets or atomic), sets of field paths in their fieldsV1 form (fieldpath.Set, serialize-pe.go), an
 * object's set (typed/tofieldset.go) and the comparison of two objects (typed/compare.go).
 */

/** How a list at a path (field names only, list items skipped) merges and is keyed in fieldsV1. */
export type ListKeys = ((
  path: string[],
) => { type: 'map'; keys: string[]; defaults?: JsonObject } | { type: 'set' } | { type: 'atomic' }) & {
  /** a map or struct at the path that is owned and merged as one value (+mapType=atomic, +structType=atomic) */
  atomicObject?: (path: string[]) => boolean;
};

/** A fieldsV1 tree: keys are serialised path elements, "." marks the path itself as a member. */
export type FieldSet = { [pe: string]: FieldSet };

/**
 * The list types of the built-in kinds that matter here (from the `+listType`/`+listMapKey`/patchMergeKey tags of
 * k8s.io/api): containers, env, volumes… by name; container ports by containerPort+protocol; Service ports by
 * port+protocol; finalizers a set; everything else atomic.
 */
export const builtinListKeys: ListKeys = (path) => {
  const last = path[path.length - 1];
  const parent = path[path.length - 2];
  switch (last) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'env':
    case 'volumes':
    case 'imagePullSecrets':
    case 'resourceClaims':
      return { type: 'map', keys: ['name'] };
    case 'volumeMounts':
      return { type: 'map', keys: ['mountPath'] };
    case 'volumeDevices':
      return { type: 'map', keys: ['devicePath'] };
    case 'hostAliases':
      return { type: 'map', keys: ['ip'] };
    case 'conditions':
      return { type: 'map', keys: ['type'] };
    case 'ownerReferences':
      return { type: 'map', keys: ['uid'] };
    case 'topologySpreadConstraints':
      return { type: 'map', keys: ['topologyKey', 'whenUnsatisfiable'] };
    case 'finalizers':
      return parent === 'metadata' ? { type: 'set' } : { type: 'atomic' };
    case 'ports':
      // protocol has `default: TCP` in the OpenAPI, and SMD keys an item that omits a defaulted key field by
      // the default (typed/helpers.go keyedAssociativeListItemToPathElement), so `{port: 80}` is
      // `k:{"port":80,"protocol":"TCP"}` and merges with the live, defaulted item
      if (parent === 'spec')
        return { type: 'map', keys: ['port', 'protocol'], defaults: { protocol: 'TCP' } };
      return { type: 'map', keys: ['containerPort', 'protocol'], defaults: { protocol: 'TCP' } };
    default:
      return { type: 'atomic' };
  }
};

/**
 * Custom resources: x-kubernetes-list-type / x-kubernetes-list-map-keys from the structural schema, ObjectMeta's for
 * the metadata; atomic otherwise.
 */
export function schemaListKeys(schema: unknown): ListKeys {
  return (path) => {
    // the type converter gives a custom resource's metadata the ObjectMeta schema (finalizers a set, owners by uid)
    if (path[0] === 'metadata') return builtinListKeys(path);
    let s: unknown = schema;
    for (const name of path) {
      if (!isObject(s)) return { type: 'atomic' };
      if (s.type === 'array') s = s.items;
      if (!isObject(s)) return { type: 'atomic' };
      const props = s.properties;
      s = isObject(props) && name in props ? props[name] : s.additionalProperties;
    }
    if (!isObject(s)) return { type: 'atomic' };
    const lt = s['x-kubernetes-list-type'];
    if (lt === 'set') return { type: 'set' };
    const keys = s['x-kubernetes-list-map-keys'];
    if (lt === 'map' && Array.isArray(keys)) {
      // key fields with a `default:` key an item that omits them by the default (as for built-ins above)
      const itemProps = isObject(s.items) && isObject(s.items.properties) ? s.items.properties : {};
      const defaults: JsonObject = {};
      for (const k of keys.map(String)) {
        const p = itemProps[k];
        if (isObject(p) && p.default !== undefined) defaults[k] = p.default;
      }
      return { type: 'map', keys: keys.map(String), defaults };
    }
    return { type: 'atomic' };
  };
}

// ---------------------------------------------------------------------------------------------------------------
// field sets (fieldpath.Set) on fieldsV1 trees

export function fieldPe(name: string): string {
  return `f:${name}`;
}

export function itemPe(item: Json, lt: ReturnType<ListKeys>): string | undefined {
  if (lt.type === 'set') return `v:${JSON.stringify(item)}`;
  if (lt.type !== 'map' || !isObject(item)) return undefined;
  // serialize-pe.go writes the key fields sorted by name
  const key: JsonObject = {};
  for (const k of [...lt.keys].sort()) {
    const v = item[k] ?? lt.defaults?.[k];
    if (v !== undefined) key[k] = v;
  }
  return `k:${JSON.stringify(key)}`;
}

export function insert(set: FieldSet, path: string[]): void {
  let node = set;
  for (const pe of path) {
    node[pe] ??= {};
    node = node[pe]!;
  }
  node['.'] = {};
}

export function has(set: FieldSet, path: string[]): boolean {
  let node: FieldSet | undefined = set;
  for (const pe of path) node = node?.[pe];
  return node?.['.'] !== undefined;
}

/** true when `path` or anything under it is in `set` */
export function hasUnder(set: FieldSet, path: string[]): boolean {
  let node: FieldSet | undefined = set;
  for (const pe of path) node = node?.[pe];
  return node !== undefined && !isEmpty(node);
}

export function isEmpty(set: FieldSet): boolean {
  for (const [k, v] of Object.entries(set)) if (k === '.' || !isEmpty(v)) return false;
  return true;
}

export function members(set: FieldSet, prefix: string[] = []): string[][] {
  const out: string[][] = [];
  if (set['.']) out.push(prefix);
  for (const k of sortedPes(set)) out.push(...members(set[k]!, [...prefix, k]));
  return out;
}

export function setOf(paths: string[][]): FieldSet {
  const s: FieldSet = {};
  for (const p of paths) insert(s, p);
  return s;
}

export function union(a: FieldSet, b: FieldSet): FieldSet {
  return setOf([...members(a), ...members(b)]);
}

export function difference(a: FieldSet, b: FieldSet): FieldSet {
  return setOf(members(a).filter((p) => !has(b, p)));
}

export function intersection(a: FieldSet, b: FieldSet): FieldSet {
  return setOf(members(a).filter((p) => has(b, p)));
}

/** fieldpath.PathElement order (element.go Compare): field names, then keys, then values, then indexes. */
function sortedPes(set: FieldSet): string[] {
  const rank = (pe: string) => ({ f: 0, k: 1, v: 2, i: 3 })[pe[0] as 'f'] ?? 4;
  return Object.keys(set)
    .filter((k) => k !== '.')
    .sort((x, y) => rank(x) - rank(y) || (x < y ? -1 : x > y ? 1 : 0));
}

/** serialize.go: "." first, then children in path element order; the wire form of fieldsV1. */
export function encode(set: FieldSet): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const children = sortedPes(set).filter((k) => !isEmpty(set[k]!));
  // a member without children is written as `{}`; "." only when the member also has children
  if (set['.'] && children.length > 0) out['.'] = {};
  for (const k of children) out[k] = encode(set[k]!);
  return out;
}

export function decode(fields: unknown): FieldSet {
  const out: FieldSet = {};
  if (!isObject(fields)) return out;
  for (const [k, v] of Object.entries(fields)) {
    if (k === '.') out['.'] = {};
    else out[k] = isObject(v) && Object.keys(v).length === 0 ? { '.': {} } : decode(v);
  }
  return out;
}

/** fieldpath.Path.String(): `.spec.containers[name="c"].image`, `[=x]` for set items. */
export function pathString(path: string[]): string {
  return path
    .map((pe) => {
      const body = pe.slice(2);
      if (pe.startsWith('f:')) return `.${body}`;
      if (pe.startsWith('v:')) return `[=${body}]`;
      if (pe.startsWith('i:')) return `[${body}]`;
      const key = JSON.parse(body) as JsonObject;
      return `[${Object.entries(key)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}]`;
    })
    .join('');
}

// ---------------------------------------------------------------------------------------------------------------
// object → set (typed/tofieldset.go) and object vs object (typed/compare.go)

export function toFieldSet(
  v: Json,
  listKeys: ListKeys,
  out: FieldSet,
  pe: string[] = [],
  fp: string[] = [],
): FieldSet {
  if (!isObject(v)) return out;
  for (const [k, child] of Object.entries(v)) {
    if (child === undefined) continue;
    const cpe = [...pe, fieldPe(k)];
    const cfp = [...fp, k];
    if (Array.isArray(child)) {
      const lt = listKeys(cfp);
      if (lt.type === 'atomic') insert(out, cpe);
      else
        for (const item of child) {
          const ipe = itemPe(item, lt);
          if (ipe === undefined) continue;
          insert(out, [...cpe, ipe]);
          if (lt.type === 'map') toFieldSet(item, listKeys, out, [...cpe, ipe], cfp);
        }
    } else if (isObject(child) && Object.keys(child).length > 0 && !listKeys.atomicObject?.(cfp)) {
      toFieldSet(child, listKeys, out, cpe, cfp);
    } else {
      insert(out, cpe); // scalars, null and empty maps are leaves
    }
  }
  return out;
}

export interface Comparison {
  added: FieldSet;
  removed: FieldSet;
  modified: FieldSet;
}

export function compare(l: Json | undefined, r: Json | undefined, listKeys: ListKeys): Comparison {
  const c: Comparison = { added: {}, removed: {}, modified: {} };
  walkCompare(l, r, [], [], listKeys, c);
  return c;
}

function isNode(v: Json | undefined, fp: string[], listKeys: ListKeys): boolean {
  if (isObject(v)) return Object.keys(v).length > 0 && !(fp.length > 0 && listKeys.atomicObject?.(fp));
  return Array.isArray(v) && fp.length > 0 && listKeys(fp).type !== 'atomic';
}

function walkCompare(
  l: Json | undefined,
  r: Json | undefined,
  pe: string[],
  fp: string[],
  lk: ListKeys,
  c: Comparison,
) {
  const lNode = isNode(l, fp, lk);
  const rNode = isNode(r, fp, lk);
  if (!lNode && !rNode) {
    // a leaf: scalar, null, empty map, atomic list
    if (l === undefined && r !== undefined) insert(c.added, pe);
    else if (r === undefined && l !== undefined) insert(c.removed, pe);
    else if (!deepEqual(l, r)) insert(c.modified, pe);
    return;
  }
  if (pe.length > 0) {
    // postItemHook: a map or list node itself is added / removed; a leaf turning into a node is modified
    if (l === undefined) insert(c.added, pe);
    else if (r === undefined) insert(c.removed, pe);
    // a map or struct that was empty is not modified by getting fields (typed/compare.go compares them as maps),
    // nor is a list or map that was null (a nil slice of the zero object: the node is there, empty)
    else if (lNode !== rNode && l !== null && r !== null && !(isObject(l) && isObject(r)))
      insert(c.modified, pe);
  }
  const lt = fp.length > 0 ? lk(fp) : ({ type: 'atomic' } as const);
  if (Array.isArray(l) || Array.isArray(r)) {
    const items = new Map<string, [Json | undefined, Json | undefined]>();
    for (const x of lNode && Array.isArray(l) ? l : []) {
      const k = itemPe(x, lt);
      if (k !== undefined) items.set(k, [x, undefined]);
    }
    for (const x of rNode && Array.isArray(r) ? r : []) {
      const k = itemPe(x, lt);
      if (k !== undefined) items.set(k, [items.get(k)?.[0], x]);
    }
    for (const [k, [li, ri]] of items) {
      if (lt.type === 'set') walkCompare(li, ri, [...pe, k], fp, () => ({ type: 'atomic' }), c);
      else walkItem(li, ri, [...pe, k], fp, lk, c);
    }
    return;
  }
  const lo = lNode && isObject(l) ? l : {};
  const ro = rNode && isObject(r) ? r : {};
  for (const k of new Set([...Object.keys(lo), ...Object.keys(ro)]))
    walkCompare(lo[k], ro[k], [...pe, fieldPe(k)], [...fp, k], lk, c);
}

/** an associative list item is always a node: its own path is a member, then its fields */
function walkItem(
  l: Json | undefined,
  r: Json | undefined,
  pe: string[],
  fp: string[],
  lk: ListKeys,
  c: Comparison,
) {
  if (l === undefined) insert(c.added, pe);
  else if (r === undefined) insert(c.removed, pe);
  const lo = isObject(l) ? l : {};
  const ro = isObject(r) ? r : {};
  for (const k of new Set([...Object.keys(lo), ...Object.keys(ro)]))
    walkCompare(lo[k], ro[k], [...pe, fieldPe(k)], [...fp, k], lk, c);
}
