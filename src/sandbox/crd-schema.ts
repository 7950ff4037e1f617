import type { KubeObject } from '../core/types.js';
import {
  customResourceCauses,
  defaultCustomResource,
  type JsonSchema,
  pruneCustomResource,
} from './crd-schema-values.js';
import type { Cause } from './validation/field-errors.js';

export { customResourceCauses, defaultCustomResource, type JsonSchema, pruneCustomResource };

/**
 * CustomResourceDefinition structural schemas (apiextensions.k8s.io/v1), as the real server applies them.
 *
 * Integration (resource-service.ts), for a def with `crdName` (the CRD is in the store under
 * `apiextensions.k8s.io/customresourcedefinitions`), with `schema = versionSchema(crd, storageVersion)`:
 * - CRD create/update: `crdSchemaCauses(crd)` joins the causes of object-rules.ts crdCauses (one 422).
 * - CR create, after `coerceBody` and before `validateCreate`: `pruneCustomResource(schema, obj)` (its result is
 *   the `unknown field` list: warnings, or the 400 of fieldValidation=Strict), `defaultCustomResource(schema,
 *   obj)`, then `prepareCustomResourceCreate(obj, statusSubresource)`, then `customResourceCauses(schema, obj)`
 *   → `apiErrors.invalid(def.group, def.kind, name, causes)` when any.
 * - CR update/patch/apply, in `commitUpdate` before `validateUpdate`: prune and default `next` the same way,
 *   then `next = prepareCustomResourceUpdate(old, next, { statusSubresource, target })` where target is
 *   'status' for a request on the /status subresource (request-info's `subresource`, which the router must
 *   pass down to the service as a WriteOptions field) and 'main' otherwise, then `customResourceCauses`.
 *   Generation: `customResourceGenerationBumps(old, next)` instead of object-rules.ts specChanged (a CR
 *   without status subresource bumps on a status change too).
 * The real server also defaults on every read from etcd; the sandbox defaults on write only, so a `default:`
 * added to a CRD later does not show on objects stored before.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

interface CrdVersion {
  name: string;
  served?: boolean;
  schema?: { openAPIV3Schema?: JsonSchema };
  subresources?: { status?: unknown; scale?: unknown };
}

function versionsOf(crd: KubeObject): CrdVersion[] {
  const spec = isObj(crd.spec) ? crd.spec : {};
  return Array.isArray(spec.versions) ? (spec.versions.filter(isObj) as unknown as CrdVersion[]) : [];
}

/** The openAPIV3Schema of one version of the CRD, or undefined when it has none. */
export function versionSchema(crd: KubeObject, version: string): JsonSchema | undefined {
  const schema = versionsOf(crd).find((v) => v.name === version)?.schema?.openAPIV3Schema;
  return isObj(schema) ? schema : undefined;
}

/** True when the version serves a /status subresource (`subresources.status: {}`). */
export function hasStatusSubresource(crd: KubeObject, version: string): boolean {
  return isObj(versionsOf(crd).find((v) => v.name === version)?.subresources?.status);
}

type Level = 'root' | 'item' | 'field';

/**
 * The structural-schema rules of apiextensions-apiserver pkg/apiserver/schema/validation.go
 * (validateStructuralInvariants, validateGeneric, validateExtensions) and the OpenAPI checks of
 * pkg/apis/apiextensions/validation/validation.go that refuse a schema ($ref, properties with
 * additionalProperties, uniqueItems). `fld` is the schema's path, e.g. spec.versions[0].schema.openAPIV3Schema.
 */
