import { clone, isObject, type Json, type JsonObject } from './json-patches.js';

/**
 * Strategic merge patch (k8s.io/apimachinery/pkg/util/strategicpatch/patch.go StrategicMergeMapPatch: mergeMap,
 * applyRetainKeysDirective, mergePatchIntoOriginal, mergeSliceHandler, mergeSlice, sliceElementType; error texts from
 * pkg/util/mergepatch/errors.go). A malformed directive fails as the real server fails it: StrategicMergeError carries
 * whether handlers/patch.go interpretStrategicMergePatchError makes it a 400, a 422, or passes it on as a plain Go
 * error (a 500 without reason, with Go's message, as the real server answers).
 * Strategic merge patch, as much as kubectl apply/label/annotate need for built-in kinds: maps merge,
 * `null` deletes, `$patch: replace|delete`, `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>`,
 * `$retainKeys`, and lists of known fields merged by their Kubernetes merge key; other lists are replaced.
 * The merge keys come from the Go struct tags of the core types (a field name → key table, not a schema).
 */
const MERGE_KEYS: Record<string, string | ((items: Json[]) => string)> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  imagePullSecrets: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  hostAliases: 'ip',
  conditions: 'type',
  ownerReferences: 'uid',
  // container ports are keyed by containerPort, Service ports by port
  ports: (items) => (items.some((i) => isObject(i) && 'containerPort' in i) ? 'containerPort' : 'port'),
};

/** primitive lists with patchStrategy merge (union) */
const MERGED_PRIMITIVE_LISTS = new Set(['finalizers']);

const own = (o: object, k: string) => Object.hasOwn(o, k);

function mergeKeyFor(field: string, items: Json[]): string | undefined {
  if (!own(MERGE_KEYS, field)) return undefined;
  const k = MERGE_KEYS[field];
  return typeof k === 'function' ? k(items) : k;
}

/** 'badRequest' → 400, 'invalid' → 422 (NewGenericServerResponse), 'internal' → a plain Go error: 500 */
export class StrategicMergeError extends Error {
  constructor(
    readonly kind: 'badRequest' | 'invalid' | 'internal',
    message: string,
  ) {
    super(message);
    this.name = 'StrategicMergeError';
  }
}

const badRequest = (m: string) => new StrategicMergeError('badRequest', m);
const internal = (m: string) => new StrategicMergeError('internal', m);
const ERR_RETAIN_KEYS = 'invalid patch format of retainKeys';
const ERR_SET_ELEMENT_ORDER = 'invalid patch format of setElementOrder list';
const ERR_PRIMITIVE_LIST = 'invalid patch format of primitive list';
const ERR_LIST_OF_LISTS = 'lists of lists are not supported';
/** what the apiserver's panic recovery reports when SMP dereferences a nil element type (reflect.TypeOf(nil).Kind()) */
const NIL_DEREF = 'runtime error: invalid memory address or nil pointer dereference';

/** Go's dynamic type of a value decoded by UnmarshalCaseSensitivePreserveInts (reflect.TypeOf(v).String()) */
function goType(v: Json | undefined): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  return Array.isArray(v) ? '[]interface {}' : 'map[string]interface {}';
}

/** `%s` of a reflect.Type: a nil type prints as %!s(<nil>) */
const typeS = (v: Json | undefined) => goType(v) ?? '%!s(<nil>)';

function goNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e21)) return n.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  return String(n);
}

