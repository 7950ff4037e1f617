import type { ResourceDef } from '../resource-registry.js';
import { goListKeys } from '../schema/go-list-keys.js';
import { type GoType, jsonFields, kindStruct } from '../schema/go-types.js';

/**
 * The fields the Go types of the built-in kinds have (schema/go-types.ts, from k8s.io/api's json tags): what the
 * strict JSON decoder (sigs.k8s.io/json UnmarshalStrict, used by the apiserver's serializer with fieldValidation)
 * reports as `unknown field "<path>"` and what the plain decoder silently drops. Custom resources are pruned by their
 * schema instead (crd-schema.ts).
 */

/** true when the sandbox describes the kind's fields (so unknown ones are dropped and reported) */
export function describesFields(def: ResourceDef): boolean {
  return kindStruct(def) !== undefined;
}

export interface UnknownField {
  /** the strict decoder's path: `spec.bogus`, `spec.ports[0].bogus` */
  path: string;
  /** structured-merge-diff's path of the same field: `.spec.bogus`, `.spec.ports[port=80,protocol="TCP"].bogus` */
  smdPath: string;
}

type Keys = ReturnType<NonNullable<ReturnType<typeof goListKeys>>>;

function itemPath(lt: Keys | undefined, item: unknown, index: number): { path: string; smd: string } {
  const path = `[${index}]`;
  if (lt?.type !== 'map' || item === null || typeof item !== 'object') return { path, smd: path };
  const o = item as Record<string, unknown>;
  const parts = lt.keys.map((k) => `${k}=${JSON.stringify(o[k] ?? lt.defaults?.[k] ?? null)}`);
  return { path, smd: `[${parts.join(',')}]` };
}

interface Walk {
  out: UnknownField[];
  keys: NonNullable<ReturnType<typeof goListKeys>>;
}

function walk(v: unknown, t: GoType, path: string, smd: string, fieldPath: string[], w: Walk): void {
  if (v === null || typeof v !== 'object') return;
  switch (t.k) {
    case 'ptr':
      walk(v, t.of, path, smd, fieldPath, w);
      return;
    case 'list': {
      if (!Array.isArray(v)) return;
      const lt = w.keys(fieldPath);
      v.forEach((item, i) => {
        const p = itemPath(lt, item, i);
        walk(item, t.of, `${path}${p.path}`, `${smd}${p.smd}`, fieldPath, w);
      });
      return;
    }
    case 'map':
      return;
    case 'scalar':
      return;
    default: {
      if (Array.isArray(v)) return;
      const o = v as Record<string, unknown>;
      const fields = jsonFields(t.name);
      for (const k of Object.keys(o)) {
        const childPath = path ? `${path}.${k}` : k;
        const childSmd = `${smd}.${k}`;
        const f = fields.get(k);
        if (!f) {
          w.out.push({ path: childPath, smdPath: childSmd });
          delete o[k];
          continue;
        }
        walk(o[k], f.type, childPath, childSmd, [...fieldPath, k], w);
      }
    }
  }
}

/**
 * Drops (in place) the fields of a built-in object that its Go type does not have and returns them in document
 * order; nothing for kinds the sandbox does not describe.
 */
export function dropUnknownFields(def: ResourceDef, body: Record<string, unknown>): UnknownField[] {
  const root = kindStruct(def);
  const keys = goListKeys(def);
  if (!root || !keys) return [];
  const out: UnknownField[] = [];
  const { apiVersion: _a, kind: _k, ...rest } = body;
  walk(rest, { k: 'struct', name: root }, '', '', [], { out, keys });
  for (const k of Object.keys(body)) if (k !== 'apiVersion' && k !== 'kind' && !(k in rest)) delete body[k];
  return out;
}
