import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import {
  expectPolicy,
  installPolicyCrd,
  MAX_TARGETS,
  operatorSecret,
  POLICY_SCENARIOS,
  policy,
  SANDBOX_ONLY_POLICY_SCENARIOS,
} from './mirror-policy-scenarios.js';

describe('MirrorPolicy (sandbox over HTTP, real controller)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ controller: false });
    await installPolicyCrd(h.kube);
    await h.startController([`--max-targets=${MAX_TARGETS}`]);
  });
  afterAll(async () => {
    await h?.stop();
  });

  [...POLICY_SCENARIOS, ...SANDBOX_ONLY_POLICY_SCENARIOS].forEach((s, i) => {
    it(s.name, async () => {
      await s.run(h, `mp${i}`);
    });
  });

  it('/status lists the objects a policy governs beside annotated sources, naming the policy', async () => {
    await h.kube.namespace('st-db');
    await h.kube.namespace('st-t1');
    await h.kube.create(operatorSecret('st-db', 'listed'));
    await h.kube.create(
      policy('st-db', 'listing', {
        resources: [{ apiVersion: 'v1', kind: 'Secret', names: ['listed'] }],
        targetNamespaces: ['st-t1'],
      }),
    );
    await expectPolicy(h.kube, 'st-db', 'listing', (_s, r) => r.reason === 'Synced');
    const controller = h.running?.controller;
    const entry = await waitFor(
      'the policy source in the status snapshot',
      () => controller?.status.snapshot().find((e) => e.name === 'listed'),
      (e) => e !== undefined,
    );
    expect(entry).toMatchObject({
      resource: 'secrets',
      namespace: 'st-db',
      policy: 'st-db/listing',
      wanted: 1,
      synced: 1,
    });
    expect(controller?.policies.statusSnapshot().find((p) => p.name === 'listing')?.status?.level).toBe(
      'Full',
    );
  });
});

describe('MirrorPolicy CRD installed after the controller started', () => {
  it('the controller starts without it, and mirrors a policy within seconds of the CRD being served', async () => {
    // the default interval, as `npm start` runs: the retry while policies are not served is then 30 s
    const h = await Harness.start({ args: ['--discovery-interval=5m'] });
    try {
      await installPolicyCrd(h.kube);
      for (const ns of ['late-db', 'late-t1']) await h.kube.namespace(ns);
      await h.kube.create(operatorSecret('late-db', 'late'));
      await h.kube.create(
        policy('late-db', 'late', {
          resources: [{ apiVersion: 'v1', kind: 'Secret', names: ['late'] }],
          targetNamespaces: ['late-t1'],
        }),
      );
      // within seconds: the CRD's arrival makes discovery look again, and that asks whether policies are served
      // (not the 30 s retry)
      await h.expectMirrorsIn('v1', 'Secret', 'late', ['late-t1'], 10_000);
      // and when the CRD goes (its policies first), the policy watch stops instead of counting as broken
      await h.kube.delete('kubemirror.io/v1alpha1', 'MirrorPolicy', 'late-db', 'late');
      await h.expectMirrorsIn('v1', 'Secret', 'late', []);
      await waitFor(
        'policy deleted',
        () => h.kube.get('kubemirror.io/v1alpha1', 'MirrorPolicy', 'late-db', 'late'),
        (o) => o === null,
      );
      await h.kube.delete(
        'apiextensions.k8s.io/v1',
        'CustomResourceDefinition',
        '',
        'mirrorpolicies.kubemirror.io',
      );
      await waitFor(
        'the policy watch stopped',
        () => h.logs.some((l) => l.includes('MirrorPolicies are no longer served')),
        Boolean,
        { timeoutMs: 40_000 },
      );
      expect(h.running?.controller.brokenSince()).toBeNull();
      expect(h.running?.controller.hasSynced()).toBe(true);
    } finally {
      await h.stop();
    }
  }, 60_000);
});

describe('MirrorPolicy cost: the same writes as the annotated source', () => {
  it('one change costs one write per mirror and a resync none, for a policy source as for an annotated one; the policy status is not rewritten', async () => {
    const h = await Harness.start({ controller: false });
    try {
      await installPolicyCrd(h.kube);
      await h.startController();
      const targets = Array.from({ length: 20 }, (_, i) => `cost-t${i}`);
      for (const ns of ['cost-db', ...targets]) await h.kube.namespace(ns);
      const annotated = operatorSecret('cost-db', 'annotated');
      annotated.metadata.labels = { ...annotated.metadata.labels, 'kubemirror.io/enabled': 'true' };
      annotated.metadata.annotations = {
        'kubemirror.io/sync': 'true',
        'kubemirror.io/target-namespaces': 'cost-t*',
      };
      await h.kube.create(annotated);
      await h.kube.create(operatorSecret('cost-db', 'selected'));
      await h.kube.create(
        policy('cost-db', 'cost', {
          resources: [{ apiVersion: 'v1', kind: 'Secret', names: ['selected'] }],
          targetNamespaces: ['cost-t*'],
        }),
      );
      await h.expectMirrorsIn('v1', 'Secret', 'annotated', targets);
      await h.expectMirrorsIn('v1', 'Secret', 'selected', targets);
      await expectPolicy(h.kube, 'cost-db', 'cost', (_s, r) => r.message === 'Synced 20/20');
      await h.expectStatus('v1', 'Secret', 'cost-db', 'annotated', (l) => l === 'Synced 20/20');
      const writes = async (resource: string) => {
        const m = h.running?.metrics.registry.getSingleMetric('kubemirror_api_requests_total');
        return ((await m?.get())?.values ?? [])
          .filter(
            (v) =>
              v.labels.resource === resource &&
              String(v.labels.code).startsWith('2') &&
              v.labels.verb !== 'get' &&
              v.labels.verb !== 'list' &&
              v.labels.verb !== 'watch',
          )
          .reduce((n, v) => n + v.value, 0);
      };
      const perChange = async (name: string) => {
        const before = await writes('secrets');
        await h.kube.mergePatch('v1', 'Secret', 'cost-db', name, {
          data: { password: Buffer.from(`new-${name}`).toString('base64') },
        });
        await waitFor(
          `${name} changed in every mirror`,
          () => h.mirrors('v1', 'Secret', name),
          (m) =>
            [...m.values()].every(
              (o) =>
                (o.data as Record<string, string>).password === Buffer.from(`new-${name}`).toString('base64'),
            ),
        );
        return (await writes('secrets')) - before;
      };
      const statusWrites = await writes('mirrorpolicies');
      expect(await perChange('annotated')).toBe(20);
      expect(await perChange('selected')).toBe(20);
      // steady state: everything decided again costs nothing
      const before = await writes('secrets');
      const reconciled = async () => {
        const m = h.running?.metrics.registry.getSingleMetric('kubemirror_reconcile_total');
        return ((await m?.get())?.values ?? [])
          .filter((v) => v.labels.result === 'success')
          .reduce((n, v) => n + v.value, 0);
      };
      const runs = await reconciled();
      h.running?.controller.resyncAll();
      // the annotated source, the selected object (as a policy source, and under its annotated key), the policy
      await waitFor('a resync decided', reconciled, (n) => n >= runs + 4);
      await waitFor(
        'queue drained',
        () => h.running?.metrics.registry.getSingleMetric('workqueue_depth')?.get(),
        (m) => (m?.values ?? []).every((v) => v.value === 0),
      );
      expect((await writes('secrets')) - before).toBe(0);
      expect(await writes('mirrorpolicies')).toBe(statusWrites);
    } finally {
      await h.stop();
    }
  }, 60_000);
});
