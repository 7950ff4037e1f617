import type { KubeObject } from '../../core/types.js';
import type { ResourceDef } from '../resource-registry.js';
import {
  type Cause,
  fieldErrors,
  isDns1035Label,
  isDns1123Label,
  isDns1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
} from './field-errors.js';

/**
 * ObjectMeta validation as k8s.io/apimachinery/pkg/api/validation/objectmeta.go (ValidateObjectMeta,
 * ValidateAnnotations with its 256 KiB total) and pkg/apis/meta/v1/validation/validation.go (ValidateLabels).
 */
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

function nameErrors(def: ResourceDef, name: string): string[] {
  // pkg/apis/core/validation/validation.go: ValidateServiceName is DNS-1035, namespaces DNS-1123 labels
  if (def.group === '' && def.kind === 'Service') return isDns1035Label(name);
  if (def.nameRule === 'label') return isDns1123Label(name);
  return isDns1123Subdomain(name);
}

export function nameCauses(def: ResourceDef, name: string | undefined, generateName: unknown): Cause[] {
  if (!name) {
    return generateName ? [] : [fieldErrors.required('metadata.name', 'name or generateName is required')];
  }
  return nameErrors(def, name).map((m) => fieldErrors.invalid('metadata.name', name, m));
}

export function labelCauses(labels: Record<string, unknown> | undefined, field = 'metadata.labels'): Cause[] {
  const causes: Cause[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const m of isQualifiedName(k)) causes.push(fieldErrors.invalid(field, k, m));
    for (const m of isValidLabelValue(String(v ?? ''))) causes.push(fieldErrors.invalid(field, v, m));
  }
  return causes;
}

export function annotationCauses(annotations: Record<string, unknown> | undefined): Cause[] {
  const causes: Cause[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    // the rule is QualifiedName except that case does not matter
    for (const m of isQualifiedName(k.toLowerCase()))
      causes.push(fieldErrors.invalid('metadata.annotations', k, m));
    size += Buffer.byteLength(k) + Buffer.byteLength(String(v ?? ''));
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT)
    causes.push(fieldErrors.tooLong('metadata.annotations', TOTAL_ANNOTATION_SIZE_LIMIT));
  return causes;
}

export function metadataCauses(obj: KubeObject): Cause[] {
  return [
    ...labelCauses(obj.metadata.labels as Record<string, unknown> | undefined),
    ...annotationCauses(obj.metadata.annotations as Record<string, unknown> | undefined),
  ];
}
