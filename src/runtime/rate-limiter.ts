import Bottleneck from 'bottleneck';

export interface RateLimit {
  /** sustained requests per second; 0 or Infinity = unlimited */
  qps: number;
  /** requests allowed at once after a quiet period (bucket size); at least 1 when limited */
  burst: number;
}

/** How often Bottleneck's heartbeat refills the bucket; the refill per tick is qps * TICK_MS / 1000. */
const TICK_MS = 25;

/**
 * The global write limiter: a token bucket on bottleneck (reservoir = burst, refilled continuously at qps,
 * never above burst). `update` applies new limits at run time without dropping queued calls.
 * The Bottleneck instance (and its heartbeat timer) is created on the first limited `schedule`, not in the
 * constructor. With qps 0/Infinity calls run directly.
 */
export class RateLimiter {
  private limit: RateLimit;
  private bottleneck: Bottleneck | null = null;

  constructor(limit: RateLimit) {
    this.limit = checkLimit(limit);
  }

  get current(): RateLimit {
    return { ...this.limit };
  }

  /** Runs `fn` when a token is available; resolves or rejects with `fn`'s result. */
  schedule<T>(fn: () => Promise<T>): Promise<T> {
    // Bottleneck costs ~1 ms of timer hops per call; unlimited writes skip it (calls queued earlier still drain).
    if (unlimited(this.limit)) return Promise.resolve().then(fn);
    if (!this.bottleneck)
      this.bottleneck = new Bottleneck({ ...settingsFor(this.limit), heartbeatInterval: TICK_MS });
    return this.bottleneck.schedule(fn);
  }

  /** Applies new limits; tokens already in the bucket are kept up to the new burst. */
  update(limit: RateLimit): void {
    const next = checkLimit(limit);
    const wasUnlimited = unlimited(this.limit);
    this.limit = next;
    if (!this.bottleneck) return;
    const settings: Record<string, unknown> = { ...settingsFor(next) };
    if (!unlimited(next) && !wasUnlimited) {
      // Keep the tokens left (a config reload must not grant a fresh burst), but never above the new burst.
      delete settings.reservoir;
      void this.bottleneck.currentReservoir().then((left) => {
        if (left !== null && left > next.burst)
          void this.bottleneck?.updateSettings({ reservoir: next.burst });
      });
    }
    void this.bottleneck.updateSettings(settings as Bottleneck.ConstructorOptions);
  }

  /** Calls waiting in the limiter (not yet started). */
  queued(): number {
    return this.bottleneck?.queued() ?? 0;
  }

  /** Drops queued calls (they reject) and stops the heartbeat. */
  async stop(): Promise<void> {
    const b = this.bottleneck;
    this.bottleneck = null;
    if (b) await b.stop({ dropWaitingJobs: true });
  }
}

function unlimited(l: RateLimit): boolean {
  return l.qps === 0 || l.qps === Number.POSITIVE_INFINITY;
}

function settingsFor(l: RateLimit): Bottleneck.ConstructorOptions {
  if (unlimited(l)) {
    return {
      reservoir: null,
      reservoirIncreaseInterval: null,
      reservoirIncreaseAmount: null,
      reservoirIncreaseMaximum: null,
    } as unknown as Bottleneck.ConstructorOptions;
  }
  return {
    reservoir: l.burst,
    reservoirIncreaseInterval: TICK_MS,
    reservoirIncreaseAmount: (l.qps * TICK_MS) / 1000,
    reservoirIncreaseMaximum: l.burst,
  };
}

function checkLimit(l: RateLimit): RateLimit {
  if (!(l.qps >= 0) || Number.isNaN(l.qps)) throw new RangeError(`qps must be >= 0, got ${l.qps}`);
  if (!unlimited(l) && !(l.burst >= 1))
    throw new RangeError(`burst must be >= 1 when qps is limited, got ${l.burst}`);
  return { qps: l.qps, burst: l.burst };
}
