import type { Cause } from './validation/field-errors.js';
import { goValue } from './validation/field-errors.js';

/**
 * What a CustomResourceDefinition's structural schema does to a custom resource, value by value:
 * pruning (apiextensions-apiserver pkg/apiserver/schema/pruning/algorithm.go with the ObjectMeta coercion of
 * pkg/apiserver/schema/objectmeta/coerce.go), defaulting (pkg/apiserver/schema/defaulting/algorithm.go and
 * prunenulls.go) and validation (pkg/apiserver/validation/validation.go kubeOpenAPIResultToFieldErrors over
 * kube-openapi's pkg/validation/validate and the message formats of pkg/validation/errors).
 */

export interface JsonSchema {
  type?: string;
  format?: string;
  description?: string;
  nullable?: boolean;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  required?: string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  uniqueItems?: boolean;
  allOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  not?: JsonSchema;
  $ref?: string;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  [key: string]: unknown;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The fields of metav1.ObjectMeta: anything else under a resource's `metadata` is dropped on decode. */
const OBJECT_META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

function coerceObjectMeta(meta: unknown, path: string, pruned: string[]): void {
  if (!isObj(meta)) return;
  for (const k of Object.keys(meta)) {
    if (!OBJECT_META_FIELDS.has(k)) {
      delete meta[k];
      pruned.push(`${path}.${k}`);
    }
  }
}

const join = (path: string, key: string) => (path === '' ? key : `${path}.${key}`);

function pruneValue(
  x: unknown,
  s: JsonSchema | undefined,
  root: boolean,
  path: string,
  pruned: string[],
): void {
  if (Array.isArray(x)) {
    x.forEach((item, i) => {
      pruneValue(item, s?.items, false, `${path}[${i}]`, pruned);
    });
    return;
  }
  if (!isObj(x) || !s) return;
  const resourceRoot = root || s['x-kubernetes-embedded-resource'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  const additional = s.additionalProperties;
  for (const k of Object.keys(x)) {
    if (resourceRoot && (k === 'apiVersion' || k === 'kind')) continue;
    if (resourceRoot && k === 'metadata') {
      coerceObjectMeta(x[k], join(path, k), pruned);
      continue;
    }
    const prop = s.properties?.[k];
    if (prop) pruneValue(x[k], prop, false, join(path, k), pruned);
    else if (isObj(additional)) pruneValue(x[k], additional, false, join(path, k), pruned);
    else if (!preserve && additional !== true) {
      delete x[k];
      pruned.push(join(path, k));
    }
  }
}

/**
 * Drops every field the schema does not specify, in place; returns the dropped paths (`spec.foo`), which the
 * real server reports as `unknown field "spec.foo"` warnings (or a 400 with fieldValidation=Strict).
 * `apiVersion`, `kind` and the ObjectMeta fields of `metadata` are kept at the root and in
 * `x-kubernetes-embedded-resource` objects; `x-kubernetes-preserve-unknown-fields` keeps unknown fields
 * (while still pruning inside the fields it specifies).
 */
export function pruneCustomResource(schema: JsonSchema, obj: Obj): string[] {
  const pruned: string[] = [];
  pruneValue(obj, schema, true, '', pruned);
  return pruned;
}

function defaultValue(x: unknown, s: JsonSchema | undefined): void {
  if (!s) return;
  if (Array.isArray(x)) {
    for (const item of x) defaultValue(item, s.items);
    return;
  }
  if (!isObj(x)) return;
  for (const [k, prop] of Object.entries(s.properties ?? {})) {
    const v = x[k];
    if (prop.default !== undefined && (v === undefined || (v === null && prop.nullable !== true)))
      x[k] = structuredClone(prop.default);
    else if (v === null && prop.nullable !== true) delete x[k]; // PruneNonNullableNullsWithoutDefaults
  }
  for (const [k, v] of Object.entries(x)) {
    const prop = s.properties?.[k] ?? (isObj(s.additionalProperties) ? s.additionalProperties : undefined);
    if (!prop) continue;
    if (v === null && prop.nullable !== true && !s.properties?.[k]) {
      if (prop.default !== undefined) x[k] = structuredClone(prop.default);
      else delete x[k];
    }
    defaultValue(x[k], prop);
  }
}

/**
 * Applies `default:` values in place: an absent field (or a null one that is not `nullable`) gets a copy of its
 * default, then defaults inside it apply too; a non-nullable null without a default is dropped. The real server
 * defaults on decode of a request and again when reading from etcd (so a default added to the CRD later shows on
 * old objects); the sandbox defaults on write only.
 */
export function defaultCustomResource(schema: JsonSchema, obj: Obj): void {
  defaultValue(obj, schema);
}

/** kube-openapi's name for a JSON value's type. */
function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'boolean') return 'boolean';
  return typeof v === 'string' ? 'string' : 'object';
}

function typeMatches(s: JsonSchema, v: unknown): boolean {
  if (v === null) return s.nullable === true;
  if (s['x-kubernetes-int-or-string']) return typeof v === 'string' || Number.isInteger(v);
  const t = jsonType(v);
  if (!s.type) return true;
  return s.type === t || (s.type === 'number' && t === 'integer');
}

const invalid = (field: string, value: unknown, detail: string, type = 'FieldValueInvalid'): Cause => ({
  field,
  message: `Invalid value: ${goValue(value)}: ${detail}`,
  type,
});

