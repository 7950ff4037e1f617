import PQueue from 'p-queue';
import { type Clock, systemClock } from './clock.js';
import { type ReconcileOutcome, type ReconcileResult, settleReconcile } from './reconcile-result.js';
import type { WorkQueue } from './work-queue.js';

export interface ReconcileReport<K> {
  key: K;
  result: ReconcileOutcome;
  durationMs: number;
  /** the thrown error, for `error` and `terminal` */
  error?: unknown;
}

export interface WorkerPoolOptions<K> {
  queue: WorkQueue<K>;
  /** returns `done`, `requeueAfter(ms)` or nothing; throws to retry with backoff, `TerminalError` to give up */
  reconcile: (key: K) => Promise<ReconcileResult> | Promise<void>;
  concurrency: number;
  /** called once per reconcile, after the requeue decision; must not throw */
  report?: (r: ReconcileReport<K>) => void;
  clock?: Clock;
}

/**
 * Runs `reconcile` over a work queue with at most `concurrency` keys in flight (p-queue). A key is pulled only
 * when a worker is free, so keys wait in the work queue where they are deduplicated, not in p-queue.
 * What happens after each reconcile is decided by `settleReconcile`.
 */
export class WorkerPool<K = string> {
  private readonly opts: WorkerPoolOptions<K>;
  private readonly clock: Clock;
  private pq: PQueue | null = null;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private desired: number;

  constructor(opts: WorkerPoolOptions<K>) {
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
    this.desired = checkConcurrency(opts.concurrency);
  }

  get concurrency(): number {
    return this.desired;
  }

  /** Changes the number of workers at run time; running reconciles are not interrupted. */
  set concurrency(n: number) {
    this.desired = checkConcurrency(n);
    if (this.pq) this.pq.concurrency = this.desired;
    this.wake?.();
  }

  /** Starts pulling keys. Aborting `signal` is the same as `stop(0)` without waiting. */
  start(signal?: AbortSignal): void {
    if (this.loop) return;
    const pq = new PQueue({ concurrency: this.desired });
    this.pq = pq;
    pq.on('next', () => this.wake?.());
    signal?.addEventListener('abort', () => this.opts.queue.shutDown(), { once: true });
    this.loop = this.run(pq);
  }

  /** Stops intake and waits up to `timeoutMs` for in-flight reconciles; true if they all finished. */
  async stop(timeoutMs: number): Promise<boolean> {
    const drained = await this.opts.queue.drain(timeoutMs);
    this.wake?.();
    if (drained) await this.loop;
    return drained;
  }

  private async run(pq: PQueue): Promise<void> {
    const { queue } = this.opts;
    for (;;) {
      while (pq.pending >= pq.concurrency && !queue.isShuttingDown()) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = null;
      }
      const key = await queue.get();
      if (key === undefined) break;
      void pq.add(() => this.process(key));
    }
    await pq.onIdle();
  }

  private async process(key: K): Promise<void> {
    const { queue, reconcile, report } = this.opts;
    const started = this.clock.now();
    let settled: Parameters<typeof settleReconcile>[2];
    try {
      settled = { ok: true, value: await reconcile(key) };
    } catch (error) {
      settled = { ok: false, error };
    }
    // Decide before `done` so a requeue is registered while the key is still marked in flight.
    const result = settleReconcile(queue, key, settled);
    queue.done(key);
    const r: ReconcileReport<K> = { key, result, durationMs: this.clock.now() - started };
    if (!settled.ok) r.error = settled.error;
    try {
      report?.(r);
    } catch {
      // A broken reporter must not stop the workers.
    }
  }
}

function checkConcurrency(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`concurrency must be an integer >= 1, got ${n}`);
  return n;
}
