import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/types.js';
import {
  BUILTIN_RESOURCES,
  coreEventFromEventsV1,
  eventsV1FromCoreEvent,
} from '../../src/sandbox/builtin-resources.js';
import { ipFamilyDefaults } from '../../src/sandbox/defaulting/core.js';
import { applyDefaults } from '../../src/sandbox/defaulting/index.js';
import { imageTag } from '../../src/sandbox/defaulting/pod.js';
import type { ResourceDef } from '../../src/sandbox/resource-registry.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests read deep into defaulted plain JSON
type J = any;

/** The defaulters of pkg/apis/{core,apps,batch,networking}/v1/defaults.go, as the sandbox applies them. */

function def(group: string, kind: string): ResourceDef {
  const d = BUILTIN_RESOURCES.find((r) => r.group === group && r.kind === kind);
  if (!d) throw new Error(`no built-in ${group}/${kind}`);
  return d;
}

function defaulted(group: string, kind: string, body: Record<string, unknown>): KubeObject {
  const obj = { apiVersion: 'x', kind, metadata: { name: 'x', namespace: 'ns' }, ...structuredClone(body) };
  applyDefaults(def(group, kind), obj);
  return obj;
}

const template = (containers: Record<string, unknown>[]) => ({
  metadata: { labels: { app: 'a' } },
  spec: { containers },
});

describe('Deployment (apps/v1 SetDefaults_Deployment, core/v1 SetDefaults_PodSpec/Container)', () => {
  const d = defaulted('apps', 'Deployment', {
    spec: {
      selector: { matchLabels: { app: 'a' } },
      template: template([{ name: 'c', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }]),
    },
  });
  const spec = d.spec as J;

  it('defaults replicas, a 25%/25% RollingUpdate strategy, revisionHistoryLimit and progressDeadlineSeconds', () => {
    expect(spec.replicas).toBe(1);
    expect(spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' },
    });
    expect(spec.revisionHistoryLimit).toBe(10);
    expect(spec.progressDeadlineSeconds).toBe(600);
  });

  it('defaults the pod template and its containers', () => {
    const pod = spec.template.spec;
    expect(pod).toMatchObject({
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      securityContext: {},
      schedulerName: 'default-scheduler',
    });
    expect(pod.containers[0]).toEqual({
      name: 'c',
      image: 'nginx:1.27',
      ports: [{ containerPort: 80, protocol: 'TCP' }],
      imagePullPolicy: 'IfNotPresent',
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      resources: {},
    });
  });

  it('keeps what the user set: Recreate gets no rollingUpdate, replicas 0 stays 0', () => {
    const r = defaulted('apps', 'Deployment', {
      spec: { replicas: 0, strategy: { type: 'Recreate' }, template: template([]) },
    }).spec as Record<string, unknown>;
    expect(r.replicas).toBe(0);
    expect(r.strategy).toEqual({ type: 'Recreate' });
  });

  it('is idempotent: defaulting a defaulted object changes nothing', () => {
    const again = structuredClone(d);
    applyDefaults(def('apps', 'Deployment'), again);
    expect(again).toEqual(d);
  });
});

describe('imagePullPolicy (SetDefaults_Container via parsers.ParseImageName)', () => {
  for (const [image, policy] of [
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['registry:5000/team/app', 'Always'],
    ['registry:5000/team/app:v2', 'IfNotPresent'],
    ['app@sha256:0123', 'IfNotPresent'],
    ['app:v1@sha256:0123', 'IfNotPresent'],
  ] as const) {
    it(`${image} → ${policy}`, () => {
      const pod = (
        defaulted('apps', 'Deployment', { spec: { template: template([{ name: 'c', image }]) } }).spec as J
      ).template.spec;
      expect(pod.containers[0].imagePullPolicy).toBe(policy);
    });
  }
  it('reads the tag of the last path segment only', () => {
    expect(imageTag('registry:5000/app')).toBe('latest');
  });
});

