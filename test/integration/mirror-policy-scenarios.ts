import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect } from 'vitest';
import { parse } from 'yaml';
import type { KubeObject } from '../../src/core/types.js';
import type { ControllerHarness } from '../helpers/harness.js';
import type { TestKube } from '../helpers/kube.js';
import { waitFor } from '../helpers/wait.js';

/**
 * MirrorPolicy (SPEC §11) behaviour, run against the sandbox (test/integration/mirror-policy.test.ts) and the real
 * control plane (test/real/mirror-policy.test.ts) with the real controller. Each scenario uses namespaces of its
 * own (prefixed `p`) so they share one server and controller. The controller runs with MAX_TARGETS.
 */
export interface PolicyScenario {
  name: string;
  run: (h: ControllerHarness, p: string) => Promise<void>;
}

export const MAX_TARGETS = 5;
export const POLICY_CRD_FILE = resolve(
  import.meta.dirname,
  '../../deploy/crds/mirrorpolicies.kubemirror.io.yaml',
);
const API = 'kubemirror.io/v1alpha1';
const P = 'kubemirror.io';

/**
 * Creates the MirrorPolicy CRD from deploy/ (unless it is there) and waits until policies can be listed. Through
 * client-node, whose typed serializer drops the spec-level CEL rule: where CEL matters, apply it with kubectl first.
 */
export async function installPolicyCrd(kube: TestKube): Promise<void> {
  const crd = parse(readFileSync(POLICY_CRD_FILE, 'utf8')) as KubeObject;
  const live = await kube.get(crd.apiVersion, crd.kind, '', crd.metadata.name);
  if (!live) await kube.create(crd);
  await waitFor('MirrorPolicies served', () => kube.list(API, 'MirrorPolicy').then(() => true), Boolean, {
    timeoutMs: 30_000,
    intervalMs: 200,
  });
}

export function policy(ns: string, name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: API, kind: 'MirrorPolicy', metadata: { name, namespace: ns }, spec };
}

/** A Secret as an operator makes it: no kubemirror label or annotation. */
export function operatorSecret(
  ns: string,
  name: string,
  data: Record<string, string> = { password: b64('s3cret') },
  labels: Record<string, string> = { app: 'pg' },
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: ns, labels, annotations: { 'operator.example.com/owner': 'pg' } },
    type: 'Opaque',
    data,
  };
}

export function plainConfigMap(ns: string, name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels }, data: { k: 'v' } };
}

export const b64 = (s: string) => Buffer.from(s).toString('base64');

type Status = {
  observedGeneration?: number;
  conditions?: Array<{
    type: string;
    status: string;
    reason: string;
    message: string;
    observedGeneration?: number;
  }>;
  sources?: number;
  targets?: number;
  synced?: number;
  skipped?: number;
  coverage?: number;
  level?: string;
};

export async function policyStatus(
  kube: TestKube,
  ns: string,
  name: string,
): Promise<Status & { generation?: number }> {
  const p = await kube.get(API, 'MirrorPolicy', ns, name);
  return { ...((p?.status as Status | undefined) ?? {}), generation: p?.metadata.generation };
}

/** Waits until the policy's status (for its current generation) satisfies `ok`. */
export function expectPolicy(
  kube: TestKube,
  ns: string,
  name: string,
  ok: (s: Status, ready: { status: string; reason: string; message: string }) => boolean,
  timeoutMs = 20_000,
) {
  return waitFor(
    `status of MirrorPolicy ${ns}/${name}`,
    () => policyStatus(kube, ns, name),
    (s) => {
      const ready = s.conditions?.find((c) => c.type === 'Ready');
      return s.observedGeneration === s.generation && ready !== undefined && ok(s, ready);
    },
    { timeoutMs },
  );
}

async function namespaces(kube: TestKube, ...names: string[]): Promise<void> {
  for (const n of names) await kube.namespace(n);
}