function validateValue(v: unknown, s: JsonSchema, path: string, root: boolean, out: Cause[]): void {
  const name = path === '' ? '.' : path;
  if (!typeMatches(s, v)) {
    const want = s['x-kubernetes-int-or-string'] ? 'integer,string' : (s.type ?? '');
    const got = jsonType(v);
    out.push(
      invalid(name, got, `${name} in body must be of type ${want}: "${got}"`, 'FieldValueTypeInvalid'),
    );
    // kube-openapi's type validator also reports a fraction for an integer as a pathless error
    if (s.type === 'integer' && got === 'number')
      out.push({
        field: '<nil>',
        message: `Invalid value: "": Checked value must be of type integer (${s.format ? `format ${s.format}` : 'default format'}) in ${name}`,
        type: 'FieldValueInvalid',
      });
    return;
  }
  if (v === null) return;
  if (s.enum && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) {
    const supported = s.enum.map((e) => `"${typeof e === 'string' ? e : JSON.stringify(e)}"`).join(', ');
    out.push({
      field: name,
      message: `Unsupported value: ${goValue(v)}: supported values: ${supported}`,
      type: 'FieldValueNotSupported',
    });
  }
  if (typeof v === 'number') {
    if (s.minimum !== undefined && (s.exclusiveMinimum ? v <= s.minimum : v < s.minimum)) {
      const op = s.exclusiveMinimum ? 'greater than' : 'greater than or equal to';
      out.push(invalid(name, v, `${name} in body should be ${op} ${s.minimum}`));
    }
    if (s.maximum !== undefined && (s.exclusiveMaximum ? v >= s.maximum : v > s.maximum)) {
      const op = s.exclusiveMaximum ? 'less than' : 'less than or equal to';
      out.push(invalid(name, v, `${name} in body should be ${op} ${s.maximum}`));
    }
    if (s.multipleOf !== undefined && s.multipleOf !== 0 && !Number.isInteger(v / s.multipleOf))
      out.push(invalid(name, v, `${name} in body should be a multiple of ${s.multipleOf}`));
  }
  if (typeof v === 'string') {
    const length = [...v].length;
    if (s.maxLength !== undefined && length > s.maxLength) {
      out.push({
        field: name,
        message: `Too long: may not be more than ${s.maxLength} bytes`,
        type: 'FieldValueTooLong',
      });
    }
    if (s.minLength !== undefined && length < s.minLength)
      out.push(invalid(name, v, `${name} in body should be at least ${s.minLength} chars long`));
    if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(v))
      out.push(invalid(name, v, `${name} in body should match '${s.pattern}'`));
  }
  if (Array.isArray(v)) {
    if (s.maxItems !== undefined && v.length > s.maxItems) {
      out.push({
        field: name,
        message: `Too many: ${v.length}: must have at most ${s.maxItems} items`,
        type: 'FieldValueTooMany',
      });
    }
    if (s.minItems !== undefined && v.length < s.minItems)
      out.push(invalid(name, v.length, `${name} in body should have at least ${s.minItems} items`));
    if (s.items)
      for (const [i, item] of v.entries()) validateValue(item, s.items, `${path}[${i}]`, false, out);
    out.push(...listTypeCauses(v, s, path));
  }
  if (isObj(v)) {
    const keys = Object.keys(v);
    if (s.maxProperties !== undefined && keys.length > s.maxProperties) {
      out.push({
        field: name,
        message: `Too many: ${keys.length}: must have at most ${s.maxProperties} items`,
        type: 'FieldValueTooMany',
      });
    }
    if (s.minProperties !== undefined && keys.length < s.minProperties)
      out.push(
        invalid(name, keys.length, `${name} in body should have at least ${s.minProperties} properties`),
      );
    for (const req of s.required ?? []) {
      if (v[req] === undefined)
        out.push({ field: join(path, req), message: 'Required value', type: 'FieldValueRequired' });
    }
    const resourceRoot = root || s['x-kubernetes-embedded-resource'] === true;
    for (const [k, child] of Object.entries(v)) {
      if (resourceRoot && k === 'metadata') continue; // ObjectMeta is validated by the generic object-meta rules
      const prop = s.properties?.[k] ?? (isObj(s.additionalProperties) ? s.additionalProperties : undefined);
      if (prop && child !== undefined) validateValue(child, prop, join(path, k), false, out);
    }
  }
  for (const sub of s.allOf ?? []) validateValue(v, { ...sub, type: sub.type ?? s.type }, path, false, out);
}

/**
 * x-kubernetes-list-type invariants (apiextensions-apiserver validation listtype): a set holds no value twice, a map
 * no two items with the same keys; each repeat is a Duplicate on its index, quoting the value or the keys.
 */
function listTypeCauses(v: unknown[], s: JsonSchema, path: string): Cause[] {
  const type = s['x-kubernetes-list-type'];
  const keys = s['x-kubernetes-list-map-keys'];
  const causes: Cause[] = [];
  const seen = new Set<string>();
  v.forEach((item, i) => {
    let id: string;
    let shown: unknown;
    if (type === 'set') [id, shown] = [JSON.stringify(item), item];
    else if (type === 'map' && Array.isArray(keys) && isObj(item)) {
      const picked = Object.fromEntries(keys.map((k) => [String(k), item[String(k)]]));
      [id, shown] = [JSON.stringify(picked), picked];
    } else return;
    if (seen.has(id))
      causes.push({
        field: `${path}[${i}]`,
        message: `Duplicate value: ${goValue(shown)}`,
        type: 'FieldValueDuplicate',
      });
    seen.add(id);
  });
  return causes;
}

/**
 * The schema's causes against a (pruned and defaulted) custom resource, with the real server's field paths
 * and messages (`spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer:
 * "string"`); the server answers them as one 422 Invalid (api-error.ts apiErrors.invalid).
 * Not checked: `format`, `anyOf`/`oneOf`/`not`, `x-kubernetes-validations` (CEL).
 */
export function customResourceCauses(schema: JsonSchema, obj: Obj): Cause[] {
  const out: Cause[] = [];
  validateValue(obj, schema, '', true, out);
  return out;
}
