import { describe, expect, it } from 'vitest';
import { type InstallClis, type InstallTarget, useInstallTarget } from './install-target.js';
import { chartDir } from './render.js';

/**
 * The chart's whole release lifecycle with the real helm client against an API server, PodDisruptionBudget
 * included: install, upgrade, uninstall. The sandbox may run in this process, so the CLIs are spawned
 * asynchronously.
 */
const NS = 'kubemirror-system';
let clis: InstallClis;
const kubectl = (...args: string[]) => clis.kubectl(...args);
const helm = (...args: string[]) => clis.helm(...args);
const names = (kind: string, namespace?: string) => clis.names(kind, namespace);

/** A live object as kubectl prints it; the test reads the fields it asserts on. */
interface Live {
  apiVersion: string;
  metadata: { generation?: number };
  spec: {
    [k: string]: unknown;
    strategy?: { type?: string };
    template: { spec: { containers: Record<string, unknown>[]; [k: string]: unknown } };
  };
}

async function getJson(...args: string[]): Promise<Live> {
  return JSON.parse(await kubectl('get', ...args, '-o', 'json')) as Live;
}

export function describeHelmLifecycle(where: string, start: () => Promise<InstallTarget>): void {
  clis = useInstallTarget(start, 'kubemirror-helm-install-');

  describe(`helm release lifecycle of charts/kubemirror in ${where}`, () => {
    it('helm install creates every object, the PodDisruptionBudget included', async () => {
      const out = await helm(
        'install',
        'kubemirror',
        chartDir,
        '--namespace',
        NS,
        '--create-namespace',
        '--set',
        'podDisruptionBudget.enabled=true',
        '--set',
        'podDisruptionBudget.maxUnavailable=1',
        '--wait=false',
      );
      expect(out).toMatch(/STATUS: deployed/);

      const pdb = await getJson('poddisruptionbudget', 'kubemirror', '-n', NS);
      expect(pdb.apiVersion).toBe('policy/v1');
      expect(pdb.spec.maxUnavailable).toBe(1);
      expect(pdb.metadata.generation).toBe(1);
      expect(await names('serviceaccounts', NS)).toContain('kubemirror');
      expect(await names('clusterroles')).toContain('kubemirror');
      expect(await names('clusterrolebindings')).toContain('kubemirror');
      expect(await names('deployments', NS)).toEqual(['kubemirror']);
      expect(await names('secrets', NS)).toContain('sh.helm.release.v1.kubemirror.v1');
      // what the server stored is the chart's Deployment defaulted as a real API server does
      // biome-ignore lint/suspicious/noExplicitAny: reads deep into the stored JSON
      const deploy: any = await getJson('deployment', 'kubemirror', '-n', NS);
      expect(deploy.spec.strategy.type).toBe('RollingUpdate');
      expect(deploy.spec.progressDeadlineSeconds).toBe(600);
      expect(deploy.spec.template.spec.schedulerName).toBe('default-scheduler');
      expect(deploy.spec.template.spec.containers[0].terminationMessagePolicy).toBe('File');
      // biome-ignore lint/suspicious/noExplicitAny: reads deep into the stored JSON
      const svc: any = await getJson('service', 'kubemirror-metrics', '-n', NS);
      expect(svc.spec.ports[0].protocol).toBe('TCP');
      expect(svc.spec.sessionAffinity).toBe('None');
    });

    it('helm upgrade patches the release in place (a PDB switched to minAvailable, replicas changed)', async () => {
      const out = await helm(
        'upgrade',
        'kubemirror',
        chartDir,
        '--namespace',
        NS,
        '--set',
        'podDisruptionBudget.enabled=true',
        '--set',
        'podDisruptionBudget.minAvailable=1',
        '--set',
        'replicaCount=3',
        '--wait=false',
      );
      expect(out).toMatch(/STATUS: deployed/);
      expect(out).toMatch(/REVISION: 2/);
      const pdb = await getJson('poddisruptionbudget', 'kubemirror', '-n', NS);
      expect(pdb.spec.minAvailable).toBe(1);
      expect(pdb.spec.maxUnavailable).toBeUndefined();
      const deploy = await getJson('deployment', 'kubemirror', '-n', NS);
      expect(deploy.spec.replicas).toBe(3);
      expect(deploy.metadata.generation).toBe(2);
    });

    it('helm uninstall removes the release and its objects', async () => {
      const out = await helm('uninstall', 'kubemirror', '--namespace', NS, '--wait=false');
      expect(out).toMatch(/release "kubemirror" uninstalled/);
      expect(await names('poddisruptionbudgets', NS)).toEqual([]);
      expect(await names('deployments', NS)).toEqual([]);
      expect(await names('clusterroles')).not.toContain('kubemirror');
      expect(await names('secrets', NS)).not.toContain('sh.helm.release.v1.kubemirror.v1');
    });
  });
}