function structuralCauses(s: JsonSchema, lvl: Level, fld: string, out: Cause[]): void {
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const embedded = s['x-kubernetes-embedded-resource'] === true;
  if (s.$ref !== undefined) out.push(forbidden(`${fld}.$ref`, '$ref is not supported'));
  if (s.uniqueItems === true) {
    out.push(
      forbidden(
        `${fld}.uniqueItems`,
        'uniqueItems cannot be set to true since the runtime complexity becomes quadratic',
      ),
    );
  }
  if (
    s.additionalProperties !== undefined &&
    s.properties !== undefined &&
    Object.keys(s.properties).length > 0
  )
    out.push(
      forbidden(`${fld}.additionalProperties`, 'additionalProperties and properties are mutual exclusive'),
    );
  if (s.type === 'array' && s.items === undefined)
    out.push({
      field: `${fld}.items`,
      message: 'Required value: must be specified',
      type: 'FieldValueRequired',
    });
  if (isObj(s.items)) structuralCauses(s.items, 'item', `${fld}.items`, out);
  for (const [k, v] of Object.entries(s.properties ?? {}))
    if (isObj(v)) structuralCauses(v, 'field', `${fld}.properties[${k}]`, out);
  if (isObj(s.additionalProperties)) {
    if (lvl === 'root') out.push(forbidden(`${fld}.additionalProperties`, 'must not be used at the root'));
    structuralCauses(s.additionalProperties, 'field', `${fld}.additionalProperties`, out);
  }
  if (intOrString && preserve) {
    out.push(
      invalidCause(
        `${fld}.x-kubernetes-preserve-unknown-fields`,
        true,
        'must be false if x-kubernetes-int-or-string is true',
      ),
    );
  }
  if (embedded && s.type !== 'object') {
    if (!s.type)
      out.push({
        field: `${fld}.type`,
        message: 'Required value: must be object if x-kubernetes-embedded-resource is true',
        type: 'FieldValueRequired',
      });
    else
      out.push(
        invalidCause(`${fld}.type`, s.type, 'must be object if x-kubernetes-embedded-resource is true'),
      );
  } else if (!s.type && !intOrString && !preserve) {
    const detail =
      lvl === 'root'
        ? 'must not be empty at the root'
        : lvl === 'item'
          ? 'must not be empty for specified array items'
          : 'must not be empty for specified object fields';
    out.push({ field: `${fld}.type`, message: `Required value: ${detail}`, type: 'FieldValueRequired' });
  }
  if (lvl === 'root' && s.type && s.type !== 'object')
    out.push(invalidCause(`${fld}.type`, s.type, 'must be object at the root'));
  const metadata = s.properties?.metadata;
  if (isObj(metadata) && (lvl === 'root' || embedded) && metadata.type !== 'object')
    out.push(invalidCause(`${fld}.properties[metadata].type`, metadata.type ?? '', 'must be object'));
  if (isObj(metadata) && lvl === 'root') {
    const { type: _t, properties, ...rest } = metadata;
    const props = Object.keys(properties ?? {});
    const onlyNames = props.every((p) => p === 'name' || p === 'generateName');
    const extra = Object.keys(rest).filter((k) => k !== 'description' && k !== 'default');
    if (!onlyNames || extra.length > 0) {
      out.push(
        forbidden(
          `${fld}.properties[metadata]`,
          'must not specify anything other than name and generateName, but metadata is implicitly specified',
        ),
      );
    }
  }
  if (embedded && !preserve && Object.keys(s.properties ?? {}).length === 0) {
    out.push({
      field: `${fld}.properties`,
      message:
        'Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields',
      type: 'FieldValueRequired',
    });
  }
  if (s.default !== undefined && lvl !== 'root') {
    // a default must itself validate against its schema (validation.go validateDefaults)
    for (const c of customResourceCauses({ type: 'object', properties: { v: s } }, { v: s.default }))
      out.push({ ...c, field: `${fld}.default`, message: c.message.replaceAll('v in body', 'in body') });
  }
}

function forbidden(field: string, detail: string): Cause {
  return { field, message: `Forbidden: ${detail}`, type: 'FieldValueForbidden' };
}

function invalidCause(field: string, value: unknown, detail: string): Cause {
  return { field, message: `Invalid value: ${JSON.stringify(value)}: ${detail}`, type: 'FieldValueInvalid' };
}

/**
 * The schema causes of a v1 CRD create/update: every version needs `schema.openAPIV3Schema` (field.Required
 * "schemas are required", pkg/apis/apiextensions/validation/validation.go), which must be structural;
 * `spec.preserveUnknownFields: true` is refused in v1.
 */
export function crdSchemaCauses(crd: KubeObject): Cause[] {
  const out: Cause[] = [];
  const spec = isObj(crd.spec) ? crd.spec : {};
  if (spec.preserveUnknownFields === true) {
    out.push(
      invalidCause(
        'spec.preserveUnknownFields',
        true,
        'cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead',
      ),
    );
  }
  versionsOf(crd).forEach((v, i) => {
    const fld = `spec.versions[${i}].schema.openAPIV3Schema`;
    const schema = v.schema?.openAPIV3Schema;
    if (!isObj(schema)) {
      out.push({ field: fld, message: 'Required value: schemas are required', type: 'FieldValueRequired' });
      return;
    }
    structuralCauses(schema, 'root', fld, out);
  });
  return out;
}

/** customResourceStrategy.PrepareForCreate: with a status subresource, a create cannot set status. */
export function prepareCustomResourceCreate(obj: KubeObject, statusSubresource: boolean): KubeObject {
  if (statusSubresource) delete obj.status;
  return obj;
}

/**
 * The object to store for an update of a custom resource (registry/customresource strategy.go and
 * status_strategy.go PrepareForUpdate):
 * - main resource with a status subresource: everything but `status`, which stays the old one;
 * - /status: the old object with only `status` (and `managedFields`) taken from the request; metadata labels,
 *   annotations, finalizers and spec changes sent to /status are ignored;
 * - no status subresource: the object as sent (status is an ordinary field).
 */
export function prepareCustomResourceUpdate(
  old: KubeObject,
  next: KubeObject,
  opts: { statusSubresource: boolean; target: 'main' | 'status' },
): KubeObject {
  if (opts.target === 'status') {
    const stored = structuredClone(old);
    if (next.metadata.managedFields !== undefined)
      stored.metadata.managedFields = next.metadata.managedFields;
    if (next.status !== undefined) stored.status = next.status;
    else delete stored.status;
    return stored;
  }
  if (opts.statusSubresource) {
    if (old.status !== undefined) next.status = structuredClone(old.status);
    else delete next.status;
  }
  return next;
}

/** customResourceStrategy.PrepareForUpdate: any change outside `metadata` bumps the generation. */
export function customResourceGenerationBumps(old: KubeObject, next: KubeObject): boolean {
  const strip = (o: KubeObject) => {
    const { metadata: _m, ...rest } = o;
    return JSON.stringify(sortKeys(rest));
  };
  return strip(old) !== strip(next);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isObj(v)) return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sortKeys(v[k])]),
  );
}
