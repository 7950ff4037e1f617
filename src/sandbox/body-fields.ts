import type { KubeObject } from '../core/types.js';
import { apiErrors } from './api-error.js';
import { duplicatesOf } from './body-codec.js';
import {
  customResourceCauses,
  defaultCustomResource,
  hasStatusSubresource,
  type JsonSchema,
  pruneCustomResource,
  versionSchema,
} from './crd-schema.js';
import type { JsonObject } from './json-patches.js';
import type { ObjectStore } from './object-store.js';
import type { ResourceDef } from './resource-def.js';
import type { WriteOptions } from './resource-service.js';
import { goShapedMeta } from './schema/go-shape.js';
import { dropUnknownFields } from './validation/known-fields.js';

/**
 * What a write's body becomes before its kind validates it: the fields the type does not have are dropped and reported
 * as `fieldValidation` asks (built-ins: validation/known-fields.ts; custom resources: structural pruning), a custom
 * resource is defaulted from its schema and its metadata decoded as ObjectMeta, then checked against its schema.
 */

/** What a write of a custom resource needs from its CRD: the storage version's schema and subresources. */
export interface CustomResourceRules {
  schema: JsonSchema | undefined;
  statusSubresource: boolean;
}

/** The CRD's rules for a custom resource's writes; undefined for built-ins. */
export function customResourceRules(store: ObjectStore, def: ResourceDef): CustomResourceRules | undefined {
  if (def.crdName === undefined) return undefined;
  const crd = store.get('apiextensions.k8s.io/customresourcedefinitions', undefined, def.crdName);
  const version = def.versions[0]!;
  if (!crd) return { schema: undefined, statusSubresource: def.statusSubresource };
  return { schema: versionSchema(crd, version), statusSubresource: hasStatusSubresource(crd, version) };
}

/**
 * Unknown fields of a built-in kind (validation/known-fields.ts; kinds it does not describe keep every field): the
 * decoder drops them, and fieldValidation says what the client hears (handlers/rest.go, create.go, update.go,
 * patch.go): Warn (the default) a `unknown field "<path>"` warning each, Ignore nothing, Strict a 400
 * `strict decoding error` for a body, the 422 `patch: Invalid value` of handlers/patch.go for a patch result.
 */
export function reportUnknownFields(
  def: ResourceDef,
  obj: KubeObject,
  body: JsonObject,
  opts: WriteOptions,
  from: 'body' | 'patch',
): void {
  const unknown = dropUnknownFields(def, obj as unknown as JsonObject);
  const duplicates = from === 'body' ? duplicatesOf(body) : [];
  if (unknown.length === 0 && duplicates.length === 0) return;
  const mode = opts.fieldValidation ?? 'Warn';
  const texts = [
    ...duplicates.map((f) => `duplicate field ${JSON.stringify(f)}`),
    ...unknown.map((f) => `unknown field ${JSON.stringify(f.path)}`),
  ];
  if (mode === 'Warn') opts.warnings?.push(...texts);
  if (mode !== 'Strict') return;
  const strict = `strict decoding error: ${texts.join(', ')}`;
  if (from === 'body') {
    const version = opts.version ?? def.versions[0]!;
    throw apiErrors.badRequest(
      `${def.kind} in version "${version}" cannot be handled as a ${def.kind}: ${strict}`,
    );
  }
  throw apiErrors.invalid('', '', '', [
    {
      field: 'patch',
      message: `Invalid value: ${JSON.stringify(opts.patchedText ?? JSON.stringify(body))}: ${strict}`,
    },
  ]);
}

/**
 * Structural pruning and `default:` of a custom resource (apiextensions-apiserver customresource_handler.go:
 * the unstructured decoder prunes, then defaults). Pruned fields are what fieldValidation reports: a warning
 * per field (Warn, the default), nothing (Ignore), or a 400 strict decoding error (Strict).
 */
export function pruneAndDefault(
  def: ResourceDef,
  cr: CustomResourceRules,
  obj: KubeObject,
  opts: WriteOptions,
): void {
  const shapeMeta = () => {
    obj.metadata = goShapedMeta(obj.metadata as Record<string, unknown>) as KubeObject['metadata'];
  };
  if (!cr.schema) {
    shapeMeta();
    return;
  }
  const pruned = pruneCustomResource(cr.schema, obj as unknown as JsonObject);
  if (pruned.length > 0) {
    const mode = opts.fieldValidation ?? 'Warn';
    if (mode === 'Strict') {
      const fields = pruned.map((f) => `unknown field "${f}"`).join(', ');
      // a patch result is decoded by handlers/patch.go, which answers a strict error as 422 `patch: Invalid value`
      if (opts.patchedObject !== undefined)
        throw apiErrors.invalid('', '', '', [
          {
            field: 'patch',
            message: `Invalid value: ${JSON.stringify(opts.patchedText ?? JSON.stringify(opts.patchedObject))}: strict decoding error: ${fields}`,
          },
        ]);
      throw apiErrors.badRequest(
        `${def.kind} in version "${opts.version ?? def.versions[0]!}" cannot be handled as a ${def.kind}: strict decoding error: ${fields}`,
      );
    }
    if (mode === 'Warn') opts.warnings?.push(...pruned.map((f) => `unknown field "${f}"`));
  }
  defaultCustomResource(cr.schema, obj as unknown as JsonObject);
  shapeMeta();
}

export function throwIfInvalidCustomResource(
  def: ResourceDef,
  cr: CustomResourceRules,
  obj: KubeObject,
): void {
  if (!cr.schema) return;
  const causes = customResourceCauses(cr.schema, obj as unknown as JsonObject);
  if (causes.length > 0) throw apiErrors.invalid(def.group, def.kind, obj.metadata.name ?? '', causes);
}
