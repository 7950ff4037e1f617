import { clone, isObject, type Json, type JsonObject } from './json-patches.js';

/**
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

function mergeKeyFor(field: string, items: Json[]): string | undefined {
  const k = MERGE_KEYS[field];
  return typeof k === 'function' ? k(items) : k;
}

function keyOf(item: Json, key: string): string | undefined {
  return isObject(item) && item[key] !== undefined ? JSON.stringify(item[key]) : undefined;
}

function mergeList(field: string, live: Json[], patch: Json[]): Json[] {
  if (MERGED_PRIMITIVE_LISTS.has(field) && patch.every((p) => !isObject(p))) {
    const out = [...live];
    for (const p of patch) if (!out.some((o) => JSON.stringify(o) === JSON.stringify(p))) out.push(p);
    return out;
  }
  const key = mergeKeyFor(field, [...live, ...patch]);
  if (!key || !patch.every((p) => isObject(p))) return clone(patch);
  const out = clone(live);
  for (const p of patch as JsonObject[]) {
    if (p.$patch === 'replace') return clone(patch.filter((x) => !(isObject(x) && x.$patch)));
    const k = keyOf(p, key);
    const idx = k === undefined ? -1 : out.findIndex((o) => keyOf(o, key) === k);
    if (p.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = strategicMerge(out[idx]!, p);
    else out.push(strategicMerge({}, p));
  }
  return out;
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

export function strategicMerge(live: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _, ...rest } = patch;
    return clone(rest);
  }
  if (patch.$patch === 'delete') return {};
  let out: JsonObject = isObject(live) ? { ...live } : {};
  const retainKeys = Array.isArray(patch.$retainKeys) ? (patch.$retainKeys as string[]) : undefined;
  const orders: [string, Json[]][] = [];
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys') continue;
    if (k.startsWith('$setElementOrder/')) {
      if (Array.isArray(v)) orders.push([k.slice('$setElementOrder/'.length), v]);
      continue;
    }
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const cur = out[field];
      if (Array.isArray(cur) && Array.isArray(v)) {
        const drop = new Set(v.map((x) => JSON.stringify(x)));
        out[field] = cur.filter((x) => !drop.has(JSON.stringify(x)));
      }
      continue;
    }
    if (v === null) {
      delete out[k];
    } else if (Array.isArray(v)) {
      const cur = out[k];
      out[k] = mergeList(k, Array.isArray(cur) ? cur : [], v);
    } else if (isObject(v)) {
      out[k] = strategicMerge(out[k] ?? null, v);
    } else {
      out[k] = v;
    }
  }
  for (const [field, order] of orders) {
    const cur = out[field];
    if (Array.isArray(cur)) out[field] = applyOrder(cur, order, field);
  }
  if (retainKeys) {
    out = Object.fromEntries(Object.entries(out).filter(([k]) => retainKeys.includes(k)));
  }
  return out;
}
