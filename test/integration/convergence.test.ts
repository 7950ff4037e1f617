// Sandbox-only (SPEC §10): uses the sandbox's test doubles (a field owner that fights, request accounting); convergence on kube-apiserver with its real defaulting, Deployment controller and a MutatingAdmissionPolicy is test/real/convergence.test.ts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { FieldOwnerHandle } from '../../src/sandbox/test-doubles.js';
import { KubectlCli } from '../helpers/cli.js';
import {
  annotatedSource,
  convergenceSources,
  gadgetCrd,
  twoResyncs as twoResyncsOf,
} from '../helpers/convergence-fixtures.js';
import { Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Convergence on a server that changes what it is sent (SPEC §2): defaulting, CRD defaults, a mutating webhook
 * and a controller that owns a field of the copy cost no writes at steady state; real drift is repaired; a
 * writer that keeps changing a mirror is recognised as a fight, backed off and reported, and the fight ends
 * when it stops. The resync period is short (4s) so "two resyncs" is a few seconds, and the fight holds scale
 * with it (core/fights.ts via fightPolicy: 400 ms window, 800 ms first hold, up to 4 s); the window leaves a
 * loaded CI machine room for the round trip of one fight round (our write → the other writer → our watch).
 */

const WRITE_VERBS = /^(create|update|patch|delete) (services|deployments|configmaps|gadgets)$/;

let h: Harness;
let kubectl: KubectlCli;
const owners: FieldOwnerHandle[] = [];
const source = annotatedSource;

async function applyYaml(name: string, docs: object[]): Promise<void> {
  const file = join(h.tmpDir, `${name}.yaml`);
  writeFileSync(file, docs.map((d) => stringify(d)).join('---\n'));
  await kubectl.ok(['apply', '-f', file]);
}

/** Writes of mirrored kinds the controller made since the last reset (the doubles write in-process, uncounted). */
function controllerWrites(): Record<string, number> {
  return Object.fromEntries(Object.entries(h.sandbox.requests.counts()).filter(([k]) => WRITE_VERBS.test(k)));
}

async function metric(name: string, resource: string): Promise<number> {
  const m = await h.running!.metrics.registry.getSingleMetric(name)?.get();
  return m?.values.find((v) => v.labels.resource === resource)?.value ?? 0;
}

const twoResyncs = (sources: number) => twoResyncsOf(h.running!.metrics.registry, sources, 15_000);

const SOURCES = 4;

beforeAll(async () => {
  h = await Harness.start({ args: ['--resync-period=4s'] });
  kubectl = new KubectlCli(h.kubeconfigPath, join(h.tmpDir, 'kubectl-cache'));
  for (const ns of ['cv-src', 'cv-a', 'cv-fight', 'cv-bad']) await h.kube.namespace(ns);
  await h.kube.namespace('cv-hooked', { inject: 'true' });
  // a mutating webhook that labels every ConfigMap of the labelled namespace
  h.sandbox.faults.admission({
    resource: 'configmaps',
    namespaceSelector: 'inject=true',
    labels: { 'webhook.example.com/injected': 'yes' },
  });
  // the Deployment controller's revision annotation, on source and mirror alike (each has its own number)
  owners.push(
    h.sandbox.faults.fieldOwner({
      resource: 'deployments',
      group: 'apps',
      manager: 'kube-controller-manager',
      annotation: 'deployment.kubernetes.io/revision',
      value: (o) => (o.metadata.namespace === 'cv-src' ? '7' : '1'),
    }),
  );
  await applyYaml('crd', [gadgetCrd()]);
  await waitFor(
    'the Gadget kind served',
    async () => (await kubectl.run(['get', 'gadgets', '-A'])).code,
    (c) => c === 0,
  );
  const sources = convergenceSources('cv-src', 'cv-a', 'cv-hooked');
  await applyYaml('sources', sources.objects);
  for (const [apiVersion, kind, name, line] of sources.synced)
    await h.expectStatus(apiVersion, kind, 'cv-src', name, (l) => l === line);
}, 60_000);

afterAll(async () => {
  for (const o of owners) o.stop();
  await h?.stop();
});

describe('convergence: what the server changes is not drift', () => {
  it('the stored mirrors differ from what was sent, as on a real server', async () => {
    const svc = await h.kube.get('v1', 'Service', 'cv-a', 'web');
    expect(svc?.spec).toMatchObject({
      sessionAffinity: 'None',
      ports: [{ protocol: 'TCP', targetPort: 80 }],
    });
    expect((svc?.spec as { clusterIP?: string } | undefined)?.clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const dep = await waitFor(
      'the revision annotation on the mirrored Deployment',
      () => h.kube.get('apps/v1', 'Deployment', 'cv-a', 'web'),
      (o) => o?.metadata.annotations?.['deployment.kubernetes.io/revision'] === '1',
    );
    expect(dep?.spec).toMatchObject({ replicas: 1, revisionHistoryLimit: 10 });
    expect((await h.kube.get('cv.example.com/v1', 'Gadget', 'cv-a', 'g'))?.spec).toEqual({
      size: 3,
      mode: 'auto',
    });
    const hooked = await h.kube.get('v1', 'ConfigMap', 'cv-hooked', 'settings');
    expect(hooked?.metadata.labels?.['webhook.example.com/injected']).toBe('yes');
  });

  it('zero writes over two resyncs, and again after a restart', async () => {
    h.sandbox.requests.reset();
    await twoResyncs(SOURCES);
    expect(controllerWrites()).toEqual({});
    await h.stopController();
    h.sandbox.requests.reset();
    await h.startController(['--resync-period=4s']);
    await twoResyncs(SOURCES);
    expect(controllerWrites()).toEqual({});
    // not vacuous: the restarted controller did read everything again
    expect(h.sandbox.requests.counts()['list deployments'] ?? 0).toBeGreaterThan(0);
  });
});

describe('convergence: real drift is still repaired', () => {
  const repaired = async (what: string, probe: () => Promise<boolean>) =>
    waitFor(what, probe, Boolean, { timeoutMs: 10_000 });
  const hooked = () => h.kube.get('v1', 'ConfigMap', 'cv-hooked', 'settings');

  it('a value edited, a key added, a key removed, a label added in a webhook-labelled namespace', async () => {
    await h.kube.mergePatch('v1', 'ConfigMap', 'cv-hooked', 'settings', { data: { level: 'debug' } });
    await repaired(
      'value restored',
      async () => ((await hooked())?.data as Record<string, string> | undefined)?.level === 'info',
    );
    await h.kube.mergePatch('v1', 'ConfigMap', 'cv-hooked', 'settings', { data: { extra: 'x' } });
    await repaired(
      'added key removed',
      async () => ((await hooked())?.data as Record<string, string> | undefined)?.extra === undefined,
    );
    await h.kube.mergePatch('v1', 'ConfigMap', 'cv-hooked', 'settings', { data: { level: null } });
    await repaired(
      'removed key restored',
      async () => ((await hooked())?.data as Record<string, string> | undefined)?.level === 'info',
    );
    await h.kube.mergePatch('v1', 'ConfigMap', 'cv-hooked', 'settings', {
      metadata: { labels: { team: 'x' } },
    });
    await repaired('added label removed', async () => (await hooked())?.metadata.labels?.team === undefined);
    // the webhook's own label stays: it is the server's, not drift
    expect((await hooked())?.metadata.labels?.['webhook.example.com/injected']).toBe('yes');
  });

  it('an annotation and a spec field edited on defaulted kinds', async () => {
    await h.kube.mergePatch('v1', 'Service', 'cv-a', 'web', {
      spec: { ports: [{ name: 'http', port: 81 }] },
    });
    await repaired(
      'Service port restored',
      async () =>
        (
          (await h.kube.get('v1', 'Service', 'cv-a', 'web'))?.spec as
            | { ports?: { port: number }[] }
            | undefined
        )?.ports?.[0]?.port === 80,
    );
    await h.kube.mergePatch('apps/v1', 'Deployment', 'cv-a', 'web', {
      metadata: { annotations: { 'example.com/note': 'hand edit' } },
      spec: { replicas: 5 },
    });
    await repaired('Deployment restored', async () => {
      const d = await h.kube.get('apps/v1', 'Deployment', 'cv-a', 'web');
      return (
        (d?.spec as { replicas?: number } | undefined)?.replicas === 1 &&
        d?.metadata.annotations?.['example.com/note'] === undefined
      );
    });
    await h.kube.mergePatch('cv.example.com/v1', 'Gadget', 'cv-a', 'g', { spec: { size: 9 } });
    await repaired(
      'Gadget restored',
      async () =>
        (
          (await h.kube.get('cv.example.com/v1', 'Gadget', 'cv-a', 'g'))?.spec as
            | { size?: number }
            | undefined
        )?.size === 3,
    );
  });

  it('a deleted mirror is recreated', async () => {
    await h.kube.delete('v1', 'Service', 'cv-a', 'web');
    await repaired(
      'Service recreated',
      async () => (await h.kube.get('v1', 'Service', 'cv-a', 'web')) !== null,
    );
  });
});

describe('a body the API server refuses is not sent again', () => {
  it("a 422 is that target's error, written once, until the source changes", async () => {
    const svc = source(
      'v1',
      'Service',
      'cv-src',
      'odd',
      { spec: { selector: { app: 'odd' }, ports: [{ name: 'http', port: 80 }] } },
      'cv-bad',
    );
    const transform = (port: number) => `rules:\n  - path: spec.ports[0].port\n    value: ${port}\n`;
    const creates = () => h.sandbox.requests.counts()['create services'] ?? 0;
    const before = creates();
    await h.kube.create({
      ...svc,
      metadata: {
        ...svc.metadata,
        annotations: { ...svc.metadata.annotations, 'kubemirror.io/transform': transform(99999) },
      },
    });
    const line = await h.expectStatus('v1', 'Service', 'cv-src', 'odd', (l) => l.startsWith('Partial 0/1'));
    expect(line).toMatch(/1 error \(cv-bad: refused by the API server: invalid spec\.ports\[0\]\.port/);
    await twoResyncs(SOURCES + 1);
    // one `create services` is the test's own (the source), one is the controller's single attempt
    expect(creates() - before).toBe(2);
    const live = await h.kube.get('v1', 'Service', 'cv-src', 'odd');
    await h.kube.mergePatch('v1', 'Service', 'cv-src', 'odd', {
      metadata: {
        resourceVersion: live?.metadata.resourceVersion,
        annotations: { 'kubemirror.io/transform': transform(8080) },
      },
    });
    await h.expectStatus('v1', 'Service', 'cv-src', 'odd', (l) => l === 'Synced 1/1');
  });
});

describe('fights', () => {
  it('another writer that keeps changing a mirror is recognised, backed off, reported, and the fight ends', async () => {
    await h.kube.create(source('v1', 'ConfigMap', 'cv-src', 'contested', { data: { k: 'v' } }, 'cv-fight'));
    await h.expectStatus('v1', 'ConfigMap', 'cv-src', 'contested', (l) => l === 'Synced 1/1');
    const updates = () => h.sandbox.requests.counts()['update configmaps'] ?? 0;
    const before = updates();
    const fightsBefore = await metric('kubemirror_fights_total', 'configmaps');
    // a controller that owns an annotation on the copy kubemirror does not want there
    const owner = h.sandbox.faults.fieldOwner({
      resource: 'configmaps',
      namespaceSelector: 'kubernetes.io/metadata.name=cv-fight',
      manager: 'rev-bot',
      annotation: 'example.com/owned',
      value: 'theirs',
    });
    owners.push(owner);
    const line = await h.expectStatus('v1', 'ConfigMap', 'cv-src', 'contested', (l) =>
      l.startsWith('Fighting:'),
    );
    expect(line).toBe('Fighting: cv-fight (rev-bot); Partial 0/1');
    // recognised within a few rounds: at most policy.rounds (3) repairs before the fight was called
    expect(updates() - before).toBeLessThanOrEqual(4);
    expect(await metric('kubemirror_fights_total', 'configmaps')).toBe(fightsBefore + 1);
    expect(await metric('kubemirror_mirrors_fighting', 'configmaps')).toBeGreaterThanOrEqual(1);
    const events = await h.kube.list('v1', 'Event', 'cv-src');
    const fight = events.find((e) => (e as { reason?: string }).reason === 'MirrorFight');
    expect((fight as { message?: string } | undefined)?.message).toMatch(
      /cv-fight keeps being changed by rev-bot .*fields: metadata\.annotations\["example\.com\/owned"\]/,
    );
    // backed off: each further round of the owner (one per repair of ours) waits longer than the one before
    const roundsAt: number[] = [];
    let seen = owner.writes;
    await waitFor(
      'four more rounds of the fight',
      () => {
        if (owner.writes > seen) {
          seen = owner.writes;
          roundsAt.push(Date.now());
        }
        return roundsAt.length;
      },
      (n) => n >= 4,
      { timeoutMs: 20_000, intervalMs: 10 },
    );
    const gaps = roundsAt.slice(1).map((t, i) => t - roundsAt[i]!);
    // holds of 800, 1600, 3200 ms, then the 4 s resync cap; a ping-pong would take a few ms
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(600);
    expect(gaps[2]!).toBeGreaterThan(gaps[0]!);
    // the other writer stops: our next repair sticks and the fight is over
    owner.stop();
    await h.expectStatus('v1', 'ConfigMap', 'cv-src', 'contested', (l) => l === 'Synced 1/1', 20_000);
    const m = await h.kube.get('v1', 'ConfigMap', 'cv-fight', 'contested');
    expect(m?.metadata.annotations?.['example.com/owned']).toBeUndefined();
    await waitFor(
      'no mirror fighting',
      () => metric('kubemirror_mirrors_fighting', 'configmaps'),
      (n) => n === 0,
    );
  });
});
