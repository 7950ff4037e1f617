import { apiPrefix, type KindSpec, type Obj } from './kinds.js';
import type { CaseContext, HttpStep } from './types.js';

/** Small builders of the catalogue's requests; `{ns}` in paths is the case's namespace. */

export const ACCEPT = {
  json: 'application/json',
  yaml: 'application/yaml',
  /** what kubectl's typed clients send */
  protobuf: 'application/vnd.kubernetes.protobuf,application/json',
  partial: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1',
  partialList: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1',
  /** what `kubectl get` sends */
  table:
    'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
} as const;

export const PATCH = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

/** the object name of a case: cluster-scoped objects carry the case's namespace in their name to stay apart */
export const objName = (k: KindSpec, base: string) => (k.namespaced ? base : `{ns}-${base}`);
export const resolve = (s: string, ctx: CaseContext) => s.split('{ns}').join(ctx.ns);

export const collection = (k: KindSpec) =>
  k.namespaced ? `${apiPrefix(k)}/namespaces/{ns}/${k.plural}` : `${apiPrefix(k)}/${k.plural}`;
export const item = (k: KindSpec, base: string) => `${collection(k)}/${objName(k, base)}`;

/** a valid object of the kind named `base` (resolved for the case) */
export const validBody = (k: KindSpec, base: string) => (ctx: CaseContext) =>
  k.valid(resolve(objName(k, base), ctx), ctx.ns);

export function create(k: KindSpec, body: HttpStep['body'], extra: Partial<HttpStep> = {}): HttpStep {
  return { label: 'create', method: 'POST', path: collection(k), body, ...extra };
}

export function setupCreate(k: KindSpec, base = 'obj', mutate?: (o: Obj, ctx: CaseContext) => Obj): HttpStep {
  const body = validBody(k, base);
  return create(k, mutate ? (ctx: CaseContext) => mutate(body(ctx), ctx) : body, {
    label: 'setup create',
    setup: true,
  });
}

export function get(k: KindSpec, base = 'obj', extra: Partial<HttpStep> = {}): HttpStep {
  return { label: 'get', method: 'GET', path: item(k, base), ...extra };
}

export function put(
  k: KindSpec,
  body: HttpStep['body'],
  base = 'obj',
  extra: Partial<HttpStep> = {},
): HttpStep {
  return { label: 'update', method: 'PUT', path: item(k, base), body, ...extra };
}

export function patch(
  k: KindSpec,
  type: keyof typeof PATCH,
  body: HttpStep['body'],
  base = 'obj',
  extra: Partial<HttpStep> = {},
): HttpStep {
  return {
    label: `patch ${type}`,
    method: 'PATCH',
    path: item(k, base),
    contentType: PATCH[type],
    body,
    ...extra,
  };
}

export function apply(
  k: KindSpec,
  manager: string,
  body: HttpStep['body'],
  base = 'obj',
  extra: Partial<HttpStep> = {},
): HttpStep {
  return patch(k, 'apply', body, base, {
    label: `apply ${manager}`,
    query: { fieldManager: manager },
    ...extra,
  });
}

export function del(k: KindSpec, base = 'obj', extra: Partial<HttpStep> = {}): HttpStep {
  return { label: 'delete', method: 'DELETE', path: item(k, base), ...extra };
}

export function list(k: KindSpec, query: HttpStep['query'] = {}, extra: Partial<HttpStep> = {}): HttpStep {
  return { label: 'list', method: 'GET', path: collection(k), query, ...extra };
}

/** the object the first step of the case returned (its create), as this server stored it */
export const created = (ctx: CaseContext) => JSON.parse(JSON.stringify(ctx.bodies[0])) as Obj;
