import { KubemirrorError } from '../core/errors.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { type Clock, sleep, systemClock } from './clock.js';
import { type ListWatch, statusCodeOf, type WatchHandle } from './list-watch.js';

/** Why a watch was restarted: the server closed it, its resourceVersion expired (410), or it failed. */
export type RestartReason = 'closed' | 'gone' | 'error';

export const RESTART_REASONS: readonly RestartReason[] = ['closed', 'gone', 'error'];

export interface InformedObject {
  metadata: { name: string; namespace?: string; resourceVersion?: string };
}

/** Store key of an object: `namespace/name`, or `name` when cluster-scoped. */
export function objectKey(obj: InformedObject): string {
  const { namespace, name } = obj.metadata;
  return namespace ? `${namespace}/${name}` : name;
}

export interface InformerOptions<T> {
  listWatch: ListWatch<T>;
  labelSelector?: string;
  /** list page size; default 500 */
  pageSize?: number;
  /**
   * what is kept of each object, applied as it arrives (list item or watch event) so the rest of the body is
   * released with its page or event: handlers and the store see only the result
   */
  transform?: (obj: T) => T;
  /** server-side watch timeout; default a random 300–600 s so watches of many informers do not expire together */
  watchTimeoutSeconds?: number;
  /** backoff between failed lists/watches; default 200 ms doubling to 30 s, reset by a healthy watch */
  restartBackoff?: BackoffOptions;
  clock?: Clock;
  /** every restart, with its reason (feeds `kubemirror_watch_restarts_total{reason}`) and the error if any */
  onRestart?: (reason: RestartReason, err?: unknown) => void;
  /** an event handler threw; the informer carries on */
  onHandlerError?: (err: unknown) => void;
}

type WatchEnd = { reason: RestartReason | 'stopped'; err?: unknown; events: number };

/**
 * Keeps an in-memory store of the objects a ListWatch serves and tells handlers what changed.
 * Lists (paginated), then watches from the list's resourceVersion, tracking it through events and bookmarks.
 * A closed watch is re-opened from the last resourceVersion; 410 Gone relists and emits add/update/delete for
 * the difference; any other failure retries with backoff. It never stops until `stop()` or the start signal.
 * Handlers run synchronously after the store is updated and must only enqueue work.
 */
export class Informer<T extends InformedObject> {
  private readonly opts: InformerOptions<T>;
  private readonly clock: Clock;
  private readonly backoff: Backoff<string>;
  private store = new Map<string, T>();
  private resourceVersion = '';
  private synced = false;
  private healthyAt: number | null = null;
  private broken: number | null = null;
  /** the last list was refused with 403 (RBAC), and none has succeeded since */
  private refused = false;
  private readonly addHandlers: Array<(obj: T) => void> = [];
  private readonly updateHandlers: Array<(oldObj: T, newObj: T) => void> = [];
  private readonly deleteHandlers: Array<(obj: T) => void> = [];
  private readonly syncWaiters = new Set<() => void>();
  private controller: AbortController | null = null;
  private stopCurrentWatch: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private watchOpen = false;

  constructor(opts: InformerOptions<T>) {
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
    this.backoff = new Backoff({ baseMs: 200, maxMs: 30_000, ...opts.restartBackoff });
  }

  onAdd(fn: (obj: T) => void): void {
    this.addHandlers.push(fn);
  }

  onUpdate(fn: (oldObj: T, newObj: T) => void): void {
    this.updateHandlers.push(fn);
  }

  onDelete(fn: (obj: T) => void): void {
    this.deleteHandlers.push(fn);
  }

  /** Starts listing and watching in the background; aborting `signal` stops it like `stop()`. */
  start(signal?: AbortSignal): void {
    if (this.loop) return;
    const controller = new AbortController();
    this.controller = controller;
    const onAbort = () => void this.stop();
    signal?.addEventListener('abort', onAbort, { once: true });
    // the listener goes with the loop: an informer stopped on its own (a type dropped by discovery) leaves
    // nothing behind on the long-lived signal
    this.loop = this.run(controller.signal).finally(() => signal?.removeEventListener('abort', onAbort));
  }

