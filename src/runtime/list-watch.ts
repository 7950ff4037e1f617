/**
 * The list/watch contract an informer runs over. The Kubernetes edge implements it (src/kube/list-watch.ts);
 * tests implement it with fakes. Objects are whatever the resource is; the informer only reads `metadata`.
 */
export interface ListOptions {
  labelSelector?: string;
  limit?: number;
  continue?: string;
}

export interface ListPage<T> {
  items: T[];
  resourceVersion: string;
  continue?: string;
}

export interface WatchOptions {
  labelSelector?: string;
  resourceVersion: string;
  allowWatchBookmarks: true;
  timeoutSeconds?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchHandle {
  abort(): void;
}

export interface ListWatch<T> {
  /** One page of a list. Rejects with an error carrying `statusCode` (e.g. 410) on an HTTP error. */
  list(opts: ListOptions): Promise<ListPage<T>>;
  /**
   * Opens a watch. Resolves once the server accepted it (HTTP 200); an error response calls `onDone(err)`
   * (with `statusCode` on the error) instead. `onDone()` without an error = the server closed the stream.
   * Implementations may still call `onDone` after `abort()`; the informer ignores it.
   */
  watch(
    opts: WatchOptions,
    onEvent: (type: WatchEventType | string, obj: unknown) => void,
    onDone: (err?: unknown) => void,
  ): Promise<WatchHandle>;
}

/** HTTP status of an error from a list or watch, if it has one (`statusCode`, `code` or a Status body). */
export function statusCodeOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { statusCode?: unknown; code?: unknown; status?: { code?: unknown } };
  if (typeof e.statusCode === 'number') return e.statusCode;
  if (typeof e.code === 'number') return e.code;
  if (typeof e.status?.code === 'number') return e.status.code;
  return undefined;
}
