import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type InstallClis, type InstallTarget, useInstallTarget } from './install-target.js';
import { chartDir, helmTemplate, type K8sObject, parseObjects } from './render.js';

/**
 * The install instructions, done for real against an API server (the sandbox or kube-apiserver) with the real kubectl and helm:
 * `kubectl apply -k deploy/`, `helm install`, and `kubectl apply -f` of a fully customised chart rendering.
 * (The sandbox runs in this process, so the CLIs are spawned asynchronously.)
 */
let clis: InstallClis;
const kubectl = (...args: string[]) => clis.kubectl(...args);
const helm = (...args: string[]) => clis.helm(...args);
const live = (kind: string, namespace?: string) => clis.names(kind, namespace);

/** The prometheus-operator CRDs the chart's monitoring objects need, as a user would have installed them. */
function operatorCrd(kind: string, plural: string): object {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.monitoring.coreos.com` },
    spec: {
      group: 'monitoring.coreos.com',
      scope: 'Namespaced',
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  };
}

export function describeInstall(where: string, start: () => Promise<InstallTarget>): void {
  clis = useInstallTarget(start, 'kubemirror-install-');

  describe(`installing into ${where}`, () => {
    it('kubectl apply -k deploy/ creates every object of the kustomize base', async () => {
      const out = await kubectl('apply', '-k', 'deploy/');
      expect(out).toMatch(/deployment\.apps\/kubemirror created/);
      expect(await live('deployments', 'kubemirror-system')).toEqual(['kubemirror']);
      expect(await live('serviceaccounts', 'kubemirror-system')).toContain('kubemirror');
      expect(await live('roles', 'kubemirror-system')).toEqual(['kubemirror']);
      expect(await live('configmaps', 'kubemirror-system')).toContain('kubemirror-config');
      expect(await live('clusterroles')).toContain('kubemirror');
      // applying again is a no-op, as in a GitOps loop
      expect(await kubectl('apply', '-k', 'deploy/')).toMatch(/deployment\.apps\/kubemirror unchanged/);
    });

    it('helm install creates the release and warns about auto-discovery RBAC in its notes', async () => {
      const out = await helm(
        'install',
        'mirror', // not "kubemirror": the kustomize install above owns those cluster-scoped names
        chartDir,
        '--namespace',
        'kubemirror-helm',
        '--create-namespace',
      );
      expect(out).toMatch(/STATUS: deployed/);
      expect(out).toMatch(/WARNING: controller\.resourceTypes is empty/);
      expect(await live('deployments', 'kubemirror-helm')).toEqual(['mirror-kubemirror']);
      expect(await live('roles', 'kubemirror-helm')).toEqual([
        'mirror-kubemirror-leader-election',
        'mirror-kubemirror-settings',
      ]);
      expect(await live('clusterroles')).toContain('mirror-kubemirror');
      const args = JSON.parse(
        await kubectl(
          'get',
          'deployment',
          'mirror-kubemirror',
          '-n',
          'kubemirror-helm',
          '-o',
          'jsonpath={.spec.template.spec.containers[0].args}',
        ),
      ) as string[];
      expect(args).toEqual([
        'run',
        '--leader-election-namespace=kubemirror-helm',
        '--config-map=kubemirror-helm/mirror-kubemirror-config',
      ]);
    });

    it('helm notes with cross-cluster on say how to register a cluster, and warn while the cluster name is "local"', async () => {
      const install = (...set: string[]) =>
        helm('install', 'xc', chartDir, '--namespace', 'kubemirror-xc', '--dry-run', '--set', set.join(','));
      const unnamed = await install('controller.remoteClusters=true');
      expect(unnamed).toMatch(/Cross-cluster mirroring is on \(this cluster: local\)/);
      expect(unnamed).toContain(
        'kubemirror cluster add NAME --context CTX | kubectl -n kubemirror-xc apply -f -',
      );
      expect(unnamed).toMatch(/WARNING: controller\.clusterName is "local"/);
      const named = await install(
        'controller.remoteClusters=true',
        'controller.clusterName=east',
        'controller.clusterSecrets={kubemirror-cluster-west}',
      );
      expect(named).toMatch(/this cluster: east/);
      expect(named).toMatch(
        /Only the Secrets named in controller\.clusterSecrets \(kubemirror-cluster-west\)/,
      );
      expect(named).not.toMatch(/clusterName is "local"/);
      expect(await install('controller.clusterName=east')).not.toMatch(/Cross-cluster|clusterName is/);
    });

    it('kubectl apply -f of the fully customised chart and of monitoring/ is accepted', async () => {
      await kubectl('create', 'namespace', 'kubemirror-leases');
      const crds = join(clis.dir, 'operator-crds.yaml');
      writeFileSync(
        crds,
        [operatorCrd('ServiceMonitor', 'servicemonitors'), operatorCrd('PrometheusRule', 'prometheusrules')]
          .map((o) => stringify(o))
          .join('---\n'),
      );
      await kubectl('apply', '-f', crds);

      const objects = helmTemplate(['explicit-types.yaml']);
      const file = join(clis.dir, 'rendered.yaml');
      writeFileSync(file, objects.map((o) => stringify(o)).join('---\n'));
      const out = await kubectl('apply', '-f', file);
      expect(out).not.toMatch(/error/i);
      const appliedKinds = new Set(
        parseObjects(await kubectl('get', '-f', file, '-o', 'yaml')).flatMap(itemsOf),
      );
      for (const kind of ['Deployment', 'ClusterRole', 'ServiceMonitor', 'PrometheusRule', 'ConfigMap']) {
        expect(appliedKinds).toContain(kind);
      }
      // the lease Role and, the canary and cross-cluster being on in these values, the canary's ConfigMap Role and
      // the Role on the named cluster Secrets
      expect(await live('roles', 'kubemirror-leases')).toEqual([
        'km-kubemirror-canary',
        'km-kubemirror-clusters',
        'km-kubemirror-leader-election',
      ]);

      // the standalone monitoring objects next to the kustomize install
      await kubectl('apply', '-f', 'monitoring/servicemonitor.yaml', '-f', 'monitoring/prometheusrule.yaml');
      expect(await live('servicemonitors', 'kubemirror-system')).toContain('kubemirror');
      expect(await live('prometheusrules', 'kubemirror-system')).toContain('kubemirror');
    });
  });
}

function itemsOf(o: K8sObject): string[] {
  const items = (o as unknown as { items?: K8sObject[] }).items;
  return items ? items.map((i) => i.kind) : [o.kind];
}
