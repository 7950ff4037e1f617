import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import { parseDuration } from '../../src/config/duration.js';
import { SETTINGS } from '../../src/config/settings.js';
import { helmPath } from '../helpers/tools.js';
import {
  chartDir,
  find,
  helmTemplate,
  type K8sObject,
  type PodSpec,
  podSpec,
  rules,
  run,
  valuesDir,
} from './render.js';

const MIRROR_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
const values = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as {
  controller: Record<string, unknown>;
};

function container(objects: K8sObject[]) {
  return podSpec(find(objects, 'Deployment')).containers[0]!;
}

function expectHardened(pod: PodSpec): void {
  expect(pod.securityContext).toMatchObject({
    runAsNonRoot: true,
    runAsUser: 65532,
    seccompProfile: { type: 'RuntimeDefault' },
  });
  expect(pod.containers[0]!.securityContext).toMatchObject({
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  });
}

/** What cross-cluster mirroring adds to the ClusterRole when the mirrored types are listed. */
const crossClusterSlices = {
  apiGroups: ['discovery.k8s.io'],
  resources: ['endpointslices'],
  verbs: ['get', 'list', 'watch', 'update'],
};
const crossClusterLeases = {
  apiGroups: ['coordination.k8s.io'],
  resources: ['leases'],
  verbs: ['get', 'list'],
};
/** Auto-discovery watches CRDs (metadata) so a new or removed one triggers discovery at once. */
const crdWatch = {
  apiGroups: ['apiextensions.k8s.io'],
  resources: ['customresourcedefinitions'],
  verbs: ['get', 'list', 'watch'],
};
/** MirrorPolicies (SPEC §11): watched, finalizer and status written; granted whatever the resource types */
const mirrorPolicies = {
  apiGroups: ['kubemirror.io'],
  resources: ['mirrorpolicies'],
  verbs: ['get', 'list', 'watch', 'patch', 'update'],
};
const mirrorPolicyStatus = {
  apiGroups: ['kubemirror.io'],
  resources: ['mirrorpolicies/status'],
  verbs: ['get', 'patch', 'update'],
};

describe('helm lint', () => {
  for (const file of [undefined, 'explicit-types.yaml', 'single-replica.yaml', 'external-configmap.yaml']) {
    it(`passes with ${file ?? 'default values'}`, () => {
      const args = ['lint', '--strict', chartDir, '--namespace', 'kubemirror-system'];
      if (file) args.push('-f', join(valuesDir, file));
      const res = run(helmPath(), args);
      expect(res.status, res.stdout + res.stderr).toBe(0);
    });
  }
});

describe('values.yaml', () => {
  it('holds the controller defaults for every setting of `kubemirror run` it covers', () => {
    const c = values.controller;
    const asConfig: Record<string, unknown> = {
      ...c,
      discoveryIntervalMs: parseDuration(String(c.discoveryInterval)),
      resyncPeriodMs: parseDuration(String(c.resyncPeriod)),
      transformRenderTimeoutMs: parseDuration(String(c.transformRenderTimeout)),
      canaryIntervalMs: parseDuration(String(c.canaryInterval)),
    };
    for (const s of SETTINGS) {
      if (s.key === 'kubeconfig') continue; // in-cluster config, never set by the chart
      expect(asConfig[s.key], `controller value for --${s.flag}`).toEqual(DEFAULT_CONFIG[s.key]);
    }
  });

  it('names every setting after the controller: a values key for each flag of `kubemirror run`', () => {
    const keys = new Set(Object.keys(values.controller));
    const chartKey = (key: string) => key.replace(/Ms$/, '');
    for (const s of SETTINGS) {
      if (s.key === 'kubeconfig') continue;
      expect(keys, `--${s.flag}`).toContain(chartKey(s.key));
    }
  });
});

describe('values.schema.json', () => {
  it("accepts exactly the controller's ConfigMap keys in settingsConfigMap.data", () => {
    const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8')) as {
      properties: { settingsConfigMap: { properties: { data: { propertyNames: { enum: string[] } } } } };
    };
    const keys = SETTINGS.flatMap((s) => (s.configMapKey ? [s.configMapKey] : []));
    expect([...schema.properties.settingsConfigMap.properties.data.propertyNames.enum].sort()).toEqual(
      keys.sort(),
    );
    expect(() => helmTemplate([], ['--set', 'settingsConfigMap.data.maxTarget=5'])).toThrow(/maxTarget/);
  });
});

