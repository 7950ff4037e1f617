import { type V1Lease, V1MicroTime } from '@kubernetes/client-node';
import { type Clock, sleep, systemClock } from './clock.js';

/**
 * The three Lease calls the elector makes: kube/lease-api.ts over KubeClient in the product; client-node's
 * CoordinationV1Api satisfies it too (tests).
 */
export interface LeaseApi {
  readNamespacedLease(p: { name: string; namespace: string }): Promise<V1Lease>;
  createNamespacedLease(p: { namespace: string; body: V1Lease }): Promise<V1Lease>;
  replaceNamespacedLease(p: { name: string; namespace: string; body: V1Lease }): Promise<V1Lease>;
}

/**
 * The Lease calls counted like every other API request (`kubemirror_api_requests_total{verb,resource="leases",code}`):
 * `count(verb, 'leases', code)` with the HTTP code, or `<error>` when no answer came.
 */
export function countedLeaseApi(
  api: LeaseApi,
  count: (verb: string, resource: string, code: string) => void,
): LeaseApi {
  const counted = async <T>(verb: string, ok: string, call: () => Promise<T>): Promise<T> => {
    try {
      const out = await call();
      count(verb, 'leases', ok);
      return out;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      count(verb, 'leases', typeof code === 'number' ? String(code) : '<error>');
      throw err;
    }
  };
  return {
    readNamespacedLease: (p) => counted('get', '200', () => api.readNamespacedLease(p)),
    createNamespacedLease: (p) => counted('create', '201', () => api.createNamespacedLease(p)),
    replaceNamespacedLease: (p) => counted('update', '200', () => api.replaceNamespacedLease(p)),
  };
}

interface ElectionLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface LeaderElectorOptions {
  api: LeaseApi;
  namespace: string;
  name: string;
  /** unique per replica: the pod name, else hostname_pid (see electionIdentity) */
  identity: string;
  /** default 15 s */
  leaseDurationMs?: number;
  /** a leader that has not renewed for this long steps down; default 10 s */
  renewDeadlineMs?: number;
  /** time between attempts to acquire or renew; default 2 s */
  retryPeriodMs?: number;
  /** called when this replica becomes leader */
  onStartedLeading?: () => void;
  /** called the moment leadership is lost or given up: stop writing at once */
  onStoppedLeading?: () => void;
  /** called when the observed holder changes ('' when the lease is free) */
  onNewLeader?: (identity: string) => void;
  clock?: Clock;
  log?: ElectionLog;
}

/** The identity of this replica: POD_NAME, else `hostname_pid`. */
export function electionIdentity(
  env: Readonly<Record<string, string | undefined>>,
  hostname: string,
  pid: number,
) {
  return env.POD_NAME?.trim() || `${hostname}_${pid}`;
}

const silentLog: ElectionLog = { info: () => {}, warn: () => {}, debug: () => {} };

/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: the Lease is free when it has no
 * holder or its `renewTime + leaseDurationSeconds` has passed; every write carries the resourceVersion that was
 * read, so of two candidates exactly one wins and the other gets 409 and tries again later. A leader that
 * cannot renew within the renew deadline steps down (onStoppedLeading) without waiting for the API; after a
 * loss it keeps campaigning. `release()` hands the Lease over on shutdown so a standby takes it at its next try.
 * Decisions rely on the Lease's renewTime, so replicas' clocks are assumed to be roughly in sync.
 */
export class LeaderElector {
  private readonly opts: Required<
    Pick<LeaderElectorOptions, 'leaseDurationMs' | 'renewDeadlineMs' | 'retryPeriodMs'>
  > &
    LeaderElectorOptions;
  private readonly clock: Clock;
  private readonly log: ElectionLog;
  private api: LeaseApi | undefined;
  private leading = false;
  private holder = '';
  /** the last Lease read or written, for the resourceVersion of the next write */
  private lease: V1Lease | undefined;
  private deadline: unknown;
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;

