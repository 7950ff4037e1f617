import Bottleneck from 'bottleneck';

export interface RateLimit {
  /** sustained requests per second; 0 or Infinity = unlimited */
  qps: number;
  /** requests allowed at once after a quiet period (bucket size); at least 1 when limited */
  burst: number;
}

/**
 * The global write limiter: a token bucket (size `burst`, refilled continuously at `qps`).
 * While tokens are left and nobody waits, a call takes one synchronously and runs at once, so a limit that is
 * not reached costs nothing. When the bucket is empty, callers queue in bottleneck (one acquisition at a time,
 * so they are served first come, first served) and each waits for the next token. `update` applies new limits
 * at run time, waking callers already waiting.
 */
export class RateLimiter {
  private limit: RateLimit;
  private tokens: number;
  private refilledAt: number;
  private waiting = 0;
  private bottleneck: Bottleneck | null = null;
  private wake: (() => void) | null = null;
  private stopped = false;

  constructor(
    limit: RateLimit,
    /** milliseconds; injected so tests can drive the refill */
    private readonly now: () => number = Date.now,
  ) {
    this.limit = checkLimit(limit);
    this.tokens = this.limit.burst;
    this.refilledAt = now();
  }

  get current(): RateLimit {
    return { ...this.limit };
  }

  /** Runs `fn` when a token is available; resolves or rejects with `fn`'s result. */
  async schedule<T>(fn: () => Promise<T>): Promise<T> {
    if (unlimited(this.limit)) return fn();
    if (this.waiting === 0 && this.take()) return fn();
    this.waiting++;
    try {
      this.bottleneck ??= new Bottleneck({ maxConcurrent: 1 });
      await this.bottleneck.schedule(() => this.acquire());
    } finally {
      this.waiting--;
    }
    return fn();
  }

  /** Applies new limits; tokens already in the bucket are kept up to the new burst. */
  update(limit: RateLimit): void {
    this.refill();
    const wasUnlimited = unlimited(this.limit);
    this.limit = checkLimit(limit);
    // coming from no limit the bucket is full; otherwise a reload must not grant a fresh burst
    this.tokens = wasUnlimited ? this.limit.burst : Math.min(this.tokens, this.limit.burst);
    this.wake?.();
  }

  /** Calls waiting for a token. */
  queued(): number {
    return this.waiting;
  }

  /** Rejects the calls waiting for a token. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    const b = this.bottleneck;
    this.bottleneck = null;
    if (b) await b.stop({ dropWaitingJobs: true });
  }

  private refill(): void {
    const now = this.now();
    if (!unlimited(this.limit)) {
      this.tokens = Math.min(
        this.limit.burst,
        this.tokens + ((now - this.refilledAt) * this.limit.qps) / 1000,
      );
    }
    this.refilledAt = now;
  }

  private take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Waits (interruptibly: `update` and `stop` wake it) until a token can be taken. */
  private async acquire(): Promise<void> {
    for (;;) {
      if (this.stopped) throw new Error('rate limiter stopped');
      if (unlimited(this.limit) || this.take()) return;
      const waitMs = Math.max(1, ((1 - this.tokens) * 1000) / this.limit.qps);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, waitMs);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = null;
    }
  }
}

function unlimited(l: RateLimit): boolean {
  return l.qps === 0 || l.qps === Number.POSITIVE_INFINITY;
}

function checkLimit(l: RateLimit): RateLimit {
  if (!(l.qps >= 0) || Number.isNaN(l.qps)) throw new RangeError(`qps must be >= 0, got ${l.qps}`);
  if (!unlimited(l) && !(l.burst >= 1))
    throw new RangeError(`burst must be >= 1 when qps is limited, got ${l.burst}`);
  return { qps: l.qps, burst: l.burst };
}