describe('helm template with default values', () => {
  const objects = helmTemplate();

  it('renders the controller objects and leaves monitoring off', () => {
    const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(kinds).toEqual([
      'ClusterRole/km-kubemirror',
      'ClusterRoleBinding/km-kubemirror',
      'ConfigMap/km-kubemirror-config',
      'Deployment/km-kubemirror',
      'PodDisruptionBudget/km-kubemirror',
      'Role/km-kubemirror-leader-election',
      'Role/km-kubemirror-settings',
      'RoleBinding/km-kubemirror-leader-election',
      'RoleBinding/km-kubemirror-settings',
      'Service/km-kubemirror-metrics',
      'ServiceAccount/km-kubemirror',
      // the guard rails at admission, on by default in Warn mode (admission.test.ts)
      'ValidatingAdmissionPolicy/km-kubemirror-mirrors',
      'ValidatingAdmissionPolicy/km-kubemirror-sources',
      'ValidatingAdmissionPolicyBinding/km-kubemirror-mirrors',
      'ValidatingAdmissionPolicyBinding/km-kubemirror-sources',
    ]);
    const clusterScoped = (kind: string) =>
      kind.startsWith('Cluster') || kind.startsWith('ValidatingAdmission');
    for (const o of objects.filter((x) => !clusterScoped(x.kind))) {
      expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('kubemirror-system');
    }
  });

  it('passes only the settings that are always needed: defaults are left to the controller and its ConfigMap', () => {
    const c = container(objects);
    expect(c.args).toEqual([
      'run',
      '--leader-election-namespace=kubemirror-system',
      '--config-map=kubemirror-system/km-kubemirror-config',
    ]);
    expect(c.env?.map((e) => e.name)).toEqual(['POD_NAME', 'POD_NAMESPACE', 'NODE_OPTIONS']);
    expect(c.image).toBe('ghcr.io/kubemirror/kubemirror:0.1.0');
  });

  it("sizes V8's old space from the memory limit, 64Mi below it, unless extraEnv sets NODE_OPTIONS", () => {
    const nodeOptions = (set: string[]) =>
      container(helmTemplate([], set))
        .env?.filter((e) => e.name === 'NODE_OPTIONS')
        .map((e) => e.value);
    expect(container(objects).env).toContainEqual({
      name: 'NODE_OPTIONS',
      value: '--max-old-space-size=448',
    });
    expect(nodeOptions(['--set', 'resources.limits.memory=1Gi'])).toEqual(['--max-old-space-size=960']);
    // too small a limit, one not in Mi/Gi, or none: Node's own default
    expect(nodeOptions(['--set', 'resources.limits.memory=100Mi'])).toEqual([]);
    expect(nodeOptions(['--set', 'resources.limits.memory=600M'])).toEqual([]);
    expect(nodeOptions(['--set', 'resources.limits=null'])).toEqual([]);
    expect(
      nodeOptions([
        '--set',
        'extraEnv[0].name=NODE_OPTIONS',
        '--set',
        'extraEnv[0].value=--max-old-space-size=300',
      ]),
    ).toEqual(['--max-old-space-size=300']);
  });

  it('probes /healthz and /readyz on the health port 8081 and exposes metrics on 8080', () => {
    const c = container(objects);
    expect(c.ports).toEqual([
      { name: 'metrics', containerPort: 8080, protocol: 'TCP' },
      { name: 'health', containerPort: 8081, protocol: 'TCP' },
    ]);
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'health' });
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'health' });
    const svc = find(objects, 'Service') as unknown as {
      spec: { ports: { port: number; targetPort: string }[] };
    };
    expect(svc.spec.ports).toEqual([{ name: 'metrics', port: 8080, targetPort: 'metrics', protocol: 'TCP' }]);
  });

  it('runs hardened: non-root 65532, read-only root filesystem, no capabilities, RuntimeDefault seccomp', () => {
    expectHardened(podSpec(find(objects, 'Deployment')));
  });

  it('grants the documented broad rule for auto-discovery, the CRD watch, namespaces read-only and events', () => {
    expect(rules(find(objects, 'ClusterRole'))).toEqual([
      { apiGroups: ['*'], resources: ['*'], verbs: MIRROR_VERBS },
      crdWatch,
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
      { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
      mirrorPolicies,
      mirrorPolicyStatus,
    ]);
    expect(rules(find(objects, 'Role', 'km-kubemirror-leader-election'))).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
    ]);
    expect(rules(find(objects, 'Role', 'km-kubemirror-settings'))).toEqual([
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] },
    ]);
  });
});

