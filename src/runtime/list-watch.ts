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

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

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

/**
 * HTTP status of an error from a list or watch. The contract for ListWatch implementations: an error that came
 * from the server carries it as a numeric `code` (the Kubernetes edge passes `ApiError`s, whose `code` it is),
 * and a watch's ERROR event is delivered as such an error through `onDone`, never as an event.
 */
export function statusCodeOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'number' && code > 0 ? code : undefined;
}