  /** Stops watching; resolves when the background loop has ended. The store keeps its last contents. */
  async stop(): Promise<void> {
    this.controller?.abort();
    this.stopCurrentWatch?.();
    await this.loop;
  }

  /** True once the first complete list is in the store. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves when synced; rejects with the signal's reason if it aborts first. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.syncWaiters.delete(done);
        reject(signal?.reason);
      };
      const done = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      this.syncWaiters.add(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  list(): T[] {
    return [...this.store.values()];
  }

  get(key: string): T | undefined {
    return this.store.get(key);
  }

  size(): number {
    return this.store.size;
  }

  /** The resourceVersion the next watch would start from. */
  lastResourceVersion(): string {
    return this.resourceVersion;
  }

  /** True while a watch is open (accepted by the server and not yet ended). */
  isWatching(): boolean {
    return this.watchOpen;
  }

  /** Clock time of the last successful list, established watch or received event; null before any. */
  lastHealthyAt(): number | null {
    return this.healthyAt;
  }

  /**
   * True while the server refuses to list (403: RBAC grants no list/watch here). The loop keeps retrying with
   * backoff, so a grant made later is picked up; meanwhile callers decide whether to wait for this informer.
   */
  isForbidden(): boolean {
    return this.refused && !this.synced;
  }

  /** Clock time since which lists/watches have been failing without a watch being re-established; else null. */
  brokenSince(): number | null {
    return this.broken;
  }

  private async run(signal: AbortSignal): Promise<void> {
    let needList = true;
    while (!signal.aborted) {
      let end: WatchEnd;
      if (needList) {
        try {
          await this.relist(signal);
          needList = false;
          this.refused = false;
        } catch (err) {
          if (signal.aborted) break;
          this.refused = statusCodeOf(err) === 403;
          this.markBroken();
          this.restart('error', err);
          await this.pause(signal);
          continue;
        }
      }
      try {
        end = await this.watchOnce(signal);
      } catch (err) {
        end = { reason: 'error', err, events: 0 };
      }
      if (end.reason === 'stopped' || signal.aborted) break;
      this.restart(end.reason, end.err);
      if (end.reason === 'gone') {
        needList = true;
        // A relist is the remedy; only back off if 410s come back without any progress in between.
        if (end.events === 0) await this.pause(signal);
      } else if (end.reason === 'error') {
        this.markBroken();
        await this.pause(signal);
      } else if (end.events === 0) {
        // A server that closes watches at once must not turn this into a hot loop.
        await this.pause(signal);
      }
    }
  }

  private restart(reason: RestartReason, err?: unknown): void {
    try {
      this.opts.onRestart?.(reason, err);
    } catch (e) {
      this.opts.onHandlerError?.(e);
    }
  }

  private async pause(signal: AbortSignal): Promise<void> {
    try {
      await sleep(this.clock, this.backoff.next('restart'), signal);
    } catch {
      // aborted: the loop checks the signal
    }
  }

  private markBroken(): void {
    if (this.broken === null) this.broken = this.clock.now();
  }

  private markHealthy(): void {
    this.healthyAt = this.clock.now();
  }