describe('helm template with every setting changed (explicit-types.yaml)', () => {
  const objects = helmTemplate(['explicit-types.yaml']);
  const c = container(objects);

  it('passes every non-default setting as its flag, then extraArgs', () => {
    expect(c.args).toEqual([
      'run',
      '--leader-election-namespace=kubemirror-leases',
      '--config-map=kubemirror-system/km-kubemirror-config',
      '--resource-types=Secret.v1,ConfigMap.v1,Ingress.v1.networking.k8s.io,NetworkPolicy.v1.networking.k8s.io,Widget.v1.example.com,Policy.v1beta1.example.com,Fish.v1.example.com',
      '--discovery-interval=10m',
      '--resync-period=30m',
      '--max-targets=250',
      '--worker-threads=8',
      '--rate-limit-qps=12.5',
      '--rate-limit-burst=40',
      '--verify-source-freshness=true',
      '--excluded-namespaces=sandbox-*,tmp',
      '--included-namespaces=app-*,team-*',
      '--source-namespaces=platform',
      '--system-namespaces=kube-system',
      '--annotation-prefix=mirror.example.com',
      '--finalizers=false',
      '--strip-keys=argocd.argoproj.io/*',
      '--metrics-bind-address=:9090',
      '--health-probe-bind-address=:9091',
      '--leader-election-id=km-lease',
      '--transform-max-rules=20',
      '--transform-max-bytes=4096',
      '--transform-render-timeout=250ms',
      '--canary-interval=1m',
      '--canary-namespaces=canary-a,canary-b',
      '--canary-cleanup=true',
      '--cluster-name=west',
      '--remote-clusters=true',
      '--cluster-secrets=a,b',
      '--some-future-flag=1',
    ]);
    expect(c.env).toContainEqual({ name: 'LOG_LEVEL', value: 'debug' });
    expect(c.env).toContainEqual({ name: 'NODE_OPTIONS', value: '--max-old-space-size=384' });
    expect(c.image).toBe(
      'registry.example.com/platform/kubemirror@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    );
  });

  it('renders only flags the controller has', () => {
    const flags = new Set(SETTINGS.map((s) => s.flag));
    for (const arg of c.args!.slice(1, -1)) {
      const flag = /^--([a-z-]+)=/.exec(arg)?.[1];
      expect(flags, arg).toContain(flag);
    }
  });

  it('grants mirror verbs on exactly the listed resources, grouped by API group, with guessed and overridden plurals', () => {
    const clusterRules = rules(find(objects, 'ClusterRole', 'km-kubemirror'));
    expect(clusterRules.slice(0, 3)).toEqual([
      { apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: MIRROR_VERBS },
      { apiGroups: ['example.com'], resources: ['fish', 'policies', 'widgets'], verbs: MIRROR_VERBS },
      { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'networkpolicies'], verbs: MIRROR_VERBS },
    ]);
    expect(clusterRules.some((r) => r.resources?.includes('*') || r.apiGroups?.includes('*'))).toBe(false);
    // no CRD watch with an explicit list (rbac.extraClusterRules can add it for a CRD installed later)
    expect(clusterRules).not.toContainEqual(crdWatch);
    // then the fixed rules, and what cross-cluster mirroring (on in these values) adds
    expect(clusterRules.slice(3).map((r) => r.resources)).toEqual(
      [['namespaces'], ['events'], ['events'], ['mirrorpolicies'], ['mirrorpolicies/status']].concat([
        crossClusterSlices.resources,
        crossClusterLeases.resources,
      ]),
    );
    expect(clusterRules.slice(8)).toEqual([crossClusterSlices, crossClusterLeases]);
  });

  it('grants the canary its ConfigMaps in the controller namespace and creating/deleting namespaces', () => {
    const role = find(objects, 'Role', 'km-kubemirror-canary');
    expect(role.metadata.namespace).toBe('kubemirror-leases');
    expect(rules(role)).toEqual([{ apiGroups: [''], resources: ['configmaps'], verbs: MIRROR_VERBS }]);
    expect(find(objects, 'RoleBinding', 'km-kubemirror-canary').metadata.namespace).toBe('kubemirror-leases');
    expect(rules(find(objects, 'ClusterRole', 'km-kubemirror-canary'))).toEqual([
      { apiGroups: [''], resources: ['namespaces'], verbs: ['create', 'delete'] },
    ]);
    const binding = find(objects, 'ClusterRoleBinding', 'km-kubemirror-canary') as unknown as {
      roleRef: { name: string };
    };
    expect(binding.roleRef.name).toBe('km-kubemirror-canary');
  });

  it('grants read on exactly the named cluster Secrets, in the controller namespace, by a Role', () => {
    const role = find(objects, 'Role', 'km-kubemirror-clusters');
    expect(role.metadata.namespace).toBe('kubemirror-leases');
    expect(rules(role)).toEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['a', 'b'], verbs: ['get', 'list', 'watch'] },
    ]);
    const binding = find(objects, 'RoleBinding', 'km-kubemirror-clusters') as unknown as {
      metadata: { namespace: string };
      roleRef: { kind: string; name: string };
      subjects: unknown[];
    };
    expect(binding.metadata.namespace).toBe('kubemirror-leases');
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'km-kubemirror-clusters',
    });
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'km-kubemirror', namespace: 'kubemirror-system' },
    ]);
  });

  it('puts the lease Role in the leader election namespace', () => {
    const role = find(objects, 'Role', 'km-kubemirror-leader-election');
    expect(role.metadata.namespace).toBe('kubemirror-leases');
    expect(find(objects, 'RoleBinding', 'km-kubemirror-leader-election').metadata.namespace).toBe(
      'kubemirror-leases',
    );
  });

  it('moves ports and probes with the bind addresses', () => {
    expect(c.ports?.map((p) => [p.name, p.containerPort])).toEqual([
      ['metrics', 9090],
      ['health', 9091],
    ]);
    expect(c.readinessProbe?.httpGet.port).toBe('health');
  });

  it('writes settingsConfigMap.data as strings, lists comma-separated', () => {
    expect((find(objects, 'ConfigMap') as unknown as { data: unknown }).data).toEqual({
      excludedNamespaces: 'a,b',
      maxTargets: '300',
    });
  });

  it('schedules as asked: priority class, node selector, tolerations, affinity, replicas', () => {
    const pod = podSpec(find(objects, 'Deployment'));
    expect(pod.priorityClassName).toBe('system-cluster-critical');
    expect(pod.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(pod.tolerations).toHaveLength(1);
    expect(pod.affinity).toHaveProperty('podAntiAffinity');
    expect((find(objects, 'Deployment') as unknown as { spec: { replicas: number } }).spec.replicas).toBe(3);
    expectHardened(pod);
  });

  it('renders the PDB with minAvailable, and the ServiceMonitor and PrometheusRule with their labels', () => {
    const pdb = find(objects, 'PodDisruptionBudget') as unknown as { spec: Record<string, unknown> };
    expect(pdb.spec.minAvailable).toBe(2);
    expect(pdb.spec).not.toHaveProperty('maxUnavailable');

    const sm = find(objects, 'ServiceMonitor') as unknown as {
      metadata: { labels: Record<string, string> };
      spec: { endpoints: { port: string }[]; selector: { matchLabels: Record<string, string> } };
    };
    expect(sm.metadata.labels.release).toBe('kube-prometheus-stack');
    expect(sm.spec.endpoints[0]!.port).toBe('metrics');
    const svc = find(objects, 'Service');
    for (const [k, v] of Object.entries(sm.spec.selector.matchLabels))
      expect(svc.metadata.labels?.[k]).toBe(v);

    const pr = find(objects, 'PrometheusRule') as unknown as { spec: unknown };
    const source = parse(
      readFileSync(join(chartDir, '..', '..', 'monitoring', 'rules', 'kubemirror-rules.yaml'), 'utf8'),
    );
    expect(pr.spec).toEqual(source);
  });
});

