import type { KubeObject } from '../core/types.js';
import { ApiError, apiErrors } from './api-error.js';
import type { ObjectStore } from './object-store.js';
import { type ResourceDef, storageKey } from './resource-registry.js';
import type { ObjectFilter } from './selectors.js';

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

function decodeToken(token: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as ContinueToken;
    if (typeof t.rv === 'number' && typeof t.start === 'string') return t;
  } catch {
    // fall through
  }
  throw apiErrors.badRequest(
    'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
  );
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
  }
  const limit = opts.limit && opts.limit > 0 ? opts.limit : undefined;
  const matches = (o: KubeObject) =>
    (namespace === undefined || o.metadata.namespace === namespace) && filter(o);
  let items: KubeObject[];
  let more = false;
  let remaining = 0;
  if (source) {
    const all = source.filter((o) => keyOf(o) > start && filter(o));
    items = limit === undefined ? all : all.slice(0, limit);
    more = items.length < all.length;
    remaining = all.length - items.length;
  } else {
    // from the store's ordered keys: a page costs its own items (plus the count, when one is owed)
    items = [];
    store.scan(storageKey(def), start, (o) => {
      if (!matches(o)) return true;
      if (limit === undefined || items.length < limit) {
        items.push(o);
        return true;
      }
      more = true;
      remaining++;
      return opts.countRemaining === true;
    });
  }
  if (!more) return { items, resourceVersion: String(rv) };
  const token: ContinueToken = { rv, start: keyOf(items[items.length - 1]!) };
  return {
    items,
    resourceVersion: String(rv),
    continue: Buffer.from(JSON.stringify(token)).toString('base64url'),
    ...(opts.countRemaining ? { remainingItemCount: remaining } : {}),
  };
}
