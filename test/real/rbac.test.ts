import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { ControlPlane } from '../control-plane/launcher.js';
import { KubectlCli } from '../helpers/cli.js';
import { RealHarness, startRealControlPlane } from '../helpers/real-harness.js';
import { waitFor } from '../helpers/wait.js';
import { SCENARIOS } from '../integration/scenarios.js';
import { find, helmTemplate, type K8sObject, podSpec } from '../packaging/render.js';

/**
 * The controller as the chart's ServiceAccount, with exactly the RBAC the chart renders (SPEC §10): a verb the
 * chart forgot is a failing test here, not a surprise in production. The ServiceAccount's token comes from the
 * TokenRequest API (`kubectl create token`), the controller's flags are the chart Deployment's own, and the
 * behaviour table runs under it — once with explicit resource types (and the canary and leader election on),
 * once with discovery.
 */
const NS = 'kubemirror-system';
const RBAC_KINDS = new Set(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);
let cp: ControlPlane;
let kubectl: KubectlCli;
let dir: string;

/** Each describe gets a control plane of its own (the behaviour table reuses namespace and object names). */
async function freshControlPlane(): Promise<void> {
  await cp?.stop();
  cp = await startRealControlPlane();
  const scratch = await RealHarness.start({ controlPlane: cp, controller: false });
  dir = scratch.tmpDir;
  kubectl = new KubectlCli(scratch.kubeconfigPath, join(dir, 'kubectl-cache'));
  await kubectl.ok(['create', 'namespace', NS]);
}

/** The chart's ServiceAccount and RBAC applied, and the chart's controller flags (ports on loopback). */
async function installChartIdentity(
  release: string,
  sets: string[],
): Promise<{ token: string; args: string[] }> {
  const objects = helmTemplate(
    [],
    ['--set', 'fullnameOverride=kubemirror', ...sets.flatMap((s) => ['--set', s])],
  );
  const rbac = objects.filter((o) => RBAC_KINDS.has(o.kind));
  const file = join(dir, `${release}-rbac.yaml`);
  writeFileSync(file, rbac.map((o: K8sObject) => stringify(o)).join('---\n'));
  await kubectl.ok(['apply', '-f', file]);
  const sa = find(objects, 'ServiceAccount').metadata.name;
  const token = (await kubectl.ok(['create', 'token', sa, '-n', NS, '--duration=2h'])).trim();
  const chartArgs = podSpec(find(objects, 'Deployment')).containers[0]?.args ?? [];
  const args = chartArgs
    .filter((a) => a !== 'run')
    .filter((a) => !/^--(metrics|health-probe)-bind-address=/.test(a));
  return { token, args };
}

afterAll(async () => {
  await cp?.stop();
});

describe('as the chart ServiceAccount with explicit resource types, leader election and the canary', () => {
  let h: RealHarness;
  beforeAll(async () => {
    await freshControlPlane();
    const { token, args } = await installChartIdentity('explicit', [
      'controller.resourceTypes={Secret.v1,ConfigMap.v1,Service.v1}',
      'controller.leaderElect=true',
      'controller.canaryInterval=2s',
      'controller.canaryNamespaces={rb-canary}',
    ]);
    expect(args).toContain('--resource-types=Secret.v1,ConfigMap.v1,Service.v1');
    h = await RealHarness.start({
      controlPlane: cp,
      controllerKubeconfig: cp.kubeconfigForToken(token),
      args,
    });
  }, 240_000);
  afterAll(async () => {
    await h?.stop();
  });

  SCENARIOS.forEach((s, i) => {
    it(s.name, async () => {
      await s.run(h, `e${i}`);
    });
  });

  it('the canary round succeeds (its namespace created, its ConfigMap mirrored) and no request was forbidden', async () => {
    await waitFor(
      'a successful canary round',
      async () =>
        (await h.running!.metrics.registry.getSingleMetric('kubemirror_canary_success')?.get())?.values[0]
          ?.value,
      (v) => v === 1,
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const m = await h.running!.metrics.registry.getSingleMetric('kubemirror_api_requests_total')?.get();
    const forbidden = (m?.values ?? []).filter((v) => v.labels.code === '403' && v.value > 0);
    expect(forbidden.map((v) => `${v.labels.verb} ${v.labels.resource}`)).toEqual([]);
  });
});

describe('as the chart ServiceAccount with resource types discovered', () => {
  let h: RealHarness;
  beforeAll(async () => {
    await freshControlPlane();
    const { token, args } = await installChartIdentity('discovery', ['controller.leaderElect=true']);
    expect(args.some((a) => a.startsWith('--resource-types='))).toBe(false);
    h = await RealHarness.start({
      controlPlane: cp,
      controllerKubeconfig: cp.kubeconfigForToken(token),
      args,
    });
  }, 240_000);
  afterAll(async () => {
    await h?.stop();
  });

  SCENARIOS.forEach((s, i) => {
    it(s.name, async () => {
      await s.run(h, `d${i}`);
    });
  });

  it('no request was forbidden', async () => {
    const m = await h.running!.metrics.registry.getSingleMetric('kubemirror_api_requests_total')?.get();
    const forbidden = (m?.values ?? []).filter((v) => v.labels.code === '403' && v.value > 0);
    expect(forbidden.map((v) => `${v.labels.verb} ${v.labels.resource}`)).toEqual([]);
  });
});