describe('helm template with other non-default values', () => {
  it('single replica: no PDB, no lease Role, no settings ConfigMap, the given service account', () => {
    const objects = helmTemplate(['single-replica.yaml']);
    const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(kinds).toEqual([
      'ClusterRole/km-kubemirror',
      'ClusterRoleBinding/km-kubemirror',
      'Deployment/km-kubemirror',
      'Service/km-kubemirror-metrics',
      'ValidatingAdmissionPolicy/km-kubemirror-mirrors',
      'ValidatingAdmissionPolicy/km-kubemirror-sources',
      'ValidatingAdmissionPolicyBinding/km-kubemirror-mirrors',
      'ValidatingAdmissionPolicyBinding/km-kubemirror-sources',
    ]);
    expect(podSpec(find(objects, 'Deployment')).serviceAccountName).toBe('platform-controllers');
    expect(container(objects).args).toEqual([
      'run',
      '--leader-election-namespace=kubemirror-system',
      '--leader-elect=false',
      '--rate-limit-qps=2000000',
    ]);
    const crb = find(objects, 'ClusterRoleBinding') as unknown as { subjects: { name: string }[] };
    expect(crb.subjects[0]!.name).toBe('platform-controllers');
  });

  it('external settings ConfigMap: read in its own namespace; metrics off: no port, Service or ServiceMonitor', () => {
    const objects = helmTemplate(['external-configmap.yaml']);
    expect(objects.filter((o) => o.kind === 'ConfigMap')).toEqual([]);
    expect(objects.filter((o) => o.kind === 'Service' || o.kind === 'ServiceMonitor')).toEqual([]);
    const role = find(objects, 'Role', 'km-kubemirror-settings');
    expect(role.metadata.namespace).toBe('platform-config');
    expect(container(objects).args).toContain('--config-map=platform-config/kubemirror-settings');
    expect(container(objects).args).toContain('--metrics-bind-address=0');
    expect(container(objects).ports?.map((p) => p.name)).toEqual(['health']);
  });

  it('toggles: PDB off, ServiceMonitor and PrometheusRule on', () => {
    const objects = helmTemplate(
      [],
      ['--set', 'podDisruptionBudget.enabled=false,serviceMonitor.enabled=true,prometheusRule.enabled=true'],
    );
    const kinds = new Set(objects.map((o) => o.kind));
    expect(kinds.has('PodDisruptionBudget')).toBe(false);
    expect(kinds.has('ServiceMonitor')).toBe(true);
    expect(kinds.has('PrometheusRule')).toBe(true);
  });

  it('sets the KubemirrorPropagationSlow threshold from prometheusRule.propagationSlowSeconds, nothing else', () => {
    const objects = helmTemplate(
      [],
      ['--set', 'prometheusRule.enabled=true,prometheusRule.propagationSlowSeconds=120'],
    );
    const pr = find(objects, 'PrometheusRule') as unknown as {
      spec: {
        groups: { rules: { alert?: string; expr: string; annotations?: { description: string } }[] }[];
      };
    };
    const source = parse(
      readFileSync(join(chartDir, '..', '..', 'monitoring', 'rules', 'kubemirror-rules.yaml'), 'utf8'),
    ) as typeof pr.spec;
    const all = (spec: typeof pr.spec) => spec.groups.flatMap((g) => g.rules);
    const slow = all(pr.spec).find((r) => r.alert === 'KubemirrorPropagationSlow')!;
    expect(slow.expr).toMatch(/\) > 120\n?$/);
    expect(slow.annotations?.description).toContain('above 120s');
    const others = (spec: typeof pr.spec) => all(spec).filter((r) => r.alert !== 'KubemirrorPropagationSlow');
    expect(others(pr.spec)).toEqual(others(source));
  });

  it('cross-cluster off (default): no Role or rule on Secrets anywhere, no cluster flags', () => {
    for (const objects of [
      helmTemplate(),
      helmTemplate([], ['--set', 'controller.resourceTypes={Service.v1}']),
    ]) {
      expect(objects.filter((o) => o.metadata.name === 'km-kubemirror-clusters')).toEqual([]);
      const roles = objects.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole');
      for (const r of roles.flatMap(rules)) {
        expect(r.resources, JSON.stringify(r)).not.toContain('secrets');
        expect(r.resources, JSON.stringify(r)).not.toContain('endpointslices');
      }
      // leases only in the leader election Role, never cluster-wide
      expect(
        rules(find(objects, 'ClusterRole', 'km-kubemirror')).filter((r) => r.resources?.includes('leases')),
      ).toEqual([]);
      expect(
        container(objects).args?.some((a) => a.startsWith('--cluster') || a.startsWith('--remote')),
      ).toBe(false);
    }
  });

  it('cross-cluster on without named Secrets: the Role covers the Secrets of the release namespace only', () => {
    const objects = helmTemplate(
      [],
      [
        '--set',
        'controller.remoteClusters=true,controller.clusterName=west,controller.resourceTypes={Secret.v1}',
      ],
    );
    const role = find(objects, 'Role', 'km-kubemirror-clusters');
    expect(role.metadata.namespace).toBe('kubemirror-system');
    expect(rules(role)).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] },
    ]);
    expect(find(objects, 'RoleBinding', 'km-kubemirror-clusters').metadata.namespace).toBe(
      'kubemirror-system',
    );
    // the ClusterRole gains no Secrets for it (only as a mirrored type); it gains the sweeper's and the endpoint
    // export's rules in this cluster, even without Services mirrored (other clusters may export into this one)
    expect(rules(find(objects, 'ClusterRole', 'km-kubemirror'))).toEqual([
      {
        apiGroups: [''],
        resources: ['secrets'],
        verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
      },
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
      { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
      mirrorPolicies,
      mirrorPolicyStatus,
      crossClusterSlices,
      crossClusterLeases,
    ]);
    expect(container(objects).args).toEqual([
      'run',
      '--leader-election-namespace=kubemirror-system',
      '--config-map=kubemirror-system/km-kubemirror-config',
      '--resource-types=Secret.v1',
      '--cluster-name=west',
      '--remote-clusters=true',
    ]);
  });

  it('cross-cluster: EndpointSlices (read, and update for the stale sweeper) and Leases (read) in one rule each', () => {
    const clusterRules = (types: string) =>
      rules(
        find(
          helmTemplate([], ['--set', `controller.remoteClusters=true,controller.resourceTypes={${types}}`]),
          'ClusterRole',
          'km-kubemirror',
        ),
      );
    const withServices = clusterRules('Service.v1,ConfigMap.v1');
    expect(withServices).toContainEqual(crossClusterSlices);
    expect(withServices).toContainEqual(crossClusterLeases);
    // never create or delete a slice in this cluster, never write a Lease cluster-wide
    expect(withServices.filter((r) => r.resources?.includes('endpointslices'))).toEqual([crossClusterSlices]);
    expect(withServices.filter((r) => r.resources?.includes('leases'))).toEqual([crossClusterLeases]);
    // a mirrored EndpointSlice or Lease type already grants more: no second rule for it
    const listed = clusterRules('Service.v1,EndpointSlice.v1.discovery.k8s.io,Lease.v1.coordination.k8s.io');
    expect(listed).not.toContainEqual(crossClusterSlices);
    expect(listed).not.toContainEqual(crossClusterLeases);
    expect(listed.filter((r) => r.resources?.includes('endpointslices'))).toHaveLength(1);
    expect(listed.filter((r) => r.resources?.includes('leases'))).toHaveLength(1);
    // auto-discovery: the wildcard covers both, nothing is added
    const auto = rules(
      find(helmTemplate([], ['--set', 'controller.remoteClusters=true']), 'ClusterRole', 'km-kubemirror'),
    );
    expect(
      auto.filter((r) => r.resources?.includes('endpointslices') || r.resources?.includes('leases')),
    ).toEqual([]);
    expect(auto[0]).toMatchObject({ apiGroups: ['*'], resources: ['*'] });
  });

  it('rejects a cluster name that is not a DNS label', () => {
    expect(() => helmTemplate([], ['--set', 'controller.clusterName=West_1'])).toThrow(/clusterName/);
  });

  it('rejects a resource type that is not Kind.version[.group]', () => {
    expect(() => helmTemplate(['bad-resource-type.yaml'])).toThrow(/resourceTypes/);
  });

  it('rejects an unknown controller setting (a typo would otherwise be ignored)', () => {
    expect(() => helmTemplate([], ['--set', 'controller.maxTarget=5'])).toThrow(/maxTarget/);
  });
});

describe('chart README', () => {
  // values documented as one object rather than key by key
  const OPAQUE = new Set([
    'resources',
    'livenessProbe',
    'readinessProbe',
    'podSecurityContext',
    'securityContext',
  ]);
  const readme = readFileSync(join(chartDir, 'README.md'), 'utf8');

  it('documents every value in its table', () => {
    const flat = (obj: Record<string, unknown>, prefix = ''): string[] =>
      Object.entries(obj).flatMap(([k, v]) =>
        v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0 && !OPAQUE.has(k)
          ? flat(v as Record<string, unknown>, `${prefix}${k}.`)
          : [`${prefix}${k}`],
      );
    const all = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    for (const key of flat(all)) expect(readme, key).toContain(`| \`${key}\``);
  });
});