/** fmt's %v of a decoded JSON value: map[k:v ...] with sorted keys, [a b], <nil> */
export function goV(v: Json | undefined): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return goNumber(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(goV).join(' ')}]`;
  return `map[${Object.keys(v)
    .sort()
    .map((k) => `${k}:${goV(v[k])}`)
    .join(' ')}]`;
}

/** fmt's %s of a decoded JSON value: non-strings print as %!s(type=value) */
function goS(v: Json | undefined): string {
  if (v === null || v === undefined) return '%!s(<nil>)';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return `%!s(${goType(v)}=${goV(v)})`;
  if (Array.isArray(v)) return `[${v.map(goS).join(' ')}]`;
  return `map[${Object.keys(v)
    .sort()
    .map((k) => `${k}:${goS(v[k])}`)
    .join(' ')}]`;
}

const errBadArgType = (expected: string, actual: Json | undefined) =>
  internal(`expected a ${expected}, but received a ${typeS(actual)}`);
const errNoMergeKey = (m: JsonObject, key: string) =>
  internal(`map: ${goV(m)} does not contain declared merge key: ${key}`);
const errBadPatchType = (t: Json | undefined, m: JsonObject) =>
  internal(`unknown patch type: ${goS(t)} in map: ${goV(m)}`);

/** sliceElementType: every element of the lists has one Go type, and it is not a list */
function sliceElementType(...lists: Json[][]): string {
  let prev: string | undefined;
  let seen = false;
  for (const list of lists)
    for (const v of list) {
      const t = goType(v);
      if (!seen) {
        if (t === undefined) throw internal(NIL_DEREF);
        if (t === '[]interface {}') throw new StrategicMergeError('invalid', ERR_LIST_OF_LISTS);
        prev = t;
        seen = true;
      } else if (t !== prev) {
        throw internal(`list element types are not identical: ${goV(lists)}`);
      }
    }
  if (!seen) throw internal('no elements in any of the given slices');
  return prev!;
}

/** extractKey: "<prefix>/<field>" → field; anything else after the prefix is a 400 */
function extractKey(key: string, prefix: string, err: string): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix) throw badRequest(err);
  return key.slice(slash + 1);
}

function keyOf(item: Json, key: string): string | undefined {
  return isObject(item) && own(item, key) ? JSON.stringify(item[key]) : undefined;
}

/** mergeSlice for lists with patchStrategy merge: primitives are a union (or the deletion list), maps merge by key */
function mergeSlice(field: string, live: Json[], patch: Json[], isDeleteList: boolean): Json[] {
  if (live.length === 0 && patch.length === 0) return live;
  const elem = sliceElementType(live, patch);
  if (elem !== 'map[string]interface {}') {
    if (isDeleteList) {
      const drop = new Set(patch.map((x) => JSON.stringify(x)));
      return live.filter((x) => !drop.has(JSON.stringify(x)));
    }
    const out = [...live];
    for (const p of patch) if (!out.some((o) => JSON.stringify(o) === JSON.stringify(p))) out.push(p);
    return out;
  }
  const key = mergeKeyFor(field, [...live, ...patch]);
  if (!key)
    throw internal(
      `cannot merge lists without merge key for type ${MERGED_PRIMITIVE_LISTS.has(field) ? 'string' : 'struct'}`,
    );
  // mergeSliceWithSpecialElements
  let out = clone(live);
  const plain: JsonObject[] = [];
  let replace = false;
  for (const p of patch as JsonObject[]) {
    if (!own(p, '$patch')) {
      plain.push(p);
      continue;
    }
    const directive = p.$patch;
    if (directive === 'delete') {
      if (!own(p, key)) throw errNoMergeKey(p, key);
      const k = keyOf(p, key);
      out = out.filter((o) => keyOf(o, key) !== k);
    } else if (directive === 'replace') replace = true;
    else if (directive === 'merge') throw internal('merging lists cannot yet be specified in the patch');
    else throw errBadPatchType(directive, p);
  }
  if (replace) return clone(plain);
  // mergeSliceWithoutSpecialElements
  for (const p of plain) {
    if (!own(p, key)) throw errNoMergeKey(p, key);
    const k = keyOf(p, key);
    const idx = out.findIndex((o) => keyOf(o, key) === k);
    if (idx >= 0) out[idx] = mergeMap(isObject(out[idx]) ? (out[idx] as JsonObject) : null, p);
    else out.push(clone(p));
  }
  return out;
}

/** mergeSliceHandler: lists with patchStrategy merge are merged, every other list is replaced */
function mergeSliceHandler(field: string, live: Json[], patch: Json[], isDeleteList: boolean): Json[] {
  const merged = own(MERGE_KEYS, field) || MERGED_PRIMITIVE_LISTS.has(field);
  return merged ? mergeSlice(field, live, patch, isDeleteList) : clone(patch);
}

function applyOrder(list: Json[], order: Json[], field: string): Json[] {
  const key = mergeKeyFor(field, [...list, ...order]);
  const id = (x: Json) => (key && isObject(x) ? keyOf(x, key) : JSON.stringify(x));
  const ordered: Json[] = [];
  for (const o of order) {
    const found = list.find((l) => id(l) === id(o));
    if (found !== undefined && !ordered.includes(found)) ordered.push(found);
  }
  for (const l of list) if (!ordered.includes(l)) ordered.push(l);
  return ordered;
}

/** validatePatchWithSetOrderList: the patch list's items appear in the $setElementOrder list, in its order */
function validateSetOrder(patchList: Json[], order: Json[], key: string | undefined): void {
  if (order.length === 0 || patchList.length === 0) return;
  let items = patchList;
  if (key) {
    for (const v of patchList) if (!isObject(v)) throw errBadArgType('map[string]interface {}', v);
    items = patchList.filter((v) => (v as JsonObject).$patch !== 'delete');
  }
  let pi = 0;
  let si = 0;
  while (pi < items.length && si < order.length) {
    const item = items[pi]!;
    if (isObject(item) && own(item, '$patch')) {
      pi++;
      continue;
    }
    let equal: boolean;
    if (!key) equal = JSON.stringify(item) === JSON.stringify(order[si]);
    else {
      const o = order[si]!;
      if (!isObject(item)) throw errBadArgType('map[string]interface {}', item);
      if (!isObject(o)) throw errBadArgType('map[string]interface {}', o);
      if (!own(item, key)) throw errNoMergeKey(item, key);
      if (!own(o, key)) throw errNoMergeKey(o, key);
      equal = JSON.stringify(item[key]) === JSON.stringify(o[key]);
    }
    if (equal) pi++;
    si++;
  }
  if (pi < items.length && si >= order.length)
    throw internal(
      `The order in patch list:\n${goV(patchList)}\n doesn't match $setElementOrder list:\n${goV(order)}\n`,
    );
}

