import { Backoff } from './backoff.js';
import { type Clock, systemClock } from './clock.js';

/** Metric hooks, called synchronously; bind them to `workqueue_*{name}` series. Durations in seconds. */
export interface QueueMetrics {
  depth(n: number): void;
  add(): void;
  retry(): void;
  queueDuration(seconds: number): void;
  workDuration(seconds: number): void;
}

export const noopQueueMetrics: QueueMetrics = {
  depth: () => {},
  add: () => {},
  retry: () => {},
  queueDuration: () => {},
  workDuration: () => {},
};

export interface WorkQueueOptions<K> {
  name?: string;
  clock?: Clock;
  backoff?: Backoff<K>;
  metrics?: QueueMetrics;
}

interface Delayed {
  at: number;
  handle: unknown;
}

/**
 * A keyed work queue with client-go's guarantees:
 * - a key is queued at most once, however often it is added (dedupe);
 * - a key handed out by `get()` is not handed out again until `done(key)`; adds in between mark it dirty and
 *   it is queued once more on `done` (N triggers while busy collapse into one re-run);
 * - `addAfter` keeps the earliest pending deadline per key; `addRateLimited` waits per-key exponential backoff.
 * After `shutDown()` nothing new is accepted, queued keys are dropped and `get()` resolves `undefined`;
 * keys already handed out finish normally (`drain` waits for them).
 */
export class WorkQueue<K = string> {
  readonly name: string;
  private readonly clock: Clock;
  private readonly backoff: Backoff<K>;
  private readonly metrics: QueueMetrics;
  private queue: K[] = [];
  private head = 0;
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly addedAt = new Map<K, number>();
  private readonly startedAt = new Map<K, number>();
  private readonly delayed = new Map<K, Delayed>();
  private readonly waiters: Array<(key: K | undefined) => void> = [];
  private readonly idleWaiters: Array<() => void> = [];
  private shuttingDown = false;

  constructor(opts: WorkQueueOptions<K> = {}) {
    this.name = opts.name ?? 'default';
    this.clock = opts.clock ?? systemClock;
    this.backoff = opts.backoff ?? new Backoff<K>();
    this.metrics = opts.metrics ?? noopQueueMetrics;
  }

  /** Queues `key` unless it is already queued; if it is being processed it runs once more afterwards. */
  add(key: K): void {
    if (this.shuttingDown) return;
    this.metrics.add();
    if (this.dirty.has(key)) return;
    this.dirty.add(key);
    if (!this.addedAt.has(key)) this.addedAt.set(key, this.clock.now());
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /** Adds `key` after `ms`; if a later delayed add is pending it is replaced, an earlier one is kept. */
  addAfter(key: K, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + ms;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) this.clock.clearTimeout(pending.handle);
    const handle = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at, handle });
  }

  /** Adds `key` after its per-key backoff (5 ms doubling to 5 min); counts a retry. */
  addRateLimited(key: K): void {
    if (this.shuttingDown) return;
    this.metrics.retry();
    this.addAfter(key, this.backoff.next(key));
  }

  /** Resets the backoff of `key` (call after a success or a terminal failure). */
  forget(key: K): void {
    this.backoff.forget(key);
  }

  /** Consecutive rate-limited re-adds of `key` since it was last forgotten. */
  numRequeues(key: K): number {
    return this.backoff.failureCount(key);
  }

  /** Keys waiting to be handed out (not counting delayed or in-flight keys). */
  len(): number {
    return this.queue.length - this.head;
  }

  /** Keys handed out and not yet `done`. */
  inFlight(): number {
    return this.processing.size;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Next key to process, waiting while the queue is empty; `undefined` once shut down. Call `done` after. */
  get(): Promise<K | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.shift();
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `key` finished; if it was added meanwhile it is queued again. */
  done(key: K): void {
    if (!this.processing.delete(key)) return;
    const started = this.startedAt.get(key);
    this.startedAt.delete(key);
    if (started !== undefined) this.metrics.workDuration((this.clock.now() - started) / 1000);
    if (this.dirty.has(key) && !this.shuttingDown) this.push(key);
    if (this.processing.size === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Stops intake: no more adds, pending and delayed keys are dropped, waiting `get()`s resolve `undefined`. */
  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const d of this.delayed.values()) this.clock.clearTimeout(d.handle);
    this.delayed.clear();
    this.queue = [];
    this.head = 0;
    this.dirty.clear();
    this.addedAt.clear();
    this.metrics.depth(0);
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  /** Shuts down and waits up to `timeoutMs` for in-flight keys to be `done`; true if they all were. */
  drain(timeoutMs: number): Promise<boolean> {
    this.shutDown();
    if (this.processing.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const handle = this.clock.setTimeout(() => resolve(this.processing.size === 0), timeoutMs);
      this.idleWaiters.push(() => {
        this.clock.clearTimeout(handle);
        resolve(true);
      });
    });
  }

  private push(key: K): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      this.queue.push(key);
      waiter(this.shift());
      return;
    }
    this.queue.push(key);
    this.metrics.depth(this.len());
  }

  private shift(): K | undefined {
    if (this.head >= this.queue.length) return undefined;
    const key = this.queue[this.head] as K;
    this.head++;
    // Compact lazily so shift stays O(1) amortised on long queues.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.dirty.delete(key);
    this.processing.add(key);
    const now = this.clock.now();
    const added = this.addedAt.get(key);
    this.addedAt.delete(key);
    if (added !== undefined) this.metrics.queueDuration((now - added) / 1000);
    this.startedAt.set(key, now);
    this.metrics.depth(this.len());
    return key;
  }
}
