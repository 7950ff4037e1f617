import { ApiError } from './api-error.js';
/** What a resource URL addresses, like the apiserver's RequestInfo. */
export interface ResourceRequest {
  group: string;
  version: string;
  namespace?: string;
  plural: string;
  name?: string;
  subresource?: string;
  verb: string;
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/** Parses `/api/v1/...` and `/apis/{g}/{v}/...` resource paths; undefined for non-resource paths. */
export function parseResourcePath(
  method: string,
  pathname: string,
  query: URLSearchParams,
): ResourceRequest | undefined {
  const parts = pathname
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else return undefined;

  let watchPath = false;
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (
    rest[0] === 'namespaces' &&
    rest.length >= 3 &&
    !(rest.length === 3 && NAMESPACE_SUBRESOURCES.has(rest[2]!))
  ) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, subresource] = rest;
  if (!plural || rest.length > 3) return undefined;

  const watch = watchPath || query.get('watch') === 'true' || query.get('watch') === '1';
  let verb: string;
  switch (method) {
    case 'GET':
      verb = name ? (watch ? 'watch' : 'get') : watch ? 'watch' : 'list';
      break;
    case 'POST':
      verb = 'create';
      break;
    case 'PUT':
      verb = 'update';
      break;
    case 'PATCH':
      verb = 'patch';
      break;
    case 'DELETE':
      verb = name ? 'delete' : 'deletecollection';
      break;
    default:
      verb = method.toLowerCase();
  }
  return {
    group,
    version,
    plural,
    verb,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(subresource !== undefined ? { subresource } : {}),
  };
}
/** A conversion asked for with `;as=…;g=meta.k8s.io;v=…` in Accept. */
export interface ConversionTarget {
  kind: 'PartialObjectMetadata' | 'PartialObjectMetadataList' | 'Table';
  version: 'v1' | 'v1beta1';
}

interface AcceptClause {
  type: string;
  subType: string;
  q: number;
  params: Map<string, string>;
}

// the media types kube-apiserver serves resources in, in its order (accepted[0] is the fallback)
const SERVED_MEDIA_TYPES = [
  ['application', 'json'],
  ['application', 'yaml'],
  ['application', 'vnd.kubernetes.protobuf'],
] as const;

/** goautoneg.ParseAccept: clauses ordered by q, then specificity, then number of parameters. */
function parseAccept(header: string): AcceptClause[] {
  const clauses: AcceptClause[] = [];
  for (const part of header.split(',')) {
    const [range = '', ...rawParams] = part.split(';');
    const ss = range.trim().split('/');
    let type: string;
    let subType: string;
    if (ss.length === 1 && ss[0] === '*') [type, subType] = ['*', '*'];
    else if (ss.length === 2) [type, subType] = [ss[0]!, ss[1]!];
    else continue;
    const params = new Map<string, string>();
    let q = 1;
    for (const p of rawParams) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const token = p.slice(0, eq).trim();
      if (token === 'q') q = Number.parseFloat(p.slice(eq + 1)) || 0;
      else params.set(token, p.slice(eq + 1).trim());
    }
    clauses.push({ type, subType, q, params });
  }
  const rank = (c: AcceptClause) => [c.q, c.type === '*' ? 0 : 1, c.subType === '*' ? 0 : 1, c.params.size];
  return clauses.sort((a, b) => {
    const [ra, rb] = [rank(a), rank(b)];
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return rb[i]! - ra[i]!;
    return 0;
  });
}

/**
 * The conversion the Accept header negotiates, as handlers/negotiation/negotiate.go NegotiateMediaTypeOptions /
 * acceptMediaTypeOptions with RequestScope.AllowsConversion (handlers/rest.go): the first clause (by q) for a
 * served media type whose as/g/v the endpoint allows wins; a clause asking for anything else (as=Foo, another
 * group or version, stream other than watch, sv) is skipped, and when none is left the server falls back to its
 * first media type (plain JSON, no conversion) instead of answering 406.
 */
export function negotiateConversion(accept: string | undefined): ConversionTarget | undefined {
  if (!accept) return undefined;
  for (const c of parseAccept(accept)) {
    for (const [type, subType] of SERVED_MEDIA_TYPES) {
      const matches =
        (c.type === type && (c.subType === subType || c.subType === '*')) ||
        (c.type === '*' && c.subType === '*');
      if (!matches) continue;
      const stream = c.params.get('stream');
      if (stream && (stream !== 'watch' || subType === 'yaml')) continue;
      if (c.params.get('sv')) continue;
      const as = c.params.get('as');
      const g = c.params.get('g');
      const v = c.params.get('v');
      if (as === undefined && g === undefined && v === undefined) return undefined;
      if (g !== 'meta.k8s.io' || (v !== 'v1' && v !== 'v1beta1')) continue;
      if (as === 'Table' && subType !== 'json' && subType !== 'yaml') continue;
      if (as !== 'Table' && as !== 'PartialObjectMetadata' && as !== 'PartialObjectMetadataList') continue;
      return { kind: as, version: v };
    }
  }
  return undefined;
}

export type MediaType = 'json' | 'yaml' | 'protobuf';

/**
 * The media type an answer is written in (handlers/negotiation NegotiateOutputMediaType): the first Accept clause, by
 * q, that a served type matches; none (e.g. `text/html`) is 406. Custom resources are not served as protobuf, and a
 * watch is not served as YAML. The sandbox writes a protobuf answer as JSON (the clients that ask for protobuf,
 * kubectl and client-go, also accept JSON); `protobuf` tells the caller it was asked for.
 */
export function negotiateMediaType(
  accept: string | undefined,
  opts: { custom: boolean; watch: boolean },
): MediaType {
  if (!accept || accept.trim() === '') return 'json';
  const served: [string, MediaType][] = [['json', 'json']];
  if (!opts.watch) served.push(['yaml', 'yaml']);
  if (!opts.custom) served.push(['vnd.kubernetes.protobuf', 'protobuf']);
  for (const c of parseAccept(accept)) {
    if (c.q <= 0) continue;
    for (const [subType, media] of served) {
      if (
        (c.type === 'application' && (c.subType === subType || c.subType === '*')) ||
        (c.type === '*' && c.subType === '*')
      )
        return media;
    }
  }
  // a custom resource's handler negotiates itself (negotiation.NewNotAcceptableError: no details); a built-in
  // route is refused by go-restful, which lists what the route produces
  if (opts.custom) {
    const accepted = [
      'application/json',
      ...(opts.watch ? [] : ['application/yaml']),
      'application/vnd.kubernetes.protobuf',
    ];
    throw new ApiError(
      406,
      'NotAcceptable',
      `only the following media types are accepted: ${accepted.join(', ')}`,
    );
  }
  const available = served.map(([t]) => `application/${t}`).join(', ');
  throw new ApiError(
    406,
    'NotAcceptable',
    `406: Not Acceptable\n\nAvailable representations: ${available}`,
    {},
  );
}