/** mergePatchIntoOriginal: each $setElementOrder/<list> merges its list (when there is one) and orders it */
function setElementOrders(out: JsonObject, patch: JsonObject): void {
  for (const directive of Object.keys(patch)) {
    if (!directive.startsWith('$setElementOrder')) continue;
    const order = patch[directive];
    delete patch[directive];
    if (!Array.isArray(order)) throw errBadArgType('[]interface {}', order);
    const field = extractKey(directive, '$setElementOrder', ERR_SET_ELEMENT_ORDER);
    const foundLive = own(out, field);
    const foundPatch = own(patch, field);
    const live = out[field];
    const patchList = patch[field];
    if (foundLive && !Array.isArray(live)) throw errBadArgType('[]interface {}', live);
    if (foundPatch && !Array.isArray(patchList)) throw errBadArgType('[]interface {}', patchList);
    const liveList = (foundLive ? live : []) as Json[];
    const pList = (foundPatch ? patchList : []) as Json[];
    // (the real server first looks the field up in the Go struct and fails on a field the type does not have;
    // the sandbox knows merge keys, not every struct, so such a field is taken as an ordinary list here)
    const key = mergeKeyFor(field, [...liveList, ...pList]);
    validateSetOrder(pList, order, key);
    if (!foundLive && !foundPatch) continue;
    const merged =
      foundLive && foundPatch
        ? mergeSliceHandler(field, liveList, pList, false)
        : clone(foundLive ? liveList : pList);
    if (key) {
      for (const v of merged) {
        if (!isObject(v)) throw errBadArgType('map[string]interface {}', v);
        if (!own(v, key)) throw errNoMergeKey(v, key);
      }
      order.forEach((o, i) => {
        if (!isObject(o)) throw internal(`value for key ${i} is not a map.`);
      });
    }
    sliceElementType(liveList, pList);
    out[field] = applyOrder(merged, order, field);
    delete patch[field];
  }
}

/** applyRetainKeysDirective: every field the patch sets is listed, fields of the live map not listed are cleared */
function retainKeys(out: JsonObject, patch: JsonObject): void {
  if (!own(patch, '$retainKeys')) return;
  const list = patch.$retainKeys;
  delete patch.$retainKeys;
  if (!Array.isArray(list)) throw badRequest(ERR_RETAIN_KEYS);
  for (const v of list)
    if (isObject(v) || Array.isArray(v))
      throw internal(`runtime error: hash of unhashable type ${goType(v)}`);
  const keep = new Set(list.filter((v) => typeof v === 'string') as string[]);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith('$deleteFromPrimitiveList') || k.startsWith('$setElementOrder')) continue;
    if (!keep.has(k)) throw badRequest(ERR_RETAIN_KEYS);
  }
  for (const k of Object.keys(out)) if (!keep.has(k)) delete out[k];
}

/** mergeMap (StrategicMergeMapPatch: MergeParallelList and IgnoreUnmatchedNulls) */
function mergeMap(live: JsonObject | null, patchIn: JsonObject): JsonObject {
  if (own(patchIn, '$patch')) {
    const directive = patchIn.$patch;
    if (directive === 'replace') {
      const { $patch: _, ...rest } = patchIn;
      return clone(rest);
    }
    if (directive === 'delete') return {};
    throw errBadPatchType(directive, patchIn);
  }
  const out: JsonObject = live ? { ...live } : {};
  const patch: JsonObject = { ...patchIn };
  retainKeys(out, patch);
  setElementOrders(out, patch);
  for (const [rawKey, v] of Object.entries(patch)) {
    let k = rawKey;
    let isDeleteList = false;
    if (rawKey.startsWith('$deleteFromPrimitiveList')) {
      k = extractKey(rawKey, '$deleteFromPrimitiveList', ERR_PRIMITIVE_LIST);
      isDeleteList = true;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    // not in the live object: the patch value as it is (directives inside it included, as the real server does)
    if (!own(out, k)) {
      out[k] = clone(v);
      continue;
    }
    const cur = out[k];
    if (goType(cur) !== goType(v)) {
      out[k] = clone(v);
      continue;
    }
    if (isObject(v)) out[k] = mergeMap(cur as JsonObject, v);
    else if (Array.isArray(v)) out[k] = mergeSliceHandler(k, cur as Json[], v, isDeleteList);
    else out[k] = v;
  }
  return out;
}

export function strategicMerge(live: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  return mergeMap(isObject(live) ? live : null, patch);
}
