import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningController, startController } from '../../src/cli/start-controller.js';
import { createLogger } from '../../src/observability/logger.js';
import { type CliProcess, startCli } from '../helpers/cli.js';
import { Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import { configMap } from '../integration/scenarios.js';

/**
 * Leader election and the `run` command's lifecycle. Two replicas on one sandbox: exactly one writes, the
 * other takes over when the leader goes away (released lease: at once; killed: after the lease expires).
 * Then `run` as a real process: SIGTERM exits 0, an invalid configuration exits non-zero before any request.
 */

const T = 'kubemirror.io/target-namespaces';
const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete']);
const LEASE = { leaseDurationMs: 2000, renewDeadlineMs: 1500, retryPeriodMs: 300 };
/** The CLI's fixed lease timings (SPEC §5): 15 s lease, 2 s retry. */
const CLI_LEASE_MS = 15_000;
const CLI_RETRY_MS = 2_000;

function electionFlags(id: string): string[] {
  return [
    '--leader-elect=true',
    '--leader-election-namespace=default',
    `--leader-election-id=${id}`,
    '--metrics-bind-address=127.0.0.1:0',
    '--health-probe-bind-address=127.0.0.1:0',
    '--discovery-interval=1s',
  ];
}

/** One in-process replica with its own identity and quiet captured logs. */
async function replica(h: Harness, identity: string, leaseId: string): Promise<RunningController> {
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  return startController({
    argv: electionFlags(leaseId),
    env: { POD_NAME: identity },
    kubeconfigPath: h.kubeconfigPath,
    logger: createLogger({ level: 'info', destination: sink }),
    leaseTimings: LEASE,
  });
}

/** Writes this replica itself sent to the API server (from its own metrics: the sandbox can't tell us apart). */
async function writesOf(r: RunningController): Promise<number> {
  const m = (await r.metrics.registry.getMetricsAsJSON()).find(
    (x) => x.name === 'kubemirror_api_requests_total',
  );
  return (m?.values ?? [])
    .filter((v) => WRITE_VERBS.has(String(v.labels.verb)) && v.labels.resource !== 'leases')
    .reduce((sum, v) => sum + Number(v.value), 0);
}

async function leaderText(r: RunningController): Promise<string> {
  return (await (await fetch(`http://${r.http.probeAddress}/leader`)).text()).trim();
}

async function leaseHolder(h: Harness, name: string): Promise<string> {
  const lease = await h.kube.get('coordination.k8s.io/v1', 'Lease', 'default', name);
  return ((lease?.spec as { holderIdentity?: string } | undefined)?.holderIdentity ?? '').trim();
}

describe('leader election between two replicas (in-process, short leases)', () => {
  let h: Harness;
  const replicas: RunningController[] = [];

  beforeAll(async () => {
    h = await Harness.start({ controller: false });
    for (const n of ['le-src', 'le-a', 'le-b']) await h.kube.namespace(n);
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await h?.stop();
  });

  it('exactly one replica writes; the follower says Follower and writes nothing; a released lease is taken over at once', async () => {
    replicas.push(await replica(h, 'replica-a', 'kubemirror-le'));
    replicas.push(await replica(h, 'replica-b', 'kubemirror-le'));
    const [leader, follower] = await waitFor(
      'exactly one leader',
      () => replicas.filter((r) => r.isLeader()),
      (ls) => ls.length === 1,
    ).then(([l]) => [l!, replicas.find((r) => r !== l)!] as const);
    await waitFor('both caches synced', () => replicas.every((r) => r.controller.hasSynced()), Boolean);

    await h.kube.create(configMap('le-src', 'first', { [T]: 'le-a,le-b' }));
    await h.expectMirrorsIn('v1', 'ConfigMap', 'first', ['le-a', 'le-b']);
    await h.expectStatus('v1', 'ConfigMap', 'le-src', 'first', (l) => l === 'Synced 2/2');
    expect(await leaderText(leader)).toBe(`Leader: ${leader.identity}`);
    expect(await leaderText(follower)).toBe('Follower');
    expect(await writesOf(leader)).toBeGreaterThanOrEqual(2);
    expect(await writesOf(follower)).toBe(0);
    expect(follower.isLeader()).toBe(false);

    // graceful stop releases the lease: the follower takes it at its next retry, well before expiry
    await leader.stop();
    const t0 = Date.now();
    await waitFor('the follower to lead', () => follower.isLeader(), Boolean, { timeoutMs: 10_000 });
    expect(Date.now() - t0).toBeLessThan(LEASE.leaseDurationMs);
    expect(await leaderText(follower)).toBe(`Leader: ${follower.identity}`);
    expect(await leaseHolder(h, 'kubemirror-le')).toBe(follower.identity);

    await h.kube.create(configMap('le-src', 'second', { [T]: 'le-a' }));
    await h.expectMirrorsIn('v1', 'ConfigMap', 'second', ['le-a']);
    expect(await writesOf(follower)).toBeGreaterThan(0);
  });
});

describe('kubemirror run as a process', () => {
  let h: Harness;
  const requestLines: string[] = [];
  const procs: CliProcess[] = [];

  beforeAll(async () => {
    h = await Harness.start({ controller: false, sandbox: { log: (l) => requestLines.push(l) } });
    for (const n of ['proc-src', 'proc-a']) await h.kube.namespace(n);
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGKILL').catch(() => {})));
    await h?.stop();
  });

  const run = (args: string[], env: Record<string, string> = {}) => {
    const p = startCli(['run', '--kubeconfig', h.kubeconfigPath, ...args], {
      env: { LOG_LEVEL: 'info', ...env },
    });
    procs.push(p);
    return p;
  };

  it('an invalid configuration exits non-zero naming every problem, before any API request', async () => {
    const before = requestLines.length;
    const p = run([
      '--leader-elect=false',
      '--metrics-bind-address',
      '127.0.0.1:0',
      '--health-probe-bind-address',
      '127.0.0.1:0',
      '--max-targets=-1',
      '--resync-period=banana',
    ]);
    const exit = await p.exited;
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(p.stderr()).toMatch(/max-targets/);
    expect(p.stderr()).toMatch(/resync-period/);
    expect(p.stderr()).toMatch(/banana/);
    expect(requestLines.slice(before)).toEqual([]);
  });

  it('SIGTERM after mirroring: the process drains and exits 0', async () => {
    const p = run([
      '--leader-elect=false',
      '--metrics-bind-address',
      '127.0.0.1:0',
      '--health-probe-bind-address',
      '127.0.0.1:0',
    ]);
    await h.kube.create(configMap('proc-src', 'term', { [T]: 'proc-a' }));
    await h.expectMirrorsIn('v1', 'ConfigMap', 'term', ['proc-a'], 20_000);
    const exit = await p.stop('SIGTERM', 25_000);
    expect(exit).toEqual({ code: 0, signal: null });
  });

  it('SIGKILL of the leading process: the standby takes over once the lease expires and mirrors a new source', async () => {
    const lease = 'kubemirror-proc';
    const flags = [
      ...electionFlags(lease).filter((f) => !f.startsWith('--discovery-interval')),
      '--resync-period=1m',
    ];
    const p1 = run(flags, { POD_NAME: 'proc-1' });
    const p2 = run(flags, { POD_NAME: 'proc-2' });
    const holder = await waitFor(
      'a lease holder',
      () => leaseHolder(h, lease),
      (x) => x === 'proc-1' || x === 'proc-2',
      { timeoutMs: 20_000 },
    );
    const [leader, standby] = holder === 'proc-1' ? [p1, p2] : [p2, p1];
    const standbyId = holder === 'proc-1' ? 'proc-2' : 'proc-1';
    await leader.waitForLine(/became leader/);
    // the standby is up (caches running) before the leader dies
    await standby.waitForLine(/watching resource type for sources and mirrors/);

    leader.child.kill('SIGKILL');
    const t0 = Date.now();
    expect((await leader.exited).signal).toBe('SIGKILL');
    await standby.waitForLine(/became leader/, CLI_LEASE_MS + 3 * CLI_RETRY_MS + 5_000);
    expect(Date.now() - t0).toBeLessThan(CLI_LEASE_MS + 2 * CLI_RETRY_MS + 2_000);
    expect(await leaseHolder(h, lease)).toBe(standbyId);

    await h.kube.create(configMap('proc-src', 'takeover', { [T]: 'proc-a' }));
    await h.expectMirrorsIn('v1', 'ConfigMap', 'takeover', ['proc-a'], 20_000);
    expect((await standby.stop('SIGTERM', 25_000)).code).toBe(0);
    // graceful stop released the lease
    await waitFor(
      'lease released',
      () => leaseHolder(h, lease),
      (x) => x === '',
      { timeoutMs: 5_000 },
    );
  }, 60_000);
});
