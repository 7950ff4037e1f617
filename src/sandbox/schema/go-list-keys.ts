import type { JsonObject } from '../json-patches.js';
import type { ListKeys } from '../managed-fields.js';
import { ATOMIC_STRUCTS } from './go-types.generated.js';
import { type GoField, type GoType, jsonFields, kindStruct } from './go-types.js';

/**
 * How a built-in kind's lists merge and are keyed in managedFields (structured-merge-diff's schema of k8s.io/api):
 * `+listType` and `+listMapKey` where the type says; otherwise a list with patchStrategy merge is keyed by its
 * patchMergeKey (a set when it has none), anything else is atomic. A key field with a `+default` keys an item that
 * omits it by the default (`ports` without protocol is `protocol: "TCP"`).
 */
export function goListKeys(def: { group: string; kind: string; crdName?: string }): ListKeys | undefined {
  const root = kindStruct(def);
  if (!root) return undefined;
  const keys: ListKeys = (path) => {
    const f = fieldOf(root, path);
    if (!f) return { type: 'atomic' };
    const item = elementStruct(f.type);
    const defaults = (keys: string[]): JsonObject => {
      const out: JsonObject = {};
      if (!item) return out;
      const fields = jsonFields(item);
      for (const k of keys) {
        const d = fields.get(k)?.default;
        if (d !== undefined) out[k] = d as JsonObject[string];
      }
      return out;
    };
    if (f.listType === 'set') return { type: 'set' };
    if (f.listType === 'map' && f.listMapKeys)
      return { type: 'map', keys: f.listMapKeys, defaults: defaults(f.listMapKeys) };
    if (f.listType === 'atomic') return { type: 'atomic' };
    if (f.patchStrategy?.split(',').includes('merge')) {
      if (f.patchMergeKey)
        return { type: 'map', keys: [f.patchMergeKey], defaults: defaults([f.patchMergeKey]) };
      return { type: 'set' };
    }
    return { type: 'atomic' };
  };
  keys.atomicObject = (path) => {
    const f = fieldOf(root, path);
    if (!f) return false;
    if (f.atomic) return true;
    const t = f.type.k === 'ptr' ? f.type.of : f.type;
    return t.k === 'struct' && ATOMIC_STRUCTS.includes(t.name);
  };
  return keys;
}

function elementStruct(t: GoType): string | undefined {
  let cur = t;
  while (cur.k === 'ptr' || cur.k === 'list') cur = cur.of;
  return cur.k === 'struct' ? cur.name : undefined;
}

/** the field at a path of field names from the kind's struct (list items transparent) */
function fieldOf(root: string, path: string[]): GoField | undefined {
  let struct: string | undefined = root;
  let field: GoField | undefined;
  for (const name of path) {
    if (!struct) return undefined;
    field = jsonFields(struct).get(name);
    if (!field) return undefined;
    struct = elementStruct(field.type);
  }
  return field;
}
