import { describe, expect, it } from 'vitest';
import { type QueueMetrics, WorkQueue } from '../../../src/runtime/work-queue.js';
import { FakeClock } from './fake-clock.js';

function setup() {
  const clock = new FakeClock();
  const q = new WorkQueue<string>({ clock });
  return { clock, q };
}

describe('WorkQueue', () => {
  it('queues a key once however often it is added', async () => {
    const { q } = setup();
    q.add('a');
    q.add('b');
    q.add('a');
    q.add('a');
    expect(q.len()).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
    expect(q.len()).toBe(0);
  });

  it('never hands out a key that is being processed', async () => {
    const { q } = setup();
    q.add('a');
    expect(await q.get()).toBe('a');
    q.add('a');
    q.add('b');
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('b');
    let next: string | undefined = 'pending';
    void q.get().then((k) => {
      next = k;
    });
    await Promise.resolve();
    expect(next).toBe('pending');
    q.done('a');
    await Promise.resolve();
    expect(next).toBe('a');
  });

  it('collapses many adds while busy into exactly one re-run', async () => {
    const { q } = setup();
    q.add('a');
    const key = await q.get();
    for (let i = 0; i < 5; i++) q.add('a');
    q.done(key!);
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('a');
    q.done('a');
    expect(q.len()).toBe(0);
  });

  it('does not re-run a key that was not added while busy', async () => {
    const { q } = setup();
    q.add('a');
    q.done((await q.get())!);
    expect(q.len()).toBe(0);
  });

  it('wakes a waiting get when a key is added', async () => {
    const { q } = setup();
    const got = q.get();
    q.add('x');
    expect(await got).toBe('x');
  });

  it('addAfter keeps the earliest deadline per key', async () => {
    const { q, clock } = setup();
    q.addAfter('a', 1000);
    q.addAfter('a', 100);
    q.addAfter('a', 5000);
    clock.advance(99);
    expect(q.len()).toBe(0);
    clock.advance(1);
    expect(q.len()).toBe(1);
    q.done((await q.get())!);
    clock.advance(10_000);
    expect(q.len()).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it('addRateLimited backs off exponentially per key until forget', async () => {
    const { q, clock } = setup();
    const delayFor = async (key: string) => {
      q.addRateLimited(key);
      let waited = 0;
      while (q.len() === 0 && waited < 1000) {
        clock.advance(1);
        waited++;
      }
      q.done((await q.get())!);
      return waited;
    };
    expect([await delayFor('a'), await delayFor('a'), await delayFor('a'), await delayFor('a')]).toEqual([
      5, 10, 20, 40,
    ]);
    expect(q.numRequeues('a')).toBe(4);
    q.forget('a');
    expect(q.numRequeues('a')).toBe(0);
    expect(await delayFor('a')).toBe(5);
  });

  it('after shutdown accepts nothing and get resolves undefined', async () => {
    const { q, clock } = setup();
    q.add('a');
    q.addAfter('b', 10);
    const waiting = new WorkQueue<string>({ clock });
    const pending = waiting.get();
    waiting.shutDown();
    expect(await pending).toBeUndefined();
    q.shutDown();
    q.add('c');
    clock.advance(100);
    expect(q.len()).toBe(0);
    expect(await q.get()).toBeUndefined();
  });

  it('drain waits for in-flight keys and reports whether they finished in time', async () => {
    const { q, clock } = setup();
    q.add('a');
    q.add('b');
    const a = (await q.get())!;
    const b = (await q.get())!;
    let drained: boolean | undefined;
    void q.drain(1000).then((d) => {
      drained = d;
    });
    q.done(a);
    await Promise.resolve();
    expect(drained).toBeUndefined();
    q.done(b);
    await Promise.resolve();
    expect(drained).toBe(true);

    const q2 = new WorkQueue<string>({ clock });
    q2.add('stuck');
    await q2.get();
    const late = q2.drain(50);
    clock.advance(50);
    expect(await late).toBe(false);
  });

  it('reports depth, adds, retries and durations through QueueMetrics', async () => {
    const clock = new FakeClock();
    const seen = { depth: [] as number[], adds: 0, retries: 0, queued: [] as number[], work: [] as number[] };
    const metrics: QueueMetrics = {
      depth: (n) => seen.depth.push(n),
      add: () => seen.adds++,
      retry: () => seen.retries++,
      queueDuration: (s) => seen.queued.push(s),
      workDuration: (s) => seen.work.push(s),
    };
    const q = new WorkQueue<string>({ clock, metrics });
    q.add('a');
    q.add('a');
    clock.advance(2000);
    const k = (await q.get())!;
    clock.advance(500);
    q.done(k);
    q.addRateLimited('a');
    expect(seen.adds).toBe(2);
    expect(seen.retries).toBe(1);
    expect(seen.depth).toEqual([1, 0]);
    expect(seen.queued).toEqual([2]);
    expect(seen.work).toEqual([0.5]);
  });
});
