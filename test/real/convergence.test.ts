import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { KubectlCli } from '../helpers/cli.js';
import {
  convergenceSources,
  gadgetCrd,
  twoResyncs as twoResyncsOf,
} from '../helpers/convergence-fixtures.js';
import { RealHarness } from '../helpers/real-harness.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Convergence on kube-apiserver itself (SPEC §2, §10): real defaulting (Service, Deployment), a CRD with a
 * structural schema, defaults and a status subresource, the real Deployment controller writing
 * `deployment.kubernetes.io/revision` on source and mirror, and a MutatingAdmissionPolicy (CEL, no webhook
 * server) labelling every ConfigMap of a namespace. None of it is drift: zero writes over two resyncs, also
 * after a restart; real drift is still repaired. Writes are counted by the controller's own
 * `kubemirror_api_requests_total`, which sees every request it sends.
 */

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete']);
const MIRRORED = new Set(['services', 'deployments', 'configmaps', 'gadgets']);
const SOURCES = 4;

let h: RealHarness;
let kubectl: KubectlCli;

async function applyYaml(name: string, docs: object[]): Promise<void> {
  const file = join(h.tmpDir, `${name}.yaml`);
  writeFileSync(file, docs.map((d) => stringify(d)).join('---\n'));
  await kubectl.ok(['apply', '-f', file]);
}

/** Writes of mirrored kinds the controller sent, by `verb resource`. */
async function controllerWrites(): Promise<Record<string, number>> {
  const m = await h.running!.metrics.registry.getSingleMetric('kubemirror_api_requests_total')?.get();
  const out: Record<string, number> = {};
  for (const v of m?.values ?? []) {
    const { verb, resource } = v.labels as { verb: string; resource: string };
    if (!WRITE_VERBS.has(verb) || !MIRRORED.has(resource) || v.value === 0) continue;
    out[`${verb} ${resource}`] = (out[`${verb} ${resource}`] ?? 0) + v.value;
  }
  return out;
}

const twoResyncs = (sources: number) => twoResyncsOf(h.running!.metrics.registry, sources, 30_000);

function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after)
      .map(([k, v]) => [k, v - (before[k] ?? 0)] as const)
      .filter(([, v]) => v !== 0),
  );
}

/** A CEL mutation (admissionregistration.k8s.io/v1, no webhook server) labelling ConfigMaps of `inject=true` namespaces. */
const LABEL_POLICY = [
  {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingAdmissionPolicy',
    metadata: { name: 'label-configmaps' },
    spec: {
      matchConstraints: {
        resourceRules: [
          {
            apiGroups: [''],
            apiVersions: ['v1'],
            operations: ['CREATE', 'UPDATE'],
            resources: ['configmaps'],
          },
        ],
        namespaceSelector: { matchLabels: { inject: 'true' } },
      },
      failurePolicy: 'Fail',
      reinvocationPolicy: 'Never',
      mutations: [
        {
          patchType: 'ApplyConfiguration',
          applyConfiguration: {
            expression: 'Object{metadata: Object.metadata{labels: {"webhook.example.com/injected": "yes"}}}',
          },
        },
      ],
    },
  },
  {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingAdmissionPolicyBinding',
    metadata: { name: 'label-configmaps' },
    spec: { policyName: 'label-configmaps' },
  },
];

beforeAll(async () => {
  h = await RealHarness.start({ args: ['--resync-period=4s'] });
  kubectl = new KubectlCli(h.kubeconfigPath, join(h.tmpDir, 'kubectl-cache'));
  for (const ns of ['cv-src', 'cv-a']) await h.kube.namespace(ns);
  await h.kube.namespace('cv-hooked', { inject: 'true' });
  await applyYaml('policy', LABEL_POLICY);
  // the policy is live once a ConfigMap created there is labelled (policies load asynchronously)
  await waitFor(
    'the MutatingAdmissionPolicy in force',
    async () => {
      await h.kube.delete('v1', 'ConfigMap', 'cv-hooked', 'probe');
      const cm = await h.kube.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'probe', namespace: 'cv-hooked' },
      });
      return cm.metadata.labels?.['webhook.example.com/injected'];
    },
    (v) => v === 'yes',
    { timeoutMs: 30_000, intervalMs: 250 },
  );
  await h.kube.delete('v1', 'ConfigMap', 'cv-hooked', 'probe');
  await applyYaml('crd', [gadgetCrd({ statusSubresource: true })]);
  await waitFor(
    'the Gadget kind served',
    async () => (await kubectl.run(['get', 'gadgets', '-A'])).code,
    (c) => c === 0,
    { timeoutMs: 30_000 },
  );
  const sources = convergenceSources('cv-src', 'cv-a', 'cv-hooked');
  await applyYaml('sources', sources.objects);
  for (const [apiVersion, kind, name, line] of sources.synced)
    await h.expectStatus(apiVersion, kind, 'cv-src', name, (l) => l === line, 30_000);
}, 180_000);

