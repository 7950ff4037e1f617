import type { ObjectMeta } from '../../core/types.js';
import type { ResourceDef } from '../resource-registry.js';
import {
  type Cause,
  fieldErrors,
  goValue,
  isDns1123Label,
  isDns1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
} from './field-errors.js';

/**
 * ObjectMeta validation as k8s.io/apimachinery/pkg/api/validation/objectmeta.go (ValidateObjectMetaAccessor,
 * ValidateObjectMetaAccessorUpdate, ValidateAnnotations with its 256 KiB total, ValidateOwnerReferences,
 * ValidateFinalizers), pkg/apis/meta/v1/validation/validation.go (ValidateLabels) and the core flavour of
 * pkg/apis/core/validation (ValidateObjectMeta: finalizer names without a `/` must be standard ones), which most
 * groups' validation calls; rbac, coordination and admissionregistration call the apimachinery one.
 */
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

/** which ObjectMeta validation the kind's strategy runs: core's, apimachinery's, or none (the generic one only) */
export type MetaFlavour = 'core' | 'generic' | 'none';

const GENERIC_GROUPS = new Set([
  'rbac.authorization.k8s.io',
  'coordination.k8s.io',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
]);

export function metaFlavour(def: Pick<ResourceDef, 'group' | 'kind' | 'crdName'>): MetaFlavour {
  if (def.crdName !== undefined) return 'generic';
  // the PodDisruptionBudget strategy validates no ObjectMeta; the Event strategy only for events.k8s.io writes, where
  // events validation (other-kinds.ts) calls it itself
  if (def.group === 'policy' || def.kind === 'Event') return 'none';
  return GENERIC_GROUPS.has(def.group) ? 'generic' : 'core';
}

type NameFn = (name: string, prefix: boolean) => string[];

/** apimachinery api/validation/generic.go: a prefix (generateName) may end in '-' */
const maskTrailingDash = (name: string) =>
  name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name;
const nameIs =
  (check: (v: string) => string[]): NameFn =>
  (name, prefix) =>
    check(prefix ? maskTrailingDash(name) : name);

/** path.IsValidPathSegmentName: what every name must be, whatever the kind (rest/create.go validatePathSegment) */
function pathSegment(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  const errs: string[] = [];
  for (const illegal of ['/', '%']) if (name.includes(illegal)) errs.push(`may not contain '${illegal}'`);
  return errs;
}

/** the kind's name rule (each strategy's ValidateXName) */
export function nameFnOf(def: ResourceDef): NameFn {
  // Service names are DNS-1123 labels since RelaxedServiceNameValidation (GA in 1.37), like the Namespace rule
  if (def.nameRule === 'label') return nameIs(isDns1123Label);
  return nameIs(isDns1123Subdomain);
}

export function labelCauses(labels: Record<string, unknown> | undefined, field = 'metadata.labels'): Cause[] {
  const causes: Cause[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const m of isQualifiedName(k)) causes.push(fieldErrors.invalid(field, k, m));
    for (const m of isValidLabelValue(String(v ?? ''))) causes.push(fieldErrors.invalid(field, v, m));
  }
  return causes;
}

export function annotationCauses(
  annotations: Record<string, unknown> | undefined,
  field = 'metadata.annotations',
): Cause[] {
  const causes: Cause[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    // the rule is QualifiedName except that case does not matter
    for (const m of isQualifiedName(k.toLowerCase())) causes.push(fieldErrors.invalid(field, k, m));
    size += Buffer.byteLength(k) + Buffer.byteLength(String(v ?? ''));
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT)
    causes.push(fieldErrors.tooLong(field, TOTAL_ANNOTATION_SIZE_LIMIT));
  return causes;
}

interface OwnerReference {
  apiVersion?: string;
  kind?: string;
  name?: string;
  uid?: string;
  controller?: boolean;
}

/** Go's %v of an OwnerReference value, as a cause quotes it */
const ownerValue = (r: OwnerReference) =>
  `{${r.apiVersion ?? ''} ${r.kind ?? ''} ${r.name ?? ''} ${r.uid ?? ''} <nil> <nil>}`;

function ownerReferenceCauses(refs: OwnerReference[], field = 'metadata.ownerReferences'): Cause[] {
  const causes: Cause[] = [];
  let firstController = '';
  refs.forEach((ref, i) => {
    const at = `${field}[${i}]`;
    const apiVersion = ref.apiVersion ?? '';
    const parts = apiVersion.split('/');
    if (apiVersion === '') causes.push(fieldErrors.required(`${at}.apiVersion`, 'must not be empty'));
    else if (parts.length > 2 || parts[parts.length - 1] === '')
      causes.push(
        fieldErrors.invalid(`${at}.apiVersion`, apiVersion, 'must be <group>/<version> or <version>'),
      );
    if (!ref.kind) causes.push(fieldErrors.required(`${at}.kind`, 'must not be empty'));
    if (!ref.name) causes.push(fieldErrors.required(`${at}.name`, 'must not be empty'));
    if (!ref.uid) causes.push(fieldErrors.required(`${at}.uid`, 'must not be empty'));
    if (apiVersion === 'v1' && ref.kind === 'Event')
      causes.push({
        field: at,
        message: `Invalid value: ${ownerValue(ref)}: /v1, Kind=Event is disallowed from being an owner`,
        type: 'FieldValueInvalid',
      });
    if (ref.controller === true) {
      const current = `${ref.kind ?? ''}/${ref.name ?? ''}`;
      if (firstController !== '')
        causes.push({
          field,
          message: `Invalid value: "[...]": Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${current}`,
          type: 'FieldValueInvalid',
        });
      else firstController = current;
    }
  });
  return causes;
}

const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

