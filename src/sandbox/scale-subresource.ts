import type { KubeObject } from '../core/types.js';
import { ApiError, apiErrors } from './api-error.js';
import { clone, isObject, type JsonObject, jsonPatch, mergePatch } from './json-patches.js';
import type { ResourceDef } from './resource-def.js';
import type { PatchType, ResourceService, WriteOptions } from './resource-service.js';

/**
 * The /scale subresource of Deployments, ReplicaSets and StatefulSets (pkg/registry/apps/<kind>/storage ScaleREST):
 * an autoscaling/v1 Scale made from the object, and writes of it that change only `spec.replicas` of the object,
 * through the object's own update (its validation, generation, resourceVersion precondition). The field manager
 * records such a write as the writer's ownership of `spec.replicas` with `subresource: scale` (managed-fields.ts).
 * Server-side apply of a Scale is not served.
 */

export const SCALABLE_KINDS = new Set(['apps/Deployment', 'apps/ReplicaSet', 'apps/StatefulSet']);

export const SCALE_KIND = { group: 'autoscaling', version: 'v1', kind: 'Scale' } as const;

interface Requirement {
  key: string;
  operator: string;
  values: string[];
}

/** labels.Selector String() of metav1.LabelSelectorAsSelector: requirements sorted by key, set values sorted */
export function selectorString(selector: unknown): string {
  if (!isObject(selector)) return '';
  const reqs: Requirement[] = [];
  if (isObject(selector.matchLabels))
    for (const [key, v] of Object.entries(selector.matchLabels))
      reqs.push({ key, operator: '=', values: [String(v)] });
  if (Array.isArray(selector.matchExpressions))
    for (const e of selector.matchExpressions) {
      if (!isObject(e)) continue;
      const values = Array.isArray(e.values) ? e.values.map(String) : [];
      reqs.push({ key: String(e.key ?? ''), operator: String(e.operator ?? ''), values });
    }
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return reqs
    .map((r) => {
      const set = () => `(${[...new Set(r.values)].sort().join(',')})`;
      switch (r.operator) {
        case 'In':
          return `${r.key} in ${set()}`;
        case 'NotIn':
          return `${r.key} notin ${set()}`;
        case 'Exists':
          return r.key;
        case 'DoesNotExist':
          return `!${r.key}`;
        default:
          return `${r.key}=${r.values[0] ?? ''}`;
      }
    })
    .join(',');
}

/** scaleFromDeployment (and the ReplicaSet / StatefulSet twins) */
export function scaleOf(o: KubeObject): JsonObject {
  const spec = (o.spec ?? {}) as { replicas?: number; selector?: unknown };
  const status = (o.status ?? {}) as { replicas?: number };
  const selector = selectorString(spec.selector);
  const meta = o.metadata;
  return {
    kind: SCALE_KIND.kind,
    apiVersion: `${SCALE_KIND.group}/${SCALE_KIND.version}`,
    metadata: {
      name: meta.name,
      ...(meta.namespace ? { namespace: meta.namespace } : {}),
      ...(meta.uid ? { uid: meta.uid } : {}),
      ...(meta.resourceVersion ? { resourceVersion: meta.resourceVersion } : {}),
      creationTimestamp: meta.creationTimestamp ?? null,
    },
    spec: typeof spec.replicas === 'number' && spec.replicas !== 0 ? { replicas: spec.replicas } : {},
    status: { replicas: status.replicas ?? 0, ...(selector ? { selector } : {}) },
  } as JsonObject;
}

/** scaleUpdatedObjectInfo.UpdatedObject: the Scale validated (ValidateScale), its replicas and resourceVersion put on the object */
function scaled(current: KubeObject, sent: unknown): KubeObject {
  if (!isObject(sent)) throw apiErrors.badRequest('the body of the request must be a Scale');
  const spec = isObject(sent.spec) ? sent.spec : {};
  const replicas = spec.replicas === undefined || spec.replicas === null ? 0 : spec.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas))
    throw apiErrors.badRequest(
      `Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal ${typeof replicas} into Go struct field ScaleSpec.spec.replicas of type int32`,
    );
  if (replicas < 0)
    throw apiErrors.invalid(SCALE_KIND.group, SCALE_KIND.kind, current.metadata.name, [
      { field: 'spec.replicas', message: `Invalid value: ${replicas}: must be greater than or equal to 0` },
    ]);
  const next = clone(current) as unknown as KubeObject;
  delete next.metadata.managedFields;
  next.spec = { ...(next.spec as object), replicas };
  const meta = isObject(sent.metadata) ? sent.metadata : {};
  // a resourceVersion on the Scale is the precondition of the object's update
  if (typeof meta.resourceVersion === 'string' && meta.resourceVersion !== '')
    next.metadata.resourceVersion = meta.resourceVersion;
  else delete next.metadata.resourceVersion;
  return next;
}

/** GET, PUT and PATCH on `<kind>/<name>/scale`: the answer is the Scale of the object as it now is */
export function serveScale(
  service: ResourceService,
  def: ResourceDef,
  namespace: string | undefined,
  name: string,
  request:
    | { verb: 'get' }
    | { verb: 'update'; body: unknown }
    | { verb: 'patch'; type: PatchType; patch: unknown },
  opts: WriteOptions,
): JsonObject {
  const current = service.get(def, namespace, name);
  if (request.verb === 'get') return scaleOf(current);
  let sent: unknown;
  if (request.verb === 'update') sent = request.body;
  else if (request.type === 'json') sent = jsonPatch(scaleOf(current), request.patch);
  else if (request.type === 'merge' || request.type === 'strategic') {
    if (!isObject(request.patch)) throw apiErrors.badRequest('patch body must be a JSON object');
    // a Scale has no lists: a strategic merge patch merges as a JSON merge patch does
    sent = mergePatch(scaleOf(current), request.patch);
  } else
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json',
    );
  const next = scaled(current, sent);
  return scaleOf(service.update(def, namespace, name, next, { ...opts, subresource: 'scale' }));
}
