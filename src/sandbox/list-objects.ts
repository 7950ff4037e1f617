import type { KubeObject } from '../core/types.js';
import { ApiError, apiErrors } from './api-error.js';
import type { ObjectStore } from './object-store.js';
import { type ResourceDef, storageKey } from './resource-registry.js';
import type { ObjectFilter } from './selectors.js';
import { goJsonSyntaxError } from './validation/go-json.js';

export interface ListPage {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

interface ContinueToken {
  rv: number;
  start: string;
}

const EXPIRED_CONTINUE =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

function keyOf(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

/**
 * etcd3 continue tokens (storage/etcd3 EncodeContinue / DecodeContinue): base64url (no padding) of
 * `{"v":"meta.k8s.io/v1","rv":N,"start":"<key after the list prefix>\u0000"}`; a token that does not decode is the
 * 400 `invalid continue token: continue key is not valid: …`. The sandbox's keys are `namespace/name`.
 */
function encodeToken(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: t.rv, start: `/${t.start}\u0000` })).toString(
    'base64url',
  );
}

function decodeToken(token: string): ContinueToken {
  const invalid = (why: string) =>
    apiErrors.badRequest(`invalid continue token: continue key is not valid: ${why}`);
  if (!/^[A-Za-z0-9_-]*$/.test(token) || token.length % 4 === 1) {
    const at = token.search(/[^A-Za-z0-9_-]/);
    throw invalid(`illegal base64 data at input byte ${at >= 0 ? at : token.length - 1}`);
  }
  // Go decodes bytes: each byte a character for the JSON scanner's messages
  const text = Buffer.from(token, 'base64url').toString('latin1');
  let t: { v?: unknown; rv?: unknown; start?: unknown };
  try {
    t = JSON.parse(text) as typeof t;
  } catch {
    throw invalid(goJsonSyntaxError(text) ?? 'unexpected end of JSON input');
  }
  if (t === null || typeof t !== 'object')
    throw invalid('incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  if (t.v !== 'meta.k8s.io/v1')
    throw invalid(`server does not recognize this encoded version ${String(t.v ?? '')}`);
  if (typeof t.rv !== 'number' || t.rv === 0)
    throw invalid('incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  if (typeof t.start !== 'string' || t.start === '') throw invalid('encoded continue key has no start key');
  const start = t.start.replace(/^\//, '');
  return { rv: t.rv, start: start.endsWith('\u0000') ? start.slice(0, -1) : start };
}

const TOO_OLD_LIST = 'The resourceVersion for the provided list is too old.';

/**
 * The objects of one resource as they were at `rv`, by undoing the retained events after it; undefined
 * when that history is gone (the real server's etcd compaction: 410 Expired).
 */
function stateAt(
  store: ObjectStore,
  resource: string,
  namespace: string | undefined,
  rv: number,
): KubeObject[] | undefined {
  const events = store.eventsSince(resource, rv);
  if (!events) return undefined;
  const state = new Map(store.list(resource, namespace).map((o) => [keyOf(o), o]));
  for (const e of [...events].reverse()) {
    const o = e.prev ?? e.object;
    if (namespace !== undefined && o.metadata.namespace !== namespace) continue;
    if (e.prev && e.type !== 'ADDED') state.set(keyOf(e.prev), e.prev);
    else state.delete(keyOf(e.object));
  }
  return [...state.values()].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
}

/** storage.NewTooLargeResourceVersionError as the cacher answers it (504 Timeout, retry after 1s). */
function tooLarge(rv: number, current: number): ApiError {
  return new ApiError(504, 'Timeout', `Timeout: Too large resource version: ${rv}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    retryAfterSeconds: 1,
  });
}

/**
 * One page of a list. Pages after the first are read from the current state (the real server reads a
 * snapshot); a continue token older than the retained history is 410 Expired, like an etcd compaction.
 */
export function listObjects(
  store: ObjectStore,
  def: ResourceDef,
  namespace: string | undefined,
  filter: ObjectFilter,
  opts: {
    limit?: number;
    continue?: string;
    resourceVersion?: string;
    resourceVersionMatch?: string;
    /**
     * no label or field selector: the page says how many items remain (apimachinery meta/v1 types.go ListMeta:
     * "If the list request contained label or field selectors, then the number of remaining items is unknown
     * and the field will be left unset"), so a selected page stops at its limit
     */
    countRemaining?: boolean;
  },
): ListPage {
  let rv = store.resourceVersion;
  let start = '';
  let source: KubeObject[] | undefined;
  // resourceVersion semantics of the API concepts ("Resource versions"): "" and "0" are the latest,
  // N without a match or with NotOlderThan is anything at least N, Exact is the state at exactly N
  const asked = opts.resourceVersion ? Number(opts.resourceVersion) : 0;
  if (asked > rv) throw tooLarge(asked, rv);
  if (opts.resourceVersionMatch === 'Exact' && asked < rv) {
    source = stateAt(store, storageKey(def), namespace, asked);
    if (!source) throw apiErrors.expired(TOO_OLD_LIST);
    rv = asked;
  }
  if (opts.continue) {
    const token = decodeToken(opts.continue);
    if (token.rv < store.oldestWatchable) throw apiErrors.expired(EXPIRED_CONTINUE);
    rv = token.rv;
    start = token.start;
    // every page shows the snapshot of the first (etcd reads at the token's revision)
    if (token.rv < store.resourceVersion) source = stateAt(store, storageKey(def), namespace, token.rv);
  }
  const limit = opts.limit && opts.limit > 0 ? opts.limit : undefined;
  let items: KubeObject[];
  let more = false;
  let remaining = 0;
  // a full page has a continue token when any key follows it, selected or not (etcd3 GetList and the watch cache
  // both stop at the first key after a full page), so the last page of a selected list can carry a token
  if (source) {
    const after = source.filter((o) => keyOf(o) > start);
    const all = after.filter(filter);
    items = limit === undefined ? all : all.slice(0, limit);
    const last = items[items.length - 1];
    more =
      limit !== undefined &&
      items.length === limit &&
      last !== undefined &&
      after.some((o) => keyOf(o) > keyOf(last));
    remaining = all.length - items.length;
  } else {
    // from the store's ordered keys: a page costs its own items (plus the count, when one is owed)
    items = [];
    store.scan(storageKey(def), start, (o) => {
      // keys are `namespace/name`: the namespace's keys are one range
      if (namespace !== undefined && o.metadata.namespace !== namespace)
        return `${o.metadata.namespace ?? ''}/` < `${namespace}/`;
      const selected = filter(o);
      if (limit === undefined || items.length < limit) {
        if (selected) items.push(o);
        return true;
      }
      more = true;
      if (selected) remaining++;
      return opts.countRemaining === true;
    });
  }
  if (!more) return { items, resourceVersion: String(rv) };
  const token: ContinueToken = { rv, start: keyOf(items[items.length - 1]!) };
  return {
    items,
    resourceVersion: String(rv),
    continue: encodeToken(token),
    ...(opts.countRemaining ? { remainingItemCount: remaining } : {}),
  };
}
