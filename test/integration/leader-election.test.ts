// Sandbox-only (SPEC §10): fails Lease requests with the sandbox's fault injection.
import { CoordinationV1Api, KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/kube-client.js';
import { kubeLeaseApi } from '../../src/kube/lease-api.js';
import { electionIdentity, LeaderElector, type LeaseApi } from '../../src/runtime/leader-election.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/sandbox.js';

// Lease durations are whole seconds on the wire, so 2 s is the shortest useful lease.
const TIMING = { leaseDurationMs: 2000, renewDeadlineMs: 1500, retryPeriodMs: 200 };
const NAMESPACE = 'default';

let sandbox: Sandbox;
let kubeConfig: KubeConfig;
/** the Lease calls the controller makes (kube/lease-api.ts) */
let client: KubeClient;
let leaseName: string;
let serial = 0;
const electors: LeaderElector[] = [];
const monitors: (() => void)[] = [];

beforeAll(async () => {
  sandbox = await startSandbox();
  kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(sandbox.kubeconfigYaml());
  client = new KubeClient(kubeConfig);
});
afterAll(async () => {
  client?.close();
  await sandbox?.stop();
});
afterEach(async () => {
  for (const stop of monitors.splice(0)) stop();
  await Promise.all(electors.splice(0).map((e) => e.stop()));
  sandbox.faults.clear();
});

interface Candidate {
  elector: LeaderElector;
  events: string[];
}

function candidate(identity: string, extra: { api?: LeaseApi } = {}): Candidate {
  const events: string[] = [];
  const elector = new LeaderElector({
    api: kubeLeaseApi(client),
    namespace: NAMESPACE,
    name: leaseName,
    identity,
    ...TIMING,
    ...extra,
    onStartedLeading: () => events.push('started'),
    onStoppedLeading: () => events.push('stopped'),
  });
  electors.push(elector);
  return { elector, events };
}

/** Samples both electors every 10 ms and records any moment where both think they lead. */
function watchForSplitBrain(a: LeaderElector, b: LeaderElector): { both: number } {
  const seen = { both: 0 };
  const t = setInterval(() => {
    if (a.isLeader() && b.isLeader()) seen.both++;
  }, 10);
  monitors.push(() => clearInterval(t));
  return seen;
}

async function waitFor(
  what: string,
  ok: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<number> {
  const start = Date.now();
  while (!(await ok())) {
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - start;
}

async function readLease(): Promise<V1Lease> {
  return kubeConfig
    .makeApiClient(CoordinationV1Api)
    .readNamespacedLease({ name: leaseName, namespace: NAMESPACE });
}

async function readLeaseRaw(): Promise<{ spec: Record<string, unknown> }> {
  const res = await fetch(
    `${sandbox.url}/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases/${leaseName}`,
  );
  return (await res.json()) as { spec: Record<string, unknown> };
}

describe('LeaderElector against the sandbox API server', () => {
  it('elects exactly one of two candidates and keeps it', async () => {
    leaseName = `le-${++serial}`;
    const a = candidate('pod-a');
    const b = candidate('pod-b');
    const split = watchForSplitBrain(a.elector, b.elector);
    a.elector.start();
    b.elector.start();
    await waitFor('a leader', () => a.elector.isLeader() || b.elector.isLeader());
    const [leader, follower] = a.elector.isLeader() ? [a, b] : [b, a];
    const leaderId = leader === a ? 'pod-a' : 'pod-b';
    // several lease durations pass: the leader keeps renewing, the follower never takes over
    const until = Date.now() + 2 * TIMING.leaseDurationMs;
    await waitFor('two lease durations', () => Date.now() > until);
    expect(leader.elector.isLeader()).toBe(true);
    expect(follower.elector.isLeader()).toBe(false);
    expect(leader.events).toEqual(['started']);
    expect(follower.events).toEqual([]);
    expect(split.both).toBe(0);
    expect(follower.elector.leaderIdentity()).toBe(leaderId);
    const lease = await readLease();
    expect(lease.spec?.holderIdentity).toBe(leaderId);
    expect(lease.spec?.leaseDurationSeconds).toBe(2);
    const raw = await readLeaseRaw();
    expect(raw.spec.renewTime).toMatch(/\.\d{6}Z$/); // MicroTime as the real API server requires
  });

  /** pod-a leading on a fresh Lease, pod-b following it. */
  async function leaderAndFollower() {
    leaseName = `le-${++serial}`;
    const a = candidate('pod-a');
    a.elector.start();
    await waitFor('pod-a leading', () => a.elector.isLeader());
    const b = candidate('pod-b');
    b.elector.start();
    await waitFor('pod-b following', () => b.elector.leaderIdentity() === 'pod-a');
    return { a, b };
  }

  it('hands over after the lease duration when the leader stops without releasing', async () => {
    const { a, b } = await leaderAndFollower();
    const stoppedAt = Date.now();
    await a.elector.stop();
    expect(a.events).toEqual(['started', 'stopped']);
    await waitFor('pod-b leading', () => b.elector.isLeader(), 3 * TIMING.leaseDurationMs);
    const tookMs = Date.now() - stoppedAt;
    // not before the lease has expired (renewTime + 2 s, the renew came up to one retry before the stop)
    expect(tookMs).toBeGreaterThanOrEqual(TIMING.leaseDurationMs - TIMING.retryPeriodMs - 50);
    expect(tookMs).toBeLessThan(TIMING.leaseDurationMs + 3 * TIMING.retryPeriodMs + 500);
    const lease = await readLease();
    expect(lease.spec?.holderIdentity).toBe('pod-b');
    expect(lease.spec?.leaseTransitions).toBe(1);
  });

  it('hands over within about a retry period when the leader releases', async () => {
    const { a, b } = await leaderAndFollower();
    const releasedAt = Date.now();
    await a.elector.release();
    expect(a.elector.isLeader()).toBe(false);
    expect(a.events).toEqual(['started', 'stopped']);
    await waitFor('pod-b leading', () => b.elector.isLeader(), TIMING.leaseDurationMs);
    expect(Date.now() - releasedAt).toBeLessThan(TIMING.leaseDurationMs - 500);
    const lease = await readLease();
    expect(lease.spec?.holderIdentity).toBe('pod-b');
    expect(lease.spec?.leaseTransitions).toBe(1);
  });

  it('release marks the lease free even with no standby', async () => {
    leaseName = `le-${++serial}`;
    const a = candidate('pod-a');
    a.elector.start();
    await waitFor('pod-a leading', () => a.elector.isLeader());
    await a.elector.release();
    const lease = await readLease();
    expect(lease.spec?.holderIdentity ?? '').toBe('');
    expect(lease.spec?.leaseDurationSeconds).toBe(1);
  });

  it('a leader cut off from the API steps down before anyone else can take over', async () => {
    leaseName = `le-${++serial}`;
    const real = kubeLeaseApi(client);
    let cutOff = false;
    const failing = <T>(call: () => Promise<T>) =>
      cutOff
        ? Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))
        : call();
    const partitioned: LeaseApi = {
      readNamespacedLease: (p) => failing(() => real.readNamespacedLease(p)),
      createNamespacedLease: (p) => failing(() => real.createNamespacedLease(p)),
      replaceNamespacedLease: (p) => failing(() => real.replaceNamespacedLease(p)),
    };
    const a = candidate('pod-a', { api: partitioned });
    a.elector.start();
    await waitFor('pod-a leading', () => a.elector.isLeader());
    const b = candidate('pod-b');
    const split = watchForSplitBrain(a.elector, b.elector);
    b.elector.start();
    await waitFor('pod-b following', () => b.elector.leaderIdentity() === 'pod-a');
    cutOff = true;
    const cutAt = Date.now();
    await waitFor('pod-a stepping down', () => !a.elector.isLeader(), 2 * TIMING.renewDeadlineMs);
    expect(Date.now() - cutAt).toBeLessThanOrEqual(TIMING.renewDeadlineMs + 100);
    expect(a.events).toEqual(['started', 'stopped']);
    await waitFor('pod-b leading', () => b.elector.isLeader(), 3 * TIMING.leaseDurationMs);
    expect(split.both).toBe(0);
  });

  it('recovers leadership after the API fails every Lease request for a while', async () => {
    leaseName = `le-${++serial}`;
    const a = candidate('pod-a');
    a.elector.start();
    await waitFor('pod-a leading', () => a.elector.isLeader());
    const heal = sandbox.faults.failRequests({ fraction: 1, code: 500, resources: ['leases'] });
    await waitFor('pod-a stepping down', () => !a.elector.isLeader(), 2 * TIMING.renewDeadlineMs);
    heal();
    await waitFor('pod-a leading again', () => a.elector.isLeader(), 2 * TIMING.leaseDurationMs);
    expect(a.events).toEqual(['started', 'stopped', 'started']);
  });
});

describe('electionIdentity', () => {
  it('uses POD_NAME, else hostname_pid', () => {
    expect(electionIdentity({ POD_NAME: 'kubemirror-7d9f-abc' }, 'host', 42)).toBe('kubemirror-7d9f-abc');
    expect(electionIdentity({}, 'host', 42)).toBe('host_42');
  });
});