  /** Lists every page, swaps the store and emits the difference to handlers. */
  private async relist(signal: AbortSignal): Promise<void> {
    const { listWatch, labelSelector } = this.opts;
    const pageSize = this.opts.pageSize ?? 500;
    const fresh = new Map<string, T>();
    let cont: string | undefined;
    let rv = '';
    let paged = true;
    for (;;) {
      let page: Awaited<ReturnType<typeof listWatch.list>>;
      try {
        page = await listWatch.list({ labelSelector, ...(paged ? { limit: pageSize } : {}), continue: cont });
      } catch (err) {
        // An expired continue token: start over with one unpaginated list, as client-go's pager does.
        if (cont !== undefined && statusCodeOf(err) === 410) {
          fresh.clear();
          cont = undefined;
          paged = false;
          continue;
        }
        throw err;
      }
      if (signal.aborted) return;
      const keep = this.opts.transform;
      for (const item of page.items) fresh.set(objectKey(item), keep ? keep(item) : item);
      rv = page.resourceVersion;
      cont = page.continue || undefined;
      if (cont === undefined) break;
    }

    const old = this.store;
    this.store = fresh;
    this.resourceVersion = rv;
    this.markHealthy();
    for (const [key, obj] of fresh) {
      const before = old.get(key);
      if (!before) this.emitAdd(obj);
      else if (before.metadata.resourceVersion !== obj.metadata.resourceVersion) this.emitUpdate(before, obj);
    }
    for (const [key, obj] of old) if (!fresh.has(key)) this.emitDelete(obj);
    if (!this.synced) {
      this.synced = true;
      for (const w of [...this.syncWaiters]) w();
      this.syncWaiters.clear();
    }
  }

  /** One watch from the current resourceVersion; resolves with why it ended. */
  private watchOnce(signal: AbortSignal): Promise<WatchEnd> {
    const { listWatch, labelSelector } = this.opts;
    const timeoutSeconds = this.opts.watchTimeoutSeconds ?? Math.floor(300 + Math.random() * 300);
    return new Promise((resolve) => {
      let finished = false;
      let handle: WatchHandle | null = null;
      let events = 0;
      const finish = (end: Omit<WatchEnd, 'events'>) => {
        if (finished) return;
        finished = true;
        this.watchOpen = false;
        this.stopCurrentWatch = null;
        handle?.abort();
        resolve({ ...end, events });
      };
      this.stopCurrentWatch = () => finish({ reason: 'stopped' });
      if (signal.aborted) {
        finish({ reason: 'stopped' });
        return;
      }
      const onEvent = (type: string, raw: unknown) => {
        if (finished) return;
        events++;
        this.markHealthy();
        this.applyEvent(type, raw as T);
      };
      const onDone = (err?: unknown) => {
        if (!err) finish({ reason: 'closed' });
        else finish({ reason: statusCodeOf(err) === 410 ? 'gone' : 'error', err });
      };
      listWatch
        .watch(
          { labelSelector, resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds },
          onEvent,
          onDone,
        )
        .then(
          (h) => {
            handle = h;
            if (finished) {
              h.abort();
              return;
            }
            // The server accepted the watch: whatever broke before is repaired.
            this.broken = null;
            this.watchOpen = true;
            this.backoff.forget('restart');
            this.markHealthy();
          },
          (err) => onDone(err ?? new KubemirrorError('WatchFailed', 'watch failed')),
        );
    });
  }

  private applyEvent(type: string, raw: T): void {
    const rv = raw?.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
    if (type === 'BOOKMARK' || !raw?.metadata?.name) return;
    const obj = this.opts.transform ? this.opts.transform(raw) : raw;
    const key = objectKey(obj);
    if (type === 'ADDED' || type === 'MODIFIED') {
      const before = this.store.get(key);
      this.store.set(key, obj);
      if (before) this.emitUpdate(before, obj);
      else this.emitAdd(obj);
    } else if (type === 'DELETED') {
      this.store.delete(key);
      // The event carries the object's final state, which is fresher than the cached copy.
      this.emitDelete(obj);
    }
  }

  private emitAdd(obj: T): void {
    for (const h of this.addHandlers) this.safely(() => h(obj));
  }

  private emitUpdate(oldObj: T, newObj: T): void {
    for (const h of this.updateHandlers) this.safely(() => h(oldObj, newObj));
  }

  private emitDelete(obj: T): void {
    for (const h of this.deleteHandlers) this.safely(() => h(obj));
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.opts.onHandlerError?.(err);
    }
  }
}