describe('Service (core/v1 SetDefaults_Service, registry alloc.go initIPFamilyFields)', () => {
  it('defaults a ClusterIP service and its ports', () => {
    const spec = defaulted('', 'Service', {
      spec: {
        selector: { app: 'a' },
        ports: [{ port: 80 }, { port: 443, targetPort: 'https', protocol: 'TCP' }],
      },
    }).spec;
    expect(spec).toEqual({
      selector: { app: 'a' },
      ports: [
        { port: 80, protocol: 'TCP', targetPort: 80 },
        { port: 443, targetPort: 'https', protocol: 'TCP' },
      ],
      sessionAffinity: 'None',
      type: 'ClusterIP',
      internalTrafficPolicy: 'Cluster',
    });
    // the IP families are the registry's, set with the allocation after the field manager (alloc.go)
    ipFamilyDefaults(spec as J);
    expect(spec).toMatchObject({ ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'] });
  });

  it('adds externalTrafficPolicy and allocateLoadBalancerNodePorts for LoadBalancer, externalTrafficPolicy for NodePort', () => {
    const lb = defaulted('', 'Service', { spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } }).spec as J;
    expect(lb).toMatchObject({ externalTrafficPolicy: 'Cluster', allocateLoadBalancerNodePorts: true });
    const np = defaulted('', 'Service', { spec: { type: 'NodePort', ports: [{ port: 80 }] } }).spec as J;
    expect(np.externalTrafficPolicy).toBe('Cluster');
    expect(np.allocateLoadBalancerNodePorts).toBeUndefined();
  });

  it('gives ExternalName no traffic policies or IP families', () => {
    const spec = defaulted('', 'Service', {
      spec: { type: 'ExternalName', externalName: 'example.com' },
    }).spec;
    expect(spec).toEqual({ type: 'ExternalName', externalName: 'example.com', sessionAffinity: 'None' });
  });

  it('gives a headless service without selector RequireDualStack, ClientIP affinity its 10800s timeout', () => {
    const headless = defaulted('', 'Service', { spec: { clusterIP: 'None', sessionAffinity: 'ClientIP' } })
      .spec as J;
    ipFamilyDefaults(headless);
    expect(headless.ipFamilyPolicy).toBe('RequireDualStack');
    expect(headless.sessionAffinityConfig).toEqual({ clientIP: { timeoutSeconds: 10800 } });
  });
});

describe('other kinds', () => {
  it('StatefulSet (SetDefaults_StatefulSet)', () => {
    const spec = defaulted('apps', 'StatefulSet', { spec: { template: template([]) } }).spec as J;
    expect(spec).toMatchObject({
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      replicas: 1,
      revisionHistoryLimit: 10,
    });
  });

  it('DaemonSet (SetDefaults_DaemonSet)', () => {
    const spec = defaulted('apps', 'DaemonSet', { spec: { template: template([]) } }).spec as J;
    expect(spec.updateStrategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 1, maxSurge: 0 },
    });
    expect(spec.revisionHistoryLimit).toBe(10);
  });

  it('Job (SetDefaults_Job) takes its template labels', () => {
    const job = defaulted('batch', 'Job', { spec: { template: template([]) } });
    expect(job.spec).toMatchObject({
      completions: 1,
      parallelism: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
      podReplacementPolicy: 'TerminatingOrFailed',
    });
    expect(job.metadata.labels).toEqual({ app: 'a' });
  });

  it('CronJob (SetDefaults_CronJob): the job template gets only pod template defaults', () => {
    const spec = defaulted('batch', 'CronJob', {
      spec: { schedule: '* * * * *', jobTemplate: { spec: { template: template([]) } } },
    }).spec as J;
    expect(spec).toMatchObject({
      concurrencyPolicy: 'Allow',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
    });
    expect(spec.jobTemplate.spec.backoffLimit).toBeUndefined();
    expect(spec.jobTemplate.spec.template.spec.restartPolicy).toBe('Always');
  });

  it('NetworkPolicy (SetDefaults_NetworkPolicy): Ingress, plus Egress when egress rules exist; ports TCP', () => {
    expect(
      (defaulted('networking.k8s.io', 'NetworkPolicy', { spec: { podSelector: {} } }).spec as J).policyTypes,
    ).toEqual(['Ingress']);
    const spec = defaulted('networking.k8s.io', 'NetworkPolicy', {
      spec: { podSelector: {}, egress: [{ ports: [{ port: 53 }] }] },
    }).spec as J;
    expect(spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(spec.egress[0].ports[0].protocol).toBe('TCP');
  });

  it('Ingress and PodDisruptionBudget have no defaulter', () => {
    const ing = { spec: { rules: [{ http: { paths: [{ path: '/', backend: {} }] } }] } };
    expect(defaulted('networking.k8s.io', 'Ingress', ing).spec).toEqual(ing.spec);
    expect(defaulted('policy', 'PodDisruptionBudget', { spec: { maxUnavailable: 1 } }).spec).toEqual({
      maxUnavailable: 1,
    });
  });
});

describe('events.k8s.io/v1 ↔ core/v1 Event (pkg/apis/events/v1/conversion.go)', () => {
  it('renames the fields both ways and round-trips', () => {
    const v1 = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'e', namespace: 'ns' },
      regarding: { kind: 'Secret', name: 's' },
      note: 'hello',
      reason: 'Mirrored',
      type: 'Normal',
      reportingController: 'kubemirror',
      reportingInstance: 'pod-1',
      deprecatedCount: 2,
    };
    const core = coreEventFromEventsV1(v1);
    expect(core).toEqual({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'e', namespace: 'ns' },
      involvedObject: { kind: 'Secret', name: 's' },
      message: 'hello',
      reason: 'Mirrored',
      type: 'Normal',
      reportingComponent: 'kubemirror',
      reportingInstance: 'pod-1',
      count: 2,
    });
    expect(eventsV1FromCoreEvent(core)).toEqual(v1);
  });
});
