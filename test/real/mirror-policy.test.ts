import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { ControlPlane } from '../control-plane/launcher.js';
import { KubectlCli } from '../helpers/cli.js';
import { RealHarness, startRealControlPlane } from '../helpers/real-harness.js';
import { waitFor } from '../helpers/wait.js';
import {
  expectPolicy,
  installPolicyCrd,
  MAX_TARGETS,
  operatorSecret,
  POLICY_CRD_FILE,
  POLICY_SCENARIOS,
  policy,
} from '../integration/mirror-policy-scenarios.js';
import { find, helmTemplate, type K8sObject, podSpec } from '../packaging/render.js';

/**
 * MirrorPolicy (SPEC §11) on etcd + kube-apiserver + kube-controller-manager with the real kubectl: the same
 * behaviour table as the sandbox, plus what only the real server does: the CRD's printer columns in `kubectl get`
 * and its CEL rules refusing an invalid policy at admission with kubectl's message.
 */
let h: RealHarness;
let kubectl: KubectlCli;

beforeAll(async () => {
  h = await RealHarness.start({ controller: false });
  kubectl = new KubectlCli(h.kubeconfigPath, join(h.tmpDir, 'kubectl-cache'));
  // as a user installs it (client-node's typed serializer drops the spec-level CEL rule)
  await kubectl.ok(['apply', '-f', POLICY_CRD_FILE]);
  await kubectl.ok([
    'wait',
    '--for=condition=Established',
    'crd/mirrorpolicies.kubemirror.io',
    '--timeout=30s',
  ]);
  await installPolicyCrd(h.kube);
  await h.startController([`--max-targets=${MAX_TARGETS}`, '--discovery-interval=2s']);
}, 180_000);

afterAll(async () => {
  await h?.stop();
});

/** Runs a scenario; when it fails, the controller's log lines about it (and about policies) are printed. */
async function withLogs(run: () => Promise<void>, harness: RealHarness, prefix: string): Promise<void> {
  try {
    await run();
  } catch (err) {
    const lines = harness.logs.filter((l) => l.includes(prefix) || l.includes('"controller":"policy"'));
    console.log(lines.slice(-60).join('\n'));
    throw err;
  }
}

/** `kubectl apply -f` of a manifest written to a file of the harness's scratch directory. */
function applyText(file: string, text: string) {
  const path = join(h.tmpDir, file);
  writeFileSync(path, text);
  return kubectl.run(['apply', '-f', path]);
}

describe('MirrorPolicy behaviour on kube-apiserver', () => {
  POLICY_SCENARIOS.forEach((s, i) => {
    it(s.name, async () => {
      await withLogs(() => s.run(h, `rp${i}`), h, `rp${i}-`);
    });
  });
});

describe('MirrorPolicy with the real kubectl', () => {
  it('kubectl get mirrorpolicies shows SOURCES, TARGETS, SYNCED, COVERAGE, LEVEL and AGE', async () => {
    for (const ns of ['kc-db', 'kc-t1', 'kc-t2']) await h.kube.namespace(ns);
    await h.kube.create(operatorSecret('kc-db', 'app-pg-app'));
    await h.kube.create(
      policy('kc-db', 'pg-credentials', {
        resources: [{ apiVersion: 'v1', kind: 'Secret', names: ['app-pg-app'] }],
        targetNamespaces: ['kc-t*'],
      }),
    );
    await expectPolicy(h.kube, 'kc-db', 'pg-credentials', (_s, r) => r.reason === 'Synced', 30_000);
    const out = await kubectl.ok(['get', 'mirrorpolicies', '-n', 'kc-db']);
    const [header, row] = out.trim().split('\n');
    expect(header?.split(/\s+/)).toEqual([
      'NAME',
      'SOURCES',
      'TARGETS',
      'SYNCED',
      'COVERAGE',
      'LEVEL',
      'AGE',
    ]);
    expect(row?.split(/\s+/).slice(0, 6)).toEqual(['pg-credentials', '1', '2', '2', '100', 'Full']);
    const wide = await kubectl.ok(['get', 'mirrorpolicies', '-n', 'kc-db', '-o', 'wide']);
    expect(wide).toMatch(/READY\s+MESSAGE/);
    expect(wide).toMatch(/True\s+Synced 2\/2/);
  });

  it('an invalid policy is refused by the CRD’s CEL rules with kubectl’s message, and nothing is created', async () => {
    await h.kube.namespace('cel-db');
    const bad = [
      'apiVersion: kubemirror.io/v1alpha1',
      'kind: MirrorPolicy',
      'metadata: {name: bad, namespace: cel-db}',
      'spec:',
      '  resources:',
      '    - {apiVersion: v1, kind: Secret, names: [a], selector: {matchLabels: {app: pg}}}',
      '    - {apiVersion: v1, kind: Pod, names: [p]}',
      '  targetNamespaces: ["team-[", "Bad"]',
      '  transform: {rules: [{path: data.x, template: "a", delete: true}]}',
    ].join('\n');
    const r = await applyText('bad.yaml', bad);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('The MirrorPolicy "bad" is invalid');
    expect(r.stderr).toContain('each resource selects by exactly one of names or selector');
    expect(r.stderr).toContain('this kind is never mirrored');
    expect(r.stderr).toContain('"team-["');
    expect(r.stderr).toContain('each rule has exactly one of value, template, merge, delete');
    expect(await h.kube.get('kubemirror.io/v1alpha1', 'MirrorPolicy', 'cel-db', 'bad')).toBeNull();

    const noTargets = await applyText(
      'no-targets.yaml',
      'apiVersion: kubemirror.io/v1alpha1\nkind: MirrorPolicy\nmetadata: {name: nt, namespace: cel-db}\nspec:\n  resources: [{apiVersion: v1, kind: Secret, names: [a]}]\n',
    );
    expect(noTargets.code).not.toBe(0);
    expect(noTargets.stderr).toContain('must set targetNamespaces or targetNamespaceSelector');
  });

  it('what CEL cannot check (a rule with both value and delete) is reported in the Ready condition', async () => {
    for (const ns of ['nocel-db', 'nocel-t1']) await h.kube.namespace(ns);
    await h.kube.create(operatorSecret('nocel-db', 'x'));
    await h.kube.create(
      policy('nocel-db', 'value-and-delete', {
        resources: [{ apiVersion: 'v1', kind: 'Secret', names: ['x'] }],
        targetNamespaces: ['nocel-t1'],
        transform: { rules: [{ path: 'data.x', value: 'a', delete: true }] },
      }),
    );
    const s = await expectPolicy(
      h.kube,
      'nocel-db',
      'value-and-delete',
      (_s, r) => r.reason === 'TransformFailed',
      30_000,
    );
    expect(s.conditions?.[0]?.status).toBe('False');
    await waitFor(
      'no mirror written',
      () => h.mirrors('v1', 'Secret', 'x'),
      (m) => m.size === 0,
    );
  });
});

