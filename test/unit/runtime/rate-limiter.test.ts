import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../../src/runtime/rate-limiter.js';
import { until } from './fake-clock.js';

// Bottleneck runs on the real clock, so these tests assert counts and lower bounds on elapsed time only:
// a slow machine can make the limiter look slower, never faster.

function submit(limiter: RateLimiter, n: number) {
  const done: number[] = [];
  for (let i = 0; i < n; i++) void limiter.schedule(async () => done.push(i)).catch(() => {});
  return done;
}

describe('RateLimiter', () => {
  it('lets exactly `burst` calls through at once, then waits for tokens', async () => {
    const limiter = new RateLimiter({ qps: 1, burst: 5 });
    const done = submit(limiter, 20);
    await until(() => done.length >= 5, 2000, 'the burst');
    // The next token is ~1 s away at 1 qps; a tenth of that shows the bucket was empty.
    await new Promise((r) => setTimeout(r, 100));
    expect(done.length).toBe(5);
    expect(limiter.queued()).toBe(15);
    await limiter.stop();
  });

  it('sustains no more than qps once the burst is spent', async () => {
    const limiter = new RateLimiter({ qps: 50, burst: 1 });
    const started = Date.now();
    const done = submit(limiter, 26);
    await until(() => done.length === 26, 5000, 'all calls');
    // 25 calls beyond the burst at 50/s take at least 500 ms (one 25 ms refill tick of slack).
    expect(Date.now() - started).toBeGreaterThanOrEqual(475);
    await limiter.stop();
  });

  it('treats qps 0 and Infinity as unlimited', async () => {
    for (const qps of [0, Number.POSITIVE_INFINITY]) {
      const limiter = new RateLimiter({ qps, burst: 1 });
      const done = submit(limiter, 300);
      await until(() => done.length === 300, 2000, `300 calls at qps ${qps}`);
      await limiter.stop();
    }
  });

  it('applies new limits at run time to calls already queued', async () => {
    const limiter = new RateLimiter({ qps: 0.1, burst: 1 });
    const done = submit(limiter, 50);
    await until(() => done.length === 1, 2000, 'the burst');
    // At 0.1 qps the rest would take minutes; lifting the limit releases them now.
    limiter.update({ qps: 0, burst: 0 });
    await until(() => done.length === 50, 2000, 'the queued calls after lifting the limit');
    limiter.update({ qps: 0.1, burst: 2 });
    expect(limiter.current).toEqual({ qps: 0.1, burst: 2 });
    const more = submit(limiter, 5);
    await until(() => more.length === 2, 2000, 'the new burst');
    await new Promise((r) => setTimeout(r, 100));
    expect(more.length).toBe(2);
    await limiter.stop();
  });

  it('runs a call at once, without queueing, while tokens are left and nobody waits', async () => {
    const limiter = new RateLimiter({ qps: 10, burst: 2 });
    let ran = 0;
    void limiter.schedule(async () => ran++);
    void limiter.schedule(async () => ran++);
    expect(ran).toBe(2); // synchronously: an unreached limit costs no timer hop
    void limiter.schedule(async () => ran++).catch(() => {});
    expect(ran).toBe(2);
    expect(limiter.queued()).toBe(1);
    await limiter.stop();
  });

  it('rejects a limited qps without a burst', () => {
    expect(() => new RateLimiter({ qps: 5, burst: 0 })).toThrow(RangeError);
  });

  it('passes results and errors through', async () => {
    const limiter = new RateLimiter({ qps: 1000, burst: 10 });
    await expect(limiter.schedule(async () => 42)).resolves.toBe(42);
    await expect(limiter.schedule(async () => Promise.reject(new Error('nope')))).rejects.toThrow('nope');
    await limiter.stop();
  });
});