afterAll(async () => {
  await h?.stop();
});

describe('convergence on kube-apiserver: what the server changes is not drift', () => {
  it('the stored mirrors differ from what was sent', async () => {
    const svc = await h.kube.get('v1', 'Service', 'cv-a', 'web');
    expect(svc?.spec).toMatchObject({
      sessionAffinity: 'None',
      ports: [{ protocol: 'TCP', targetPort: 80 }],
    });
    expect((svc?.spec as { clusterIP?: string } | undefined)?.clusterIP).toMatch(/^10\.96\.\d+\.\d+$/);
    // the real Deployment controller annotates the mirror with its own revision
    const dep = await waitFor(
      'the revision annotation on the mirrored Deployment',
      () => h.kube.get('apps/v1', 'Deployment', 'cv-a', 'web'),
      (o) => o?.metadata.annotations?.['deployment.kubernetes.io/revision'] === '1',
      { timeoutMs: 30_000 },
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
    // the Deployment controller's status writes settle first (they are not ours, but they wake the mirror watch)
    await twoResyncs(SOURCES);
    let before = await controllerWrites();
    await twoResyncs(SOURCES);
    expect(diff(await controllerWrites(), before)).toEqual({});
    await h.stopController();
    await h.startController(['--resync-period=4s']);
    before = await controllerWrites();
    await twoResyncs(SOURCES);
    expect(diff(await controllerWrites(), before)).toEqual({});
    // not vacuous: the restarted controller did list everything again
    const m = await h.running!.metrics.registry.getSingleMetric('kubemirror_api_requests_total')?.get();
    const lists = (m?.values ?? []).filter((v) => v.labels.verb === 'list' && v.value > 0);
    expect(lists.length).toBeGreaterThan(0);
  });
});

describe('convergence on kube-apiserver: real drift is still repaired', () => {
  const repaired = async (what: string, probe: () => Promise<boolean>) =>
    waitFor(what, probe, Boolean, { timeoutMs: 20_000 });
  const hooked = () => h.kube.get('v1', 'ConfigMap', 'cv-hooked', 'settings');
  const data = async () => ((await hooked())?.data ?? {}) as Record<string, string>;

  it('a value edited, a key added, a key removed, a label added in a policy-labelled namespace', async () => {
    await h.kube.mergePatch('v1', 'ConfigMap', 'cv-hooked', 'settings', { data: { level: 'debug' } });
    await repaired('value restored', async () => (await data()).level === 'info');
    await h.kube.mergePatch('v1', 'ConfigMap', 'cv-hooked', 'settings', { data: { extra: 'x' } });
    await repaired('added key removed', async () => (await data()).extra === undefined);
    await h.kube.mergePatch('v1', 'ConfigMap', 'cv-hooked', 'settings', { data: { level: null } });
    await repaired('removed key restored', async () => (await data()).level === 'info');
    await h.kube.mergePatch('v1', 'ConfigMap', 'cv-hooked', 'settings', {
      metadata: { labels: { team: 'x' } },
    });
    await repaired('added label removed', async () => (await hooked())?.metadata.labels?.team === undefined);
    expect((await hooked())?.metadata.labels?.['webhook.example.com/injected']).toBe('yes');
  });

  it('a spec field edited on defaulted kinds, and a deleted mirror', async () => {
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
    await h.kube.delete('v1', 'Service', 'cv-a', 'web');
    await repaired(
      'Service recreated',
      async () => (await h.kube.get('v1', 'Service', 'cv-a', 'web')) !== null,
    );
  });
});
