import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { find, type K8sObject, kustomizeBuild, podSpec, repoRoot, rules } from './render.js';

describe('kustomize base (kubectl kustomize deploy/)', () => {
  const objects = kustomizeBuild();

  it('renders the namespace, RBAC, settings ConfigMap, Deployment and metrics Service', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ClusterRole/kubemirror',
      'ClusterRoleBinding/kubemirror',
      'ConfigMap/kubemirror-config',
      'CustomResourceDefinition/mirrorpolicies.kubemirror.io',
      'Deployment/kubemirror',
      'Namespace/kubemirror-system',
      'Role/kubemirror',
      'RoleBinding/kubemirror',
      'Service/kubemirror-metrics',
      'ServiceAccount/kubemirror',
      // the admission component (deploy/admission, admission.test.ts)
      'ValidatingAdmissionPolicy/kubemirror-mirrors',
      'ValidatingAdmissionPolicy/kubemirror-sources',
      'ValidatingAdmissionPolicyBinding/kubemirror-mirrors',
      'ValidatingAdmissionPolicyBinding/kubemirror-sources',
    ]);
    // kustomize does not know the admission kinds are cluster-scoped and gives them the namespace too; kubectl and
    // the API server drop it
    for (const o of objects.filter(
      (x) =>
        !['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition'].includes(x.kind) &&
        !x.kind.startsWith('ValidatingAdmission'),
    )) {
      expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('kubemirror-system');
    }
  });

  it('runs the controller with its lease and settings in its own namespace, hardened, probed on :8081', () => {
    const pod = podSpec(find(objects, 'Deployment'));
    const c = pod.containers[0]!;
    expect(c.image).toBe('ghcr.io/kubemirror/kubemirror:0.1.0');
    expect(c.args).toEqual([
      'run',
      '--leader-election-namespace=$(POD_NAMESPACE)',
      '--config-map=$(POD_NAMESPACE)/kubemirror-config',
    ]);
    expect(c.env?.map((e) => e.name)).toEqual(['POD_NAME', 'POD_NAMESPACE', 'NODE_OPTIONS']);
    // V8's old space 64Mi under the memory limit, as the chart computes it (docs/memory.md)
    const limitMi = Number.parseInt(String((c.resources?.limits as { memory?: string })?.memory), 10);
    expect(c.env).toContainEqual({ name: 'NODE_OPTIONS', value: `--max-old-space-size=${limitMi - 64}` });
    expect(c.ports).toContainEqual({ name: 'health', containerPort: 8081, protocol: 'TCP' });
    expect(c.ports).toContainEqual({ name: 'metrics', containerPort: 8080, protocol: 'TCP' });
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'health' });
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'health' });
    expect(c.resources).toHaveProperty('limits.memory');
    expect(pod.serviceAccountName).toBe('kubemirror');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
    expect(pod.securityContext).toHaveProperty('seccompProfile.type', 'RuntimeDefault');
    expect(c.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
  });

  it('binds the ServiceAccount to the ClusterRole and to the namespace Role for leases and settings', () => {
    const subjects = (name: string, kind: string) =>
      (find(objects, kind, name) as unknown as { subjects: unknown[] }).subjects;
    const sa = { kind: 'ServiceAccount', name: 'kubemirror', namespace: 'kubemirror-system' };
    expect(subjects('kubemirror', 'ClusterRoleBinding')).toEqual([sa]);
    expect(subjects('kubemirror', 'RoleBinding')).toEqual([sa]);
    expect(rules(find(objects, 'Role')).map((r) => [r.resources, r.verbs])).toEqual([
      [['leases'], ['get', 'create', 'update']],
      [['configmaps'], ['get', 'list', 'watch']],
    ]);
    const cluster = rules(find(objects, 'ClusterRole'));
    expect(cluster.find((r) => r.resources?.includes('namespaces'))?.verbs).toEqual(['get', 'list', 'watch']);
    // auto-discovery (this base's default) watches CRDs so a new one triggers discovery at once
    expect(cluster).toContainEqual({
      apiGroups: ['apiextensions.k8s.io'],
      resources: ['customresourcedefinitions'],
      verbs: ['get', 'list', 'watch'],
    });
  });

  it('exposes the metrics port through a Service that selects the controller pods', () => {
    const svc = find(objects, 'Service') as unknown as {
      spec: { selector: Record<string, string>; ports: { name: string; port: number }[] };
    };
    const labels = (
      find(objects, 'Deployment') as unknown as {
        spec: { template: { metadata: { labels: Record<string, string> } } };
      }
    ).spec.template.metadata.labels;
    for (const [k, v] of Object.entries(svc.spec.selector)) expect(labels[k]).toBe(v);
    expect(svc.spec.ports.map((p) => [p.name, p.port])).toEqual([['metrics', 8080]]);
  });
});

