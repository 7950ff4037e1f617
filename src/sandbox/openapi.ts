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

/** What kubectl asks for on /openapi/v2 (gnostic's openapi_v2.Document in protobuf)... */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
/** ...and the content type kube-apiserver answers with (`@` is not valid in a media type Go parses). */
const OPENAPI_V2_PROTOBUF_RESPONSE = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

function protoString(field: number, value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  if (bytes.length > 127) throw new Error('openapi v2 stub: field too long for a one-byte length');
  return Buffer.concat([Buffer.from([(field << 3) | 2, bytes.length]), bytes]);
}

/**
 * OpenAPI v2 with no paths or definitions. kubectl falls back to it when a group-version is missing from the
 * v3 index it fetched at start (a CRD created earlier in the same `kubectl apply`); a real server always
 * serves it, and a 404 there would fail validation ("the server could not find the requested resource").
 * With no definitions kubectl skips client-side validation for that kind, as it does on a real cluster for a
 * type it has no schema for, and the server still validates.
 */
export function openApiV2(protobuf: boolean): { contentType: string; body: Buffer } {
  if (!protobuf) {
    const doc = { swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths: {} };
    return { contentType: 'application/json', body: Buffer.from(JSON.stringify(doc)) };
  }
  const info = Buffer.concat([protoString(1, 'Kubernetes'), protoString(2, 'v1.32.0')]);
  // Document: 1 swagger, 2 info, 8 paths (empty)
  const body = Buffer.concat([protoString(1, '2.0'), protoString(2, info), protoString(8, Buffer.alloc(0))]);
  return { contentType: OPENAPI_V2_PROTOBUF_RESPONSE, body };
}
