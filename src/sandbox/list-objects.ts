import type { KubeObject } from '../core/types.js';
import { apiErrors } from './api-error.js';
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

/**
 * One page of a list. Pages after the first are read from the current state (the real server reads a
 * snapshot); a continue token older than the retained history is 410 Expired, like an etcd compaction.
 */
export function listObjects(
  store: ObjectStore,
  def: ResourceDef,
  namespace: string | undefined,
  filter: ObjectFilter,
  opts: { limit?: number; continue?: string },
): ListPage {
  let rv = store.resourceVersion;
  let start = '';
  if (opts.continue) {
    const token = decodeToken(opts.continue);
    if (token.rv < store.oldestWatchable) throw apiErrors.expired(EXPIRED_CONTINUE);
    rv = token.rv;
    start = token.start;
  }
  const all = store.list(storageKey(def), namespace).filter((o) => keyOf(o) > start && filter(o));
  const limit = opts.limit && opts.limit > 0 ? opts.limit : undefined;
  if (limit === undefined || all.length <= limit) return { items: all, resourceVersion: String(rv) };
  const items = all.slice(0, limit);
  const token: ContinueToken = { rv, start: keyOf(items[items.length - 1]!) };
  return {
    items,
    resourceVersion: String(rv),
    continue: Buffer.from(JSON.stringify(token)).toString('base64url'),
    remainingItemCount: all.length - limit,
  };
}
