/**
 * Per-key exponential backoff, as client-go's ItemExponentialFailureRateLimiter: the n-th consecutive failure
 * of a key waits `baseMs * 2^(n-1)`, capped at `maxMs`. `forget(key)` resets the key after a success.
 */
export interface BackoffOptions {
  /** first delay; default 5 ms */
  baseMs?: number;
  /** cap; default 5 minutes */
  maxMs?: number;
}

export class Backoff<K = string> {
  readonly baseMs: number;
  readonly maxMs: number;
  private readonly failures = new Map<K, number>();

  constructor(opts: BackoffOptions = {}) {
    this.baseMs = opts.baseMs ?? 5;
    this.maxMs = opts.maxMs ?? 5 * 60_000;
  }

  /** Records one more failure of `key` and returns how long to wait before retrying it. */
  next(key: K): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    // 2^n overflows to Infinity long after it passed the cap, so Math.min keeps this finite.
    return Math.min(this.maxMs, this.baseMs * 2 ** n);
  }

  /** Consecutive failures recorded for `key` since it was last forgotten. */
  failureCount(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  forget(key: K): void {
    this.failures.delete(key);
  }
}