/** The mirrors of `name` as namespace → object, each checked to be marked with `policyName`. */
async function expectPolicyMirrors(
  h: ControllerHarness,
  kind: 'Secret' | 'ConfigMap',
  name: string,
  namespaces: string[],
  policyName: string | undefined,
  timeoutMs = 20_000,
) {
  await h.expectMirrorsIn('v1', kind, name, namespaces, timeoutMs);
  return waitFor(
    `mirrors of ${name} marked ${policyName ?? 'by no policy'}`,
    () => h.mirrors('v1', kind, name),
    (m) => [...m.values()].every((o) => o.metadata.annotations?.[`${P}/policy`] === policyName),
    { timeoutMs },
  );
}

async function policyEvents(kube: TestKube, ns: string, name: string): Promise<KubeObject[]> {
  return (await kube.list('v1', 'Event', ns)).filter(
    (e) =>
      (e.involvedObject as { kind?: string; name?: string })?.kind === 'MirrorPolicy' &&
      (e.involvedObject as { name?: string })?.name === name,
  );
}

/**
 * The controller's own accepted writes of a resource so far (kubemirror_api_requests_total, 2xx), whatever the
 * server. A 409 (its cache a step behind its own last write) is routine and stores nothing: not counted.
 */
async function controllerWrites(h: ControllerHarness, resource: string): Promise<number> {
  const metric = h.running?.metrics.registry.getSingleMetric('kubemirror_api_requests_total');
  const values = (await metric?.get())?.values ?? [];
  return values
    .filter(
      (v) =>
        v.labels.resource === resource &&
        String(v.labels.code).startsWith('2') &&
        ['create', 'update', 'patch', 'delete'].includes(String(v.labels.verb)),
    )
    .reduce((n, v) => n + v.value, 0);
}

/** Requests the controller sent with this verb for this resource so far, whatever the answer (404s too). */
async function controllerRequests(h: ControllerHarness, verb: string, resource: string): Promise<number> {
  const metric = h.running?.metrics.registry.getSingleMetric('kubemirror_api_requests_total');
  const values = (await metric?.get())?.values ?? [];
  return values
    .filter((v) => v.labels.resource === resource && v.labels.verb === verb)
    .reduce((n, v) => n + v.value, 0);
}

