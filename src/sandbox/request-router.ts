import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { ApiError, apiErrors } from './api-error.js';
import { bodyDepth, sendError, sendJson } from './body-codec.js';
import {
  AGGREGATED_CONTENT_TYPE,
  aggregatedDiscovery,
  apiGroupDoc,
  apiGroupList,
  apiResourceList,
  apiVersions,
  versionInfo,
  wantsAggregated,
} from './discovery.js';
import type { FaultState } from './faults.js';
import { OPENAPI_V2_PROTOBUF, openApiDocument, openApiIndex, openApiV2 } from './openapi.js';
import type { RequestAccounting } from './request-accounting.js';
import { parseResourcePath } from './request-info.js';
import { handleResource, type ResourceHandlerDeps } from './resource-handler.js';
import type { ResourceRegistry } from './resource-registry.js';

export interface RouterDeps extends ResourceHandlerDeps {
  registry: ResourceRegistry;
  faults: FaultState;
  accounting: RequestAccounting;
  token: string | undefined;
  serverAddress: () => string;
  log: ((line: string) => void) | undefined;
}

function discovery(req: IncomingMessage, res: ServerResponse, path: string, deps: RouterDeps): boolean {
  const { registry } = deps;
  const accept = req.headers.accept;
  const parts = path.split('/').filter(Boolean);
  const notFound = () => sendError(res, apiErrors.pathNotFound());
  if (path === '/version' || path === '/version/') {
    sendJson(res, 200, versionInfo());
    return true;
  }
  if (path === '/healthz' || path === '/livez' || path === '/readyz') {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('ok');
    return true;
  }
  if (parts[0] === 'api' && parts.length === 1) {
    if (wantsAggregated(accept))
      sendJson(res, 200, aggregatedDiscovery(registry, true), { 'Content-Type': AGGREGATED_CONTENT_TYPE });
    else sendJson(res, 200, apiVersions(deps.serverAddress()));
    return true;
  }
  if (parts[0] === 'apis' && parts.length === 1) {
    if (wantsAggregated(accept))
      sendJson(res, 200, aggregatedDiscovery(registry, false), { 'Content-Type': AGGREGATED_CONTENT_TYPE });
    else sendJson(res, 200, apiGroupList(registry));
    return true;
  }
  if (parts[0] === 'apis' && parts.length === 2) {
    const doc = apiGroupDoc(registry, parts[1]!);
    doc ? sendJson(res, 200, doc) : notFound();
    return true;
  }
  if ((parts[0] === 'api' && parts.length === 2) || (parts[0] === 'apis' && parts.length === 3)) {
    const doc =
      parts[0] === 'api'
        ? apiResourceList(registry, '', parts[1]!)
        : apiResourceList(registry, parts[1]!, parts[2]!);
    doc ? sendJson(res, 200, doc) : notFound();
    return true;
  }
  if (parts[0] === 'openapi' && parts[1] === 'v2' && parts.length === 2) {
    const doc = openApiV2((accept ?? '').includes(OPENAPI_V2_PROTOBUF));
    res.writeHead(200, { 'Content-Type': doc.contentType, 'Content-Length': doc.body.length });
    res.end(doc.body);
    return true;
  }
  if (parts[0] === 'openapi' && parts[1] === 'v3') {
    const doc =
      parts.length === 2 ? openApiIndex(registry) : openApiDocument(registry, parts.slice(2).join('/'));
    doc ? sendJson(res, 200, doc) : notFound();
    return true;
  }
  return false;
}

/**
 * Go decodes bodies nested up to 10000 levels and walks them on growable stacks; the sandbox's recursive steps
 * (merges, managedFields, schema walks) run out of Node's stack well before that. A stack overflow on a body nested
 * more than SANDBOX_SAFE_DEPTH levels is answered as a 400 naming the depth (a known difference from the real server,
 * which would accept such a body where its type allows); an overflow on a shallow body stays a 500, as it is a bug.
 */
const SANDBOX_SAFE_DEPTH = 1000;
function tooDeepForSandbox(req: IncomingMessage, err: unknown): boolean {
  return (
    err instanceof RangeError &&
    /Maximum call stack size exceeded/.test(err.message) &&
    bodyDepth(req) > SANDBOX_SAFE_DEPTH
  );
}

/** The whole HTTP surface: auth, injected latency/faults, accounting, discovery, resources. */
export function createRouter(deps: RouterDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void route(req, res, deps).catch((err: unknown) => {
      const apiErr =
        err instanceof ApiError
          ? err
          : tooDeepForSandbox(req, err)
            ? apiErrors.badRequest(
                `the request body could not be decoded: nested ${bodyDepth(req)} levels deep, more than the sandbox processes (kube-apiserver decodes up to 10000)`,
              )
            : new ApiError(
                500,
                'InternalError',
                `Internal error occurred: ${(err as Error)?.message ?? String(err)}`,
              );
      if (res.headersSent) res.end();
      else sendError(res, apiErr);
    });
    if (deps.log) {
      const log = deps.log;
      res.on('finish', () => log(`${req.method} ${req.url} ${res.statusCode}`));
    }
  };
}

async function route(req: IncomingMessage, res: ServerResponse, deps: RouterDeps): Promise<void> {
  if (deps.token !== undefined && req.headers.authorization !== `Bearer ${deps.token}`)
    throw apiErrors.unauthorized();
  if (deps.faults.latencyMs > 0) await delay(deps.faults.latencyMs);
  const url = new URL(req.url ?? '/', 'http://sandbox');
  if (req.method === 'GET' && discovery(req, res, url.pathname, deps)) return;
  const r = parseResourcePath(req.method ?? 'GET', url.pathname, url.searchParams);
  if (!r) throw apiErrors.pathNotFound();
  const def = deps.registry.find(r.group, r.version, r.plural);
  if (!def) throw apiErrors.pathNotFound();
  deps.accounting.record(r.verb, r.plural);
  if (r.verb === 'watch' && deps.faults.watchesRefused) {
    throw new ApiError(
      503,
      'ServiceUnavailable',
      'the server is currently unable to handle the request (watches refused by fault injection)',
    );
  }
  const injected = deps.faults.failureFor(r.verb, r.plural);
  if (injected) throw injected;
  // only the subresources the kind's registry serves (namespaces/finalize; <kind>/status, <kind>/scale where it has them)
  if (
    r.subresource !== undefined &&
    !(r.subresource === 'status' && def.statusSubresource) &&
    !(r.subresource === 'scale' && def.scaleSubresource) &&
    !(r.subresource === 'finalize' && def.group === '' && def.kind === 'Namespace')
  )
    throw apiErrors.pathNotFound();
  await handleResource(req, res, r, def, url.searchParams, deps);
}