describe('opt-in cross-cluster component (deploy/remote-clusters)', () => {
  const secretsRole = { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] };
  const sa = { kind: 'ServiceAccount', name: 'kubemirror', namespace: 'kubemirror-system' };

  function expectCrossCluster(objects: K8sObject[], extraArgs: string[]): void {
    const role = find(objects, 'Role', 'kubemirror-clusters');
    expect(role.metadata.namespace).toBe('kubemirror-system');
    expect(role.metadata.labels).toMatchObject({ 'app.kubernetes.io/part-of': 'kubemirror' });
    expect(rules(role)).toEqual([secretsRole]);
    const binding = find(objects, 'RoleBinding', 'kubemirror-clusters') as unknown as {
      metadata: { namespace: string };
      roleRef: { kind: string; name: string };
      subjects: unknown[];
    };
    expect(binding.metadata.namespace).toBe('kubemirror-system');
    expect(binding.roleRef).toMatchObject({ kind: 'Role', name: 'kubemirror-clusters' });
    expect(binding.subjects).toEqual([sa]);
    // no ClusterRole gains Secrets for it (the base's auto-discovery rule is the only wildcard)
    for (const c of objects.filter((o) => o.kind === 'ClusterRole'))
      expect(rules(c).filter((r) => r.resources?.includes('secrets'))).toEqual([]);
    // EndpointSlices (the export reads, the stale sweeper updates) and the export Leases (read), cluster-wide
    // because kubemirror-remote may not exist yet; kept when the base's wildcard is narrowed
    const clusters = find(objects, 'ClusterRole', 'kubemirror-clusters');
    expect(rules(clusters)).toEqual([
      {
        apiGroups: ['discovery.k8s.io'],
        resources: ['endpointslices'],
        verbs: ['get', 'list', 'watch', 'update'],
      },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list'] },
    ]);
    expect(clusters.metadata.labels).toMatchObject({ 'app.kubernetes.io/part-of': 'kubemirror' });
    const clusterBinding = find(objects, 'ClusterRoleBinding', 'kubemirror-clusters') as unknown as {
      roleRef: { kind: string; name: string };
      subjects: unknown[];
    };
    expect(clusterBinding.roleRef).toMatchObject({ kind: 'ClusterRole', name: 'kubemirror-clusters' });
    expect(clusterBinding.subjects).toEqual([sa]);
    expect(podSpec(find(objects, 'Deployment')).containers[0]!.args).toEqual([
      'run',
      '--leader-election-namespace=$(POD_NAMESPACE)',
      '--config-map=$(POD_NAMESPACE)/kubemirror-config',
      '--remote-clusters=true',
      ...extraArgs,
    ]);
  }

  it('is off in the base: no Role on Secrets, no --remote-clusters', () => {
    const objects = kustomizeBuild();
    expect(objects.filter((o) => o.metadata.name === 'kubemirror-clusters')).toEqual([]);
    for (const o of objects.filter((x) => x.kind === 'Role' || x.kind === 'ClusterRole'))
      expect(rules(o).filter((r) => r.resources?.includes('secrets'))).toEqual([]);
    expect(podSpec(find(objects, 'Deployment')).containers[0]!.args).not.toContain('--remote-clusters=true');
  });

  it('uncommenting `components:` in deploy/kustomization.yaml turns it on', () => {
    const base = readFileSync(join(repoRoot, 'deploy', 'kustomization.yaml'), 'utf8');
    const enabled = base.replace(/^ {2}# - remote-clusters$/m, '  - remote-clusters');
    expect(enabled, 'the commented `- remote-clusters` line under `components:`').not.toBe(base);
    const dir = mkdtempSync(join(tmpdir(), 'kubemirror-kustomize-'));
    try {
      cpSync(join(repoRoot, 'deploy'), dir, { recursive: true });
      writeFileSync(join(dir, 'kustomization.yaml'), enabled);
      const objects = kustomizeBuild(dir);
      expectCrossCluster(objects, []);
      expect(objects).toHaveLength(kustomizeBuild().length + 4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("an overlay adds the component and this cluster's name, as docs/cross-cluster.md shows", () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubemirror-overlay-'));
    try {
      // kustomize refuses absolute paths to kustomization directories
      const deploy = relative(dir, join(repoRoot, 'deploy'));
      writeFileSync(
        join(dir, 'kustomization.yaml'),
        stringify({
          apiVersion: 'kustomize.config.k8s.io/v1beta1',
          kind: 'Kustomization',
          resources: [deploy],
          components: [`${deploy}/remote-clusters`],
          patches: [
            {
              target: { kind: 'Deployment', name: 'kubemirror' },
              patch:
                '- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --cluster-name=east\n',
            },
          ],
        }),
      );
      expectCrossCluster(kustomizeBuild(dir), ['--cluster-name=east']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
