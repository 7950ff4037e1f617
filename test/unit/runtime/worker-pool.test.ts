import { afterEach, describe, expect, it } from 'vitest';
import { TerminalError } from '../../../src/core/errors.js';
import { type ReconcileResult, requeueAfter } from '../../../src/runtime/reconcile-result.js';
import { WorkQueue } from '../../../src/runtime/work-queue.js';
import { type ReconcileReport, WorkerPool } from '../../../src/runtime/worker-pool.js';
import { FakeClock, until } from './fake-clock.js';

interface Gate {
  key: string;
  resolve: (r?: ReconcileResult) => void;
  reject: (e: unknown) => void;
}

function setup(concurrency: number) {
  const clock = new FakeClock();
  const queue = new WorkQueue<string>({ clock });
  const running: Gate[] = [];
  const reports: ReconcileReport<string>[] = [];
  let active = 0;
  let maxActive = 0;
  const perKeyActive = new Map<string, number>();
  let sameKeyOverlap = false;
  const pool = new WorkerPool<string>({
    queue,
    concurrency,
    clock,
    report: (r) => reports.push(r),
    reconcile: (key) =>
      new Promise<ReconcileResult>((resolve, reject) => {
        active++;
        maxActive = Math.max(maxActive, active);
        const n = (perKeyActive.get(key) ?? 0) + 1;
        if (n > 1) sameKeyOverlap = true;
        perKeyActive.set(key, n);
        const finish = () => {
          active--;
          perKeyActive.set(key, (perKeyActive.get(key) ?? 1) - 1);
          running.splice(running.indexOf(gate), 1);
        };
        const gate: Gate = {
          key,
          resolve: (r) => {
            finish();
            resolve(r);
          },
          reject: (e) => {
            finish();
            reject(e);
          },
        };
        running.push(gate);
      }),
  });
  return {
    clock,
    queue,
    pool,
    running,
    reports,
    stats: () => ({ active, maxActive, sameKeyOverlap }),
  };
}

/** Lets every pending microtask and zero-delay callback run, so "nothing more started" can be asserted. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

let stopAll: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const s of stopAll) await s();
  stopAll = [];
});

describe('WorkerPool', () => {
  it('runs at most `concurrency` reconciles at once', async () => {
    const t = setup(2);
    stopAll.push(() => t.pool.stop(0));
    for (const k of ['a', 'b', 'c', 'd']) t.queue.add(k);
    t.pool.start();
    await until(() => t.running.length === 2);
    expect(t.queue.len()).toBe(2);
    t.running[0]!.resolve();
    await until(() => t.reports.length === 1 && t.running.length === 2);
    while (t.running.length) {
      t.running[0]!.resolve();
      await until(() => t.running.length > 0 || t.reports.length === 4);
    }
    await until(() => t.reports.length === 4);
    expect(t.stats().maxActive).toBe(2);
  });

  it('never reconciles one key twice at once and re-runs it once when triggered while busy', async () => {
    const t = setup(4);
    stopAll.push(() => t.pool.stop(0));
    t.pool.start();
    t.queue.add('a');
    await until(() => t.running.length === 1);
    t.queue.add('a');
    t.queue.add('a');
    t.queue.add('a');
    await settle();
    expect(t.running.length).toBe(1);
    t.running[0]!.resolve();
    await until(() => t.running.length === 1 && t.reports.length === 1);
    t.running[0]!.resolve();
    await until(() => t.reports.length === 2);
    await settle();
    expect(t.running.length).toBe(0);
    expect(t.stats().sameKeyOverlap).toBe(false);
  });

  it('retries a failed key with backoff, gives up on TerminalError, requeues on request', async () => {
    const t = setup(3);
    stopAll.push(() => t.pool.stop(0));
    t.pool.start();
    t.queue.add('fail');
    t.queue.add('terminal');
    t.queue.add('later');
    await until(() => t.running.length === 3);
    const gate = (k: string) => t.running.find((g) => g.key === k)!;
    gate('fail').reject(new Error('transient'));
    gate('terminal').reject(new TerminalError('Invalid', 'bad input'));
    gate('later').resolve(requeueAfter(60_000));
    await until(() => t.reports.length === 3);
    expect(Object.fromEntries(t.reports.map((r) => [r.key, r.result]))).toEqual({
      fail: 'error',
      terminal: 'terminal',
      later: 'requeue',
    });
    expect(t.reports.find((r) => r.key === 'terminal')!.error).toBeInstanceOf(TerminalError);
    t.clock.advance(5);
    await until(() => t.running.length === 1);
    expect(t.running[0]!.key).toBe('fail');
    expect(t.queue.numRequeues('fail')).toBe(1);
    t.running[0]!.resolve();
    await until(() => t.reports.length === 4);
    expect(t.queue.numRequeues('fail')).toBe(0);
    t.clock.advance(60_000);
    await until(() => t.running.length === 1);
    expect(t.running[0]!.key).toBe('later');
    t.running[0]!.resolve();
    await until(() => t.reports.length === 5);
    t.clock.advance(10 * 60_000);
    await settle();
    expect(t.running.map((g) => g.key)).toEqual([]);
  });

  it('takes more work at once when concurrency is raised at run time', async () => {
    const t = setup(1);
    stopAll.push(() => t.pool.stop(0));
    for (const k of ['a', 'b', 'c']) t.queue.add(k);
    t.pool.start();
    await until(() => t.running.length === 1);
    t.pool.concurrency = 3;
    await until(() => t.running.length === 3);
    expect(t.pool.concurrency).toBe(3);
    expect(() => {
      t.pool.concurrency = 0;
    }).toThrow(RangeError);
    for (const g of [...t.running]) g.resolve();
  });

  it('stop lets in-flight reconciles finish and starts nothing new', async () => {
    const t = setup(1);
    t.queue.add('a');
    t.queue.add('b');
    t.pool.start();
    await until(() => t.running.length === 1);
    const stopped = t.pool.stop(5000);
    t.queue.add('c');
    t.running[0]!.resolve();
    expect(await stopped).toBe(true);
    expect(t.reports.map((r) => r.key)).toEqual(['a']);
    expect(t.running.length).toBe(0);
  });
});