/**
 * The same behaviour table as the chart's ServiceAccount with exactly the chart's RBAC and an explicit list of
 * resource types (SPEC §10): the policy rules it grants are enough, and the selected kinds are read under its
 * resource rules; not one request is forbidden.
 */
describe('MirrorPolicy as the chart ServiceAccount (explicit resource types)', () => {
  let cp: ControlPlane;
  let sa: RealHarness;
  beforeAll(async () => {
    cp = await startRealControlPlane();
    const scratch = await RealHarness.start({ controlPlane: cp, controller: false });
    const admin = new KubectlCli(scratch.kubeconfigPath, join(scratch.tmpDir, 'kubectl-cache'));
    await admin.ok(['create', 'namespace', 'kubemirror-system']);
    await admin.ok(['apply', '-f', 'charts/kubemirror/crds/mirrorpolicies.kubemirror.io.yaml']);
    await admin.ok([
      'wait',
      '--for=condition=Established',
      'crd/mirrorpolicies.kubemirror.io',
      '--timeout=30s',
    ]);
    const objects = helmTemplate(
      [],
      ['--set', 'fullnameOverride=kubemirror', '--set', 'controller.resourceTypes={Secret.v1,ConfigMap.v1}'],
    );
    const rbac = objects.filter((o) =>
      ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(o.kind),
    );
    const file = join(scratch.tmpDir, 'rbac.yaml');
    writeFileSync(file, rbac.map((o: K8sObject) => stringify(o)).join('---\n'));
    await admin.ok(['apply', '-f', file]);
    const account = find(objects, 'ServiceAccount').metadata.name;
    const token = (
      await admin.ok(['create', 'token', account, '-n', 'kubemirror-system', '--duration=2h'])
    ).trim();
    const args = (podSpec(find(objects, 'Deployment')).containers[0]?.args ?? [])
      .filter((a) => a !== 'run')
      .filter((a) => !/^--(metrics|health-probe)-bind-address=/.test(a));
    sa = await RealHarness.start({
      controlPlane: cp,
      controllerKubeconfig: cp.kubeconfigForToken(token),
      args: [...args, `--max-targets=${MAX_TARGETS}`],
    });
  }, 240_000);
  afterAll(async () => {
    await sa?.stop();
    await cp?.stop();
  });

  POLICY_SCENARIOS.forEach((s, i) => {
    it(s.name, async () => {
      await withLogs(() => s.run(sa, `sa${i}`), sa, `sa${i}-`);
    });
  });

  it('no request of the controller was forbidden', async () => {
    const m = await sa.running?.metrics.registry.getSingleMetric('kubemirror_api_requests_total')?.get();
    const forbidden = (m?.values ?? []).filter((v) => v.labels.code === '403' && v.value > 0);
    expect(forbidden.map((v) => `${v.labels.verb} ${v.labels.resource}`)).toEqual([]);
  });
});
