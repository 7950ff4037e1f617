import { describe, expect, it } from 'vitest';
import { find, kustomizeBuild, podSpec, rules } from './render.js';

describe('kustomize base (kubectl kustomize deploy/)', () => {
  const objects = kustomizeBuild();

  it('renders the namespace, RBAC, settings ConfigMap, Deployment and metrics Service', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ClusterRole/kubemirror',
      'ClusterRoleBinding/kubemirror',
      'ConfigMap/kubemirror-config',
      'Deployment/kubemirror',
      'Namespace/kubemirror-system',
      'Role/kubemirror',
      'RoleBinding/kubemirror',
      'Service/kubemirror-metrics',
      'ServiceAccount/kubemirror',
    ]);
    for (const o of objects.filter(
      (x) => !['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(x.kind),
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
    expect(c.env?.map((e) => e.name)).toEqual(['POD_NAME', 'POD_NAMESPACE']);
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