export const POLICY_SCENARIOS: PolicyScenario[] = [
  {
    name: 'a Secret selected by name is mirrored with P/policy, the Secret itself is never written, and the policy reports Synced',
    run: async (h, p) => {
      await namespaces(h.kube, `${p}-db`, `${p}-t1`, `${p}-t2`, `${p}-x`);
      const src = await h.kube.create(operatorSecret(`${p}-db`, 'app-pg-app'));
      await h.kube.create(
        policy(`${p}-db`, 'pg', {
          resources: [{ apiVersion: 'v1', kind: 'Secret', names: ['app-pg-app'] }],
          targetNamespaces: [`${p}-t*`],
        }),
      );
      const mirrors = await expectPolicyMirrors(h, 'Secret', 'app-pg-app', [`${p}-t1`, `${p}-t2`], 'pg');
      const m = mirrors.get(`${p}-t1`);
      expect(m?.data).toEqual(src.data);
      expect(m?.metadata.annotations).toMatchObject({
        [`${P}/source-namespace`]: `${p}-db`,
        [`${P}/source-name`]: 'app-pg-app',
        [`${P}/source-uid`]: src.metadata.uid,
        [`${P}/policy`]: 'pg',
      });
      const s = await expectPolicy(h.kube, `${p}-db`, 'pg', (_s, r) => r.reason === 'Synced');
      expect(s.conditions?.[0]).toMatchObject({ status: 'True', message: 'Synced 2/2' });
      expect(s).toMatchObject({ sources: 1, targets: 2, synced: 2, coverage: 100, level: 'Full' });
      const live = await h.kube.get(API, 'MirrorPolicy', `${p}-db`, 'pg');
      expect(live?.metadata.finalizers).toContain(`${P}/finalizer`);
      const after = await h.kube.get('v1', 'Secret', `${p}-db`, 'app-pg-app');
      expect(after?.metadata.resourceVersion).toBe(src.metadata.resourceVersion);
      expect(after?.metadata.finalizers).toBeUndefined();
    },
  },
  {
    name: 'selection by label selector follows a label added to and removed from the selected object',
    run: async (h, p) => {
      await namespaces(h.kube, `${p}-src`, `${p}-t1`);
      await h.kube.create(plainConfigMap(`${p}-src`, 'cm-a', { app: 'pg' }));
      await h.kube.create(plainConfigMap(`${p}-src`, 'cm-b'));
      await h.kube.create(
        policy(`${p}-src`, 'by-label', {
          resources: [{ apiVersion: 'v1', kind: 'ConfigMap', selector: { matchLabels: { app: 'pg' } } }],
          targetNamespaces: [`${p}-t1`],
        }),
      );
      await expectPolicyMirrors(h, 'ConfigMap', 'cm-a', [`${p}-t1`], 'by-label');
      await h.expectMirrorsIn('v1', 'ConfigMap', 'cm-b', []);
      await h.kube.mergePatch('v1', 'ConfigMap', `${p}-src`, 'cm-b', { metadata: { labels: { app: 'pg' } } });
      await expectPolicyMirrors(h, 'ConfigMap', 'cm-b', [`${p}-t1`], 'by-label');
      await h.kube.mergePatch('v1', 'ConfigMap', `${p}-src`, 'cm-a', { metadata: { labels: { app: null } } });
      await h.expectMirrorsIn('v1', 'ConfigMap', 'cm-a', []);
      await expectPolicy(h.kube, `${p}-src`, 'by-label', (s) => s.sources === 1 && s.synced === 1);
    },
  },
  {
    name: 'a Secret another writer rewrites again and again (dropping unknown annotations) keeps its mirrors, with no write and no fight',
    run: async (h, p) => {
      await namespaces(h.kube, `${p}-db`, `${p}-t1`, `${p}-t2`);
      await h.kube.create(operatorSecret(`${p}-db`, 'rewritten'));
      await h.kube.create(
        policy(`${p}-db`, 'rw', {
          resources: [{ apiVersion: 'v1', kind: 'Secret', names: ['rewritten'] }],
          targetNamespaces: [`${p}-t1`, `${p}-t2`],
        }),
      );
      await expectPolicyMirrors(h, 'Secret', 'rewritten', [`${p}-t1`, `${p}-t2`], 'rw');
      await expectPolicy(h.kube, `${p}-db`, 'rw', (_s, r) => r.reason === 'Synced');
      const before = await controllerWrites(h, 'secrets');
      // the operator's reconcile, again and again: the whole object replaced with what it wants (its bookkeeping
      // annotation bumped, which mirrors do not carry), any annotation it does not know of dropped
      const rewrite = async (i: number, data?: Record<string, string>) => {
        const desired = operatorSecret(`${p}-db`, 'rewritten', data);
        const live = await h.kube.get('v1', 'Secret', `${p}-db`, 'rewritten');
        await h.kube.api.replace({
          ...desired,
          metadata: {
            ...desired.metadata,
            annotations: { ...desired.metadata.annotations, 'meta.helm.sh/release-name': `pg-${i}` },
            resourceVersion: live?.metadata.resourceVersion,
          },
        } as never);
      };
      for (let i = 0; i < 6; i++) await rewrite(i);
      // then a real change (a rotated password): it reaches the mirrors, which were not written in between
      await rewrite(6, { password: b64('rotated') });
      await waitFor(
        'rotated password mirrored',
        () => h.mirrors('v1', 'Secret', 'rewritten'),
        (m) =>
          m.size === 2 &&
          [...m.values()].every((o) => (o.data as Record<string, string>)?.password === b64('rotated')),
      );
      // (counted when the answer arrives, which may be a moment after the mirror shows the change)
      await waitFor(
        'the controller’s two writes counted',
        () => controllerWrites(h, 'secrets'),
        (n) => n - before >= 2,
      );
      expect((await controllerWrites(h, 'secrets')) - before).toBe(2);
      // someone adds an annotation, the operator drops it: the mirrors follow the object, and the object itself
      // is never written by kubemirror (no finalizer, no status annotation): nothing to fight over
      await h.kube.mergePatch('v1', 'Secret', `${p}-db`, 'rewritten', {
        metadata: { annotations: { 'example.com/note': 'hello' } },
      });
      await waitFor(
        'the added annotation mirrored',
        () => h.mirrors('v1', 'Secret', 'rewritten'),
        (m) => [...m.values()].every((o) => o.metadata.annotations?.['example.com/note'] === 'hello'),
      );
      await rewrite(7, { password: b64('rotated') });
      await waitFor(
        'the dropped annotation dropped from the mirrors',
        () => h.mirrors('v1', 'Secret', 'rewritten'),
        (m) => [...m.values()].every((o) => o.metadata.annotations?.['example.com/note'] === undefined),
      );
      const source = await h.kube.get('v1', 'Secret', `${p}-db`, 'rewritten');
      const managers = ((source?.metadata.managedFields ?? []) as Array<{ manager?: string }>).map(
        (m) => m.manager,
      );
      expect(managers).not.toContain('kubemirror');
      expect(source?.metadata.finalizers).toBeUndefined();
      const s = await expectPolicy(h.kube, `${p}-db`, 'rw', (_s, r) => r.reason === 'Synced');
      expect(s.conditions?.[0]?.message).toBe('Synced 2/2');
    },
  },
  {
    name: 'a policy edited: fewer targets remove exactly those mirrors, a transform updates them, a new selection moves them',
    run: async (h, p) => {
      await namespaces(h.kube, `${p}-db`, `${p}-t1`, `${p}-t2`, `${p}-t3`);
      await h.kube.create(operatorSecret(`${p}-db`, 'one'));
      await h.kube.create(operatorSecret(`${p}-db`, 'two'));
      await h.kube.create(
        policy(`${p}-db`, 'edit', {
          resources: [{ apiVersion: 'v1', kind: 'Secret', names: ['one'] }],
          targetNamespaces: [`${p}-t1`, `${p}-t2`, `${p}-t3`],
        }),
      );
      const first = await expectPolicyMirrors(h, 'Secret', 'one', [`${p}-t1`, `${p}-t2`, `${p}-t3`], 'edit');
      await h.kube.mergePatch(API, 'MirrorPolicy', `${p}-db`, 'edit', {
        spec: { targetNamespaces: [`${p}-t1`, `${p}-t2`] },
      });
      const narrowed = await expectPolicyMirrors(h, 'Secret', 'one', [`${p}-t1`, `${p}-t2`], 'edit');
      for (const ns of [`${p}-t1`, `${p}-t2`])
        expect(narrowed.get(ns)?.metadata.resourceVersion).toBe(first.get(ns)?.metadata.resourceVersion);
      await expectPolicy(h.kube, `${p}-db`, 'edit', (s) => s.targets === 2 && s.synced === 2);

      await h.kube.mergePatch(API, 'MirrorPolicy', `${p}-db`, 'edit', {
        spec: {
          transform: { rules: [{ path: 'metadata.labels.team', template: '{{ .TargetNamespace }}' }] },
        },
      });
      await waitFor(
        'transform applied',
        () => h.mirrors('v1', 'Secret', 'one'),
        (m) => [...m].every(([ns, o]) => o.metadata.labels?.team === ns),
      );

      await h.kube.mergePatch(API, 'MirrorPolicy', `${p}-db`, 'edit', {
        spec: { resources: [{ apiVersion: 'v1', kind: 'Secret', names: ['two'] }] },
      });
      await expectPolicyMirrors(h, 'Secret', 'two', [`${p}-t1`, `${p}-t2`], 'edit');
      await h.expectMirrorsIn('v1', 'Secret', 'one', []);
      await expectPolicy(h.kube, `${p}-db`, 'edit', (s, r) => r.reason === 'Synced' && s.sources === 1);
    },
  },
  {
    name: 'a deleted policy removes its mirrors before its finalizer goes',
    run: async (h, p) => {
      await namespaces(h.kube, `${p}-db`, `${p}-t1`, `${p}-t2`);
      await h.kube.create(operatorSecret(`${p}-db`, 'creds'));
      await h.kube.create(
        policy(`${p}-db`, 'gone', {
          resources: [{ apiVersion: 'v1', kind: 'Secret', names: ['creds'] }],
          targetNamespaces: [`${p}-t1`, `${p}-t2`],
        }),
      );
      await expectPolicyMirrors(h, 'Secret', 'creds', [`${p}-t1`, `${p}-t2`], 'gone');
      const deletes = await controllerRequests(h, 'delete', 'secrets');
      await h.kube.delete(API, 'MirrorPolicy', `${p}-db`, 'gone');
      await waitFor(
        'policy deleted',
        () => h.kube.get(API, 'MirrorPolicy', `${p}-db`, 'gone'),
        (o) => o === null,
      );
      // by the time the finalizer let the policy go, its mirrors were deleted, each once
      expect([...(await h.mirrors('v1', 'Secret', 'creds')).keys()]).toEqual([]);
      expect((await controllerRequests(h, 'delete', 'secrets')) - deletes).toBe(2);
      expect(await h.kube.get('v1', 'Secret', `${p}-db`, 'creds')).not.toBeNull();
    },
  },
  {
    name: 'two policies select one Secret: the older governs, the younger reports the overlap, and takes over once the older is gone',
    run: async (h, p) => {
      await namespaces(h.kube, `${p}-db`, `${p}-t1`, `${p}-t2`);
      await h.kube.create(operatorSecret(`${p}-db`, 'shared'));
      await h.kube.create(
        policy(`${p}-db`, 'older', {
          resources: [{ apiVersion: 'v1', kind: 'Secret', names: ['shared'] }],
          targetNamespaces: [`${p}-t1`],
        }),
      );
      await expectPolicyMirrors(h, 'Secret', 'shared', [`${p}-t1`], 'older');
      await expectPolicy(h.kube, `${p}-db`, 'older', (_s, r) => r.reason === 'Synced');
      await h.kube.create(
        policy(`${p}-db`, 'younger', {
          resources: [{ apiVersion: 'v1', kind: 'Secret', selector: { matchLabels: { app: 'pg' } } }],
          targetNamespaces: [`${p}-t2`],
        }),
      );
      const s = await expectPolicy(h.kube, `${p}-db`, 'younger', (st) => st.skipped === 1);
      expect(s.conditions?.[0]?.message).toContain('older MirrorPolicy older');
      expect(s.sources).toBe(0);
      await waitFor(
        'PolicyOverlap Event on the younger policy',
        () => policyEvents(h.kube, `${p}-db`, 'younger'),
        (evs) => evs.some((e) => e.reason === 'PolicyOverlap'),
      );
      await expectPolicyMirrors(h, 'Secret', 'shared', [`${p}-t1`], 'older');

      await h.kube.delete(API, 'MirrorPolicy', `${p}-db`, 'older');
      await expectPolicyMirrors(h, 'Secret', 'shared', [`${p}-t2`], 'younger');
      await expectPolicy(h.kube, `${p}-db`, 'younger', (st, r) => r.reason === 'Synced' && st.sources === 1);
    },
  },
  {
    name: 'an object with its own P/sync follows its annotations and the policy reports it skipped; without them the policy takes over',
    run: async (h, p) => {
      await namespaces(h.kube, `${p}-db`, `${p}-t1`, `${p}-t2`);
      const annotated = operatorSecret(`${p}-db`, 'both');
      annotated.metadata.labels = { ...annotated.metadata.labels, [`${P}/enabled`]: 'true' };
      annotated.metadata.annotations = { [`${P}/sync`]: 'true', [`${P}/target-namespaces`]: `${p}-t1` };
      await h.kube.create(annotated);
      await h.kube.create(
        policy(`${p}-db`, 'also', {
          resources: [{ apiVersion: 'v1', kind: 'Secret', names: ['both'] }],
          targetNamespaces: [`${p}-t2`],
        }),
      );
      await expectPolicyMirrors(h, 'Secret', 'both', [`${p}-t1`], undefined);
      const s = await expectPolicy(h.kube, `${p}-db`, 'also', (st) => st.skipped === 1);
      expect(s.conditions?.[0]?.message).toContain(`its own ${P}/sync annotation`);
      await h.expectStatus('v1', 'Secret', `${p}-db`, 'both', (l) => l === 'Synced 1/1');

      await h.kube.mergePatch('v1', 'Secret', `${p}-db`, 'both', {
        metadata: { annotations: { [`${P}/sync`]: null, [`${P}/target-namespaces`]: null } },
      });
      await expectPolicyMirrors(h, 'Secret', 'both', [`${p}-t2`], 'also');
      await expectPolicy(h.kube, `${p}-db`, 'also', (st, r) => r.reason === 'Synced' && st.sources === 1);
    },
  },
  {
    name: 'a selected object deleted, and a policy deleted past its finalizer, while the controller is down: their mirrors go at start-up',
    run: async (h, p) => {
      await namespaces(h.kube, `${p}-db`, `${p}-t1`);
      await h.kube.create(operatorSecret(`${p}-db`, 'doomed'));
      await h.kube.create(operatorSecret(`${p}-db`, 'kept'));
      await h.kube.create(
        policy(`${p}-db`, 'down1', {
          resources: [{ apiVersion: 'v1', kind: 'Secret', names: ['doomed'] }],
          targetNamespaces: [`${p}-t1`],
        }),
      );
      await h.kube.create(
        policy(`${p}-db`, 'down2', {
          resources: [{ apiVersion: 'v1', kind: 'Secret', names: ['kept'] }],
          targetNamespaces: [`${p}-t1`],
        }),
      );
      await expectPolicyMirrors(h, 'Secret', 'doomed', [`${p}-t1`], 'down1');
      await expectPolicyMirrors(h, 'Secret', 'kept', [`${p}-t1`], 'down2');
      await h.whileStopped(async () => {
        await h.kube.delete('v1', 'Secret', `${p}-db`, 'doomed');
        await h.kube.forceDelete(API, 'MirrorPolicy', `${p}-db`, 'down2');
      });
      await h.expectMirrorsIn('v1', 'Secret', 'doomed', []);
      await h.expectMirrorsIn('v1', 'Secret', 'kept', []);
      await expectPolicy(h.kube, `${p}-db`, 'down1', (s, r) => r.reason === 'Synced' && s.sources === 0);
    },
  },
  {
    name: 'bad input changes nothing: a transform with errors, then more targets than max-targets, keep the mirrors as they are',
    run: async (h, p) => {
      const many = Array.from({ length: MAX_TARGETS + 1 }, (_, i) => `${p}-m${i}`);
      await namespaces(h.kube, `${p}-db`, ...many);
      await h.kube.create(operatorSecret(`${p}-db`, 'steady'));
      await h.kube.create(
        policy(`${p}-db`, 'bad', {
          resources: [{ apiVersion: 'v1', kind: 'Secret', names: ['steady'] }],
          targetNamespaces: [`${p}-m0`, `${p}-m1`],
        }),
      );
      const before = await expectPolicyMirrors(h, 'Secret', 'steady', [`${p}-m0`, `${p}-m1`], 'bad');
      await h.kube.mergePatch(API, 'MirrorPolicy', `${p}-db`, 'bad', {
        spec: { transform: { rules: [{ path: 'metadata.name', value: 'x' }] } },
      });
      const s = await expectPolicy(h.kube, `${p}-db`, 'bad', (_s, r) => r.reason === 'TransformFailed');
      expect(s.conditions?.[0]).toMatchObject({ status: 'False' });
      expect(s.level).toBe('None');
      await h.kube.mergePatch(API, 'MirrorPolicy', `${p}-db`, 'bad', {
        spec: { transform: null, targetNamespaces: [`${p}-m*`] },
      });
      const t = await expectPolicy(h.kube, `${p}-db`, 'bad', (_s, r) => r.reason === 'TooManyTargets');
      expect(t.conditions?.[0]?.message).toContain(`exceed max-targets ${MAX_TARGETS}`);
      const after = await h.mirrors('v1', 'Secret', 'steady');
      expect([...after.keys()].sort()).toEqual([`${p}-m0`, `${p}-m1`]);
      for (const [ns, m] of after)
        expect(m.metadata.resourceVersion).toBe(before.get(ns)?.metadata.resourceVersion);
      await waitFor(
        'a Warning Event with the whole reason',
        () => policyEvents(h.kube, `${p}-db`, 'bad'),
        (evs) => evs.some((e) => e.reason === 'TooManyTargets' || String(e.message).includes('max-targets')),
      );
    },
  },
  {
    name: 'bad input: a denied kind, a service-account-token Secret and a kind the cluster does not serve are refused with the reason, nothing written',
    run: async (h, p) => {
      await namespaces(h.kube, `${p}-db`, `${p}-t1`);
      await h.kube.create(
        policy(`${p}-db`, 'widgets', {
          resources: [{ apiVersion: 'example.com/v1', kind: 'Widget', names: ['w'] }],
          targetNamespaces: [`${p}-t1`],
        }),
      );
      const w = await expectPolicy(h.kube, `${p}-db`, 'widgets', (_s, r) => r.reason === 'KindNotServed');
      expect(w.conditions?.[0]?.message).toContain('Widget (example.com/v1) is not served');
      await h.kube.create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: 'sa-token',
          namespace: `${p}-db`,
          annotations: { 'kubernetes.io/service-account.name': 'default' },
        },
        type: 'kubernetes.io/service-account-token',
      });
      await h.kube.create(
        policy(`${p}-db`, 'tokens', {
          resources: [{ apiVersion: 'v1', kind: 'Secret', names: ['sa-token'] }],
          targetNamespaces: [`${p}-t1`],
        }),
      );
      const t = await expectPolicy(h.kube, `${p}-db`, 'tokens', (_s, r) => r.reason === 'Refused');
      expect(t.conditions?.[0]?.message).toMatch(/service-account-token/);
      await h.expectMirrorsIn('v1', 'Secret', 'sa-token', []);
    },
  },
];

