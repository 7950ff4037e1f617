import type { ResourceRegistry } from './resource-registry.js';

/**
 * Minimal OpenAPI v3: the index of every served group-version, and per group-version a document whose
 * `patch` operations declare the `fieldValidation` parameter (what kubectl checks to use server-side
 * field validation). No schemas: kubectl then falls back to its compiled-in types for strategic merge.
 */

function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

export function openApiIndex(registry: ResourceRegistry): object {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  const hash = `sandbox${registry.generation}`;
  for (const [group, versions] of registry.groups()) {
    for (const v of versions)
      paths[gvPath(group, v)] = { serverRelativeURL: `/openapi/v3/${gvPath(group, v)}?hash=${hash}` };
  }
  return { paths };
}

const PARAMS = [
  { name: 'dryRun', in: 'query', schema: { type: 'string', uniqueItems: true } },
  { name: 'fieldManager', in: 'query', schema: { type: 'string', uniqueItems: true } },
  { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
  { name: 'force', in: 'query', schema: { type: 'boolean', uniqueItems: true } },
];

function operation(
  id: string,
  action: string,
  gvk: { group: string; version: string; kind: string },
): object {
  return {
    operationId: id,
    parameters: PARAMS,
    responses: { '200': { description: 'OK' } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
  };
}

/** The document for `api/v1` or `apis/{group}/{version}`, or undefined when not served. */
export function openApiDocument(registry: ResourceRegistry, path: string): object | undefined {
  const m = /^(?:api\/([^/]+)|apis\/([^/]+)\/([^/]+))$/.exec(path);
  if (!m) return undefined;
  const group = m[1] ? '' : m[2]!;
  const version = m[1] ?? m[3]!;
  const defs = registry.inGroupVersion(group, version);
  if (defs.length === 0) return undefined;
  const paths: Record<string, object> = {};
  for (const d of defs) {
    const base = `/${gvPath(group, version)}${d.namespaced ? '/namespaces/{namespace}' : ''}/${d.plural}`;
    const gvk = { group, version, kind: d.kind };
    paths[`${base}/{name}`] = {
      patch: operation(`patch${d.kind}`, 'patch', gvk),
      put: operation(`replace${d.kind}`, 'put', gvk),
      get: operation(`read${d.kind}`, 'get', gvk),
    };
    paths[base] = {
      post: operation(`create${d.kind}`, 'post', gvk),
      get: operation(`list${d.kind}`, 'list', gvk),
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: { schemas: {} },
  };
}