function finalizerCauses(finalizers: string[], field = 'metadata.finalizers'): Cause[] {
  const causes: Cause[] = [];
  for (const f of finalizers)
    for (const m of isQualifiedName(f)) causes.push(fieldErrors.invalid(field, f, m));
  if (finalizers.includes('orphan') && finalizers.includes('foregroundDeletion'))
    causes.push({
      field,
      message: `Invalid value: ${goValue(finalizers)}: finalizer orphan and foregroundDeletion cannot be both set`,
      type: 'FieldValueInvalid',
    });
  return causes;
}

/** core's validateKubeFinalizerName: a finalizer without a `/` must be a standard one */
export function kubeFinalizerCauses(finalizers: string[], field = 'metadata.finalizers'): Cause[] {
  const causes: Cause[] = [];
  finalizers.forEach((f, i) => {
    if (!f.includes('/') && !STANDARD_FINALIZERS.has(f))
      causes.push(
        fieldErrors.invalid(
          `${field}[${i}]`,
          f,
          'name is neither a standard finalizer name nor is it fully qualified',
        ),
      );
  });
  return causes;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map((x) => String(x ?? '')) : []);

/** labels, annotations, owner references and finalizers: the part create and update share (in that order) */
function commonCauses(meta: ObjectMeta, withFinalizers: boolean): Cause[] {
  const causes: Cause[] = [];
  if (typeof meta.generation === 'number' && meta.generation < 0)
    causes.push(
      fieldErrors.invalid('metadata.generation', meta.generation, 'must be greater than or equal to 0'),
    );
  causes.push(...labelCauses(meta.labels as Record<string, unknown> | undefined));
  causes.push(...annotationCauses(meta.annotations as Record<string, unknown> | undefined));
  causes.push(
    ...ownerReferenceCauses(
      Array.isArray(meta.ownerReferences) ? (meta.ownerReferences as OwnerReference[]) : [],
    ),
  );
  if (withFinalizers) causes.push(...finalizerCauses(strings(meta.finalizers)));
  return causes;
}

/** ValidateObjectMetaAccessor with the kind's name rule (create). */
function objectMetaAccessorCauses(meta: ObjectMeta, namespaced: boolean, nameFn: NameFn): Cause[] {
  const causes: Cause[] = [];
  const generateName = typeof meta.generateName === 'string' ? meta.generateName : '';
  if (generateName !== '')
    for (const m of nameFn(generateName, true))
      causes.push(fieldErrors.invalid('metadata.generateName', generateName, m));
  if (!meta.name) causes.push(fieldErrors.required('metadata.name', 'name or generateName is required'));
  else
    for (const m of nameFn(meta.name, false)) causes.push(fieldErrors.invalid('metadata.name', meta.name, m));
  if (namespaced) {
    if (!meta.namespace) causes.push(fieldErrors.required('metadata.namespace'));
    else
      for (const m of isDns1123Label(meta.namespace))
        causes.push(fieldErrors.invalid('metadata.namespace', meta.namespace, m));
  } else if (meta.namespace)
    causes.push(fieldErrors.forbidden('metadata.namespace', 'not allowed on this type'));
  return [...causes, ...commonCauses(meta, true)];
}

/** The ObjectMeta causes a kind's strategy reports on create (its flavour), before its own fields' causes. */
export function createMetaCauses(def: ResourceDef, meta: ObjectMeta, flavour = metaFlavour(def)): Cause[] {
  if (flavour === 'none') return [];
  const causes = objectMetaAccessorCauses(meta, def.namespaced, nameFnOf(def));
  if (flavour === 'core') causes.push(...kubeFinalizerCauses(strings(meta.finalizers)));
  return causes;
}

/**
 * rest/create.go ValidateCreate: once the strategy found nothing, ObjectMeta is validated again with only the
 * path-segment rule for the name (this is what validates the metadata of kinds whose strategy does not).
 */
export function genericCreateMetaCauses(def: ResourceDef, meta: ObjectMeta): Cause[] {
  return objectMetaAccessorCauses(meta, def.namespaced, (name) => pathSegment(name));
}

/**
 * rest/update.go validateCommonFields: every update's ObjectMeta, whatever the kind, is validated as on create (with the
 * path-segment name rule) and then as an update; the strategy's own ObjectMeta checks follow (updateMetaCauses).
 */
export function commonUpdateMetaCauses(def: ResourceDef, next: ObjectMeta, old: ObjectMeta): Cause[] {
  return [...genericCreateMetaCauses(def, next), ...objectMetaUpdateCauses(next, old)];
}

/** ValidateObjectMetaAccessorUpdate (and core's finalizer names), as the kind's update strategy reports them. */
export function updateMetaCauses(
  def: ResourceDef,
  next: ObjectMeta,
  old: ObjectMeta,
  flavour = metaFlavour(def),
): Cause[] {
  if (flavour === 'none') return [];
  const causes = objectMetaUpdateCauses(next, old);
  if (flavour === 'core') causes.push(...kubeFinalizerCauses(strings(next.finalizers)));
  return causes;
}

function objectMetaUpdateCauses(next: ObjectMeta, old: ObjectMeta): Cause[] {
  const causes: Cause[] = [];
  if (old.deletionTimestamp) {
    const before = strings(old.finalizers);
    const added = [...new Set(strings(next.finalizers).filter((f) => !before.includes(f)))].sort();
    if (added.length > 0)
      causes.push(
        fieldErrors.forbidden(
          'metadata.finalizers',
          `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`,
        ),
      );
  }
  if (
    typeof next.generation === 'number' &&
    typeof old.generation === 'number' &&
    next.generation < old.generation
  )
    causes.push(fieldErrors.invalid('metadata.generation', next.generation, 'must not be decremented'));
  causes.push(...commonCauses(next, false));
  return causes;
}