/** What only a server that does not evaluate CEL lets through: the controller refuses it in `Ready`. */
export const SANDBOX_ONLY_POLICY_SCENARIOS: PolicyScenario[] = [
  {
    name: 'a policy the CRD’s CEL rules would refuse (names and selector, a denied kind, a bad target entry) is Ready=False InvalidSpec/Refused, nothing written',
    run: async (h, p) => {
      await namespaces(h.kube, `${p}-db`, `${p}-t1`);
      await h.kube.create(operatorSecret(`${p}-db`, 'x'));
      await h.kube.create(
        policy(`${p}-db`, 'both-ways', {
          resources: [
            { apiVersion: 'v1', kind: 'Secret', names: ['x'], selector: { matchLabels: { app: 'pg' } } },
          ],
          targetNamespaces: [`${p}-t1`, 'team-['],
        }),
      );
      const s = await expectPolicy(h.kube, `${p}-db`, 'both-ways', (_s, r) => r.reason === 'InvalidSpec');
      expect(s.conditions?.[0]?.message).toContain('exactly one of names or selector');
      expect(s.conditions?.[0]?.message).toContain('team-[');
      await h.kube.create(
        policy(`${p}-db`, 'pods', {
          resources: [{ apiVersion: 'v1', kind: 'Pod', names: ['x'] }],
          targetNamespaces: [`${p}-t1`],
        }),
      );
      const pods = await expectPolicy(h.kube, `${p}-db`, 'pods', (_s, r) => r.reason === 'Refused');
      expect(pods.conditions?.[0]?.message).toContain('Pod is never mirrored');
      await h.expectMirrorsIn('v1', 'Secret', 'x', []);
    },
  },
];