  constructor(opts: LeaderElectorOptions) {
    this.opts = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, ...opts };
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log ?? silentLog;
  }

  /** Starts campaigning; runs until `signal` aborts, `stop()` or `release()`. */
  start(signal?: AbortSignal): void {
    if (this.loop) return;
    const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = this.opts;
    if (!(leaseDurationMs > renewDeadlineMs && renewDeadlineMs > retryPeriodMs && retryPeriodMs > 0)) {
      throw new Error('leader election needs leaseDuration > renewDeadline > retryPeriod > 0');
    }
    this.api = this.opts.api;
    this.abort = new AbortController();
    const own = this.abort.signal;
    if (signal?.aborted) this.abort.abort();
    signal?.addEventListener('abort', () => this.abort?.abort(), { once: true });
    this.loop = this.run(own);
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The holder last seen on the Lease ('' when free or not read yet). */
  leaderIdentity(): string {
    return this.holder;
  }

  /** Stops campaigning without touching the Lease (a leader's Lease then expires after its duration). */
  async stop(): Promise<void> {
    this.abort?.abort();
    await this.loop;
    this.stepDown('stopped');
  }

  /**
   * Stops campaigning and, when the Lease names this replica, steps down and marks it free (no holder, 1 s duration) so a
   * standby takes over at its next retry instead of after the lease duration. Never throws.
   */
  async release(): Promise<void> {
    await this.stop();
    // also after a deadline step-down: the Lease may still name us, and a 409 tells us when it does not
    if (!this.api || !this.lease) return;
    const { name, namespace, identity } = this.opts;
    let current: V1Lease = this.lease;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        if (current.spec?.holderIdentity !== identity) return;
        const now = new V1MicroTime(this.clock.now());
        const spec = {
          ...current.spec,
          holderIdentity: '',
          leaseDurationSeconds: 1,
          acquireTime: now,
          renewTime: now,
        };
        this.lease = await this.api.replaceNamespacedLease({ name, namespace, body: { ...current, spec } });
        this.observeHolder('');
        this.log.info({ lease: this.leaseRef() }, 'leader lease released');
        return;
      } catch (err) {
        // a renew still in flight when we stopped may have moved the resourceVersion on: re-read once
        if (attempt === 0 && statusOf(err) === 409) {
          try {
            current = await this.api.readNamespacedLease({ name, namespace });
            continue;
          } catch {}
        }
        this.log.warn({ lease: this.leaseRef(), err: describe(err) }, 'could not release the leader lease');
        return;
      }
    }
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const startedAt = this.clock.now();
      let acquired = false;
      try {
        // a hung request must not hold up the loop: the deadline timer steps down meanwhile
        acquired = await this.bounded(this.tryAcquireOrRenew(startedAt, signal), signal);
      } catch (err) {
        this.log.debug({ lease: this.leaseRef(), err: describe(err) }, 'leader election attempt failed');
      }
      if (signal.aborted) break;
      if (acquired) this.renewed(startedAt);
      else if (this.leading && this.holder !== this.opts.identity)
        this.stepDown(`lease taken by ${this.holder}`);
      const wait = this.leading ? this.opts.retryPeriodMs : jitter(this.opts.retryPeriodMs);
      try {
        await sleep(this.clock, wait, signal);
      } catch {
        break;
      }
    }
  }

  /** `attempt`, or false once the renew deadline passes or `signal` aborts. */
  private bounded(attempt: Promise<boolean>, signal: AbortSignal): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const done = (fn: () => void) => {
        this.clock.clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        fn();
      };
      const onAbort = () => done(() => resolve(false));
      const timer = this.clock.setTimeout(() => done(() => resolve(false)), this.opts.renewDeadlineMs);
      signal.addEventListener('abort', onAbort, { once: true });
      attempt.then(
        (v) => done(() => resolve(v)),
        (e) => done(() => reject(e)),
      );
    });
  }

  /** One round: read the Lease, then take it over or renew it if that is allowed. True when we hold it. */
  private async tryAcquireOrRenew(now: number, signal: AbortSignal): Promise<boolean> {
    const api = this.api!;
    const { name, namespace, identity } = this.opts;
    const microNow = new V1MicroTime(now);
    const durationSeconds = Math.ceil(this.opts.leaseDurationMs / 1000);
    let lease: V1Lease;
    try {
      lease = await api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
      if (signal.aborted) return false;
      const body: V1Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name, namespace },
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds: durationSeconds,
          acquireTime: microNow,
          renewTime: microNow,
          leaseTransitions: 0,
        },
      };
      return this.write(() => api.createNamespacedLease({ namespace, body }), 'created');
    }
    this.lease = lease;
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    this.observeHolder(holder);
    const renewedAt = timeOf(spec.renewTime);
    const expiresAt = renewedAt === undefined ? 0 : renewedAt + (spec.leaseDurationSeconds ?? 0) * 1000;
    const mine = holder === identity;
    if (!mine && holder !== '' && expiresAt > now) return false;
    if (signal.aborted) return false;

    const body: V1Lease = {
      ...lease,
      spec: mine
        ? { ...spec, leaseDurationSeconds: durationSeconds, renewTime: microNow }
        : {
            ...spec,
            holderIdentity: identity,
            leaseDurationSeconds: durationSeconds,
            acquireTime: microNow,
            renewTime: microNow,
            leaseTransitions: (spec.leaseTransitions ?? 0) + 1,
          },
    };
    // the read resourceVersion travels in body.metadata: a concurrent writer makes this a 409
    return this.write(
      () => api.replaceNamespacedLease({ name, namespace, body }),
      mine ? 'renewed' : 'acquired',
    );
  }

  /** Runs one write; a 409 (another candidate wrote first, or created the Lease first) loses this round. */
  private async write(call: () => Promise<V1Lease>, how: string): Promise<boolean> {
    let lease: V1Lease;
    try {
      lease = await call();
    } catch (err) {
      if (statusOf(err) === 409) return false;
      throw err;
    }
    this.lease = lease;
    this.observeHolder(lease.spec?.holderIdentity ?? '');
    if (how !== 'renewed') {
      this.log.info({ lease: this.leaseRef(), identity: this.opts.identity }, `leader lease ${how}`);
    }
    return true;
  }

  /**
   * After a successful write: lead (if not yet) and push the renew deadline out. The deadline counts from when
   * the attempt started (the renewTime written), so a slow write cannot stretch leadership past the Lease.
   */
  private renewed(startedAt: number): void {
    this.clock.clearTimeout(this.deadline);
    this.deadline = this.clock.setTimeout(
      () => this.stepDown(`lease not renewed within ${this.opts.renewDeadlineMs} ms`),
      Math.max(0, startedAt + this.opts.renewDeadlineMs - this.clock.now()),
    );
    if (this.leading) return;
    this.leading = true;
    this.log.info({ lease: this.leaseRef(), identity: this.opts.identity }, 'started leading');
    safely(this.opts.onStartedLeading, this.log);
  }

  private stepDown(why: string): void {
    this.clock.clearTimeout(this.deadline);
    this.deadline = undefined;
    if (!this.leading) return;
    this.leading = false;
    this.log.warn({ lease: this.leaseRef(), identity: this.opts.identity, why }, 'stopped leading');
    safely(this.opts.onStoppedLeading, this.log);
  }

  private observeHolder(holder: string): void {
    if (holder === this.holder) return;
    this.holder = holder;
    safely(() => this.opts.onNewLeader?.(holder), this.log);
  }

  private leaseRef(): string {
    return `${this.opts.namespace}/${this.opts.name}`;
  }
}

function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

/** MicroTime arrives as a string from the API (client-node does not parse it), as a Date from our own writes. */
function timeOf(t: unknown): number | undefined {
  if (t instanceof Date) return t.getTime();
  if (typeof t === 'string') {
    const ms = Date.parse(t);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

function jitter(ms: number): number {
  return ms + Math.random() * ms * 0.2;
}

function safely(fn: (() => void) | undefined, log: ElectionLog): void {
  try {
    fn?.();
  } catch (err) {
    log.warn({ err: describe(err) }, 'leader election callback threw');
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
