import { describe, expect, it } from 'vitest';
import { mirrorKeys } from '../../src/core/keys.js';
import { resourceDenyReason } from '../../src/core/resource-policy.js';
import { readSourceSpec } from '../../src/core/source-spec.js';
import type { KubeObject } from '../../src/core/types.js';
import { find, helmTemplate, type K8sObject, kustomizeBuild } from './render.js';

/**
 * The admission policies (SPEC §12) as the chart and the kustomize component render them. What they do on a real
 * API server is test/real/admission.test.ts; here: values → objects, the two renderings agree, and the policy's
 * entry grammar (RE2, run here as JavaScript regular expressions) refuses exactly what the controller refuses.
 */
interface Policy {
  spec: {
    failurePolicy: string;
    matchConstraints: {
      resourceRules: { operations: string[] }[];
      excludeResourceRules?: { apiGroups: string[]; resources: string[] }[];
      objectSelector?: { matchLabels: Record<string, string> };
    };
    matchConditions: { name: string; expression: string }[];
    variables: { name: string; expression: string }[];
    validations: { expression: string; message: string; messageExpression: string }[];
  };
}
interface Binding {
  spec: { policyName: string; validationActions: string[] };
}

const admission = (objects: K8sObject[]) =>
  objects
    .filter((o) => o.kind.startsWith('ValidatingAdmissionPolicy'))
    .map((o) => `${o.kind}/${o.metadata.name}`);
const policy = (objects: K8sObject[], name: string) =>
  find(objects, 'ValidatingAdmissionPolicy', name) as unknown as Policy;
const binding = (objects: K8sObject[], name: string) =>
  find(objects, 'ValidatingAdmissionPolicyBinding', name) as unknown as Binding;
/** The JSON (= CEL) list literal in a matchCondition's expression. */
const listIn = (expression: string): string[] => JSON.parse(/(\[.*\])\)?$/.exec(expression)?.[1] ?? 'null');
const exemptUsers = (p: Policy) => listIn(p.spec.matchConditions[0]!.expression);
const exemptGroups = (p: Policy) => listIn(p.spec.matchConditions[1]!.expression);
const set = (...pairs: string[]) => pairs.flatMap((p) => ['--set', p]);

describe('chart: admission policies', () => {
  it('are on by default, in Warn mode, for the default prefix and the release ServiceAccount', () => {
    const objects = helmTemplate();
    expect(admission(objects).sort()).toEqual([
      'ValidatingAdmissionPolicy/km-kubemirror-mirrors',
      'ValidatingAdmissionPolicy/km-kubemirror-sources',
      'ValidatingAdmissionPolicyBinding/km-kubemirror-mirrors',
      'ValidatingAdmissionPolicyBinding/km-kubemirror-sources',
    ]);
    for (const name of ['km-kubemirror-mirrors', 'km-kubemirror-sources'])
      expect(binding(objects, name).spec).toEqual({ policyName: name, validationActions: ['Warn'] });
    const mirrors = policy(objects, 'km-kubemirror-mirrors');
    expect(mirrors.spec.failurePolicy).toBe('Fail');
    expect(mirrors.spec.matchConstraints.objectSelector).toEqual({
      matchLabels: { 'kubemirror.io/mirror': 'true' },
    });
    expect(mirrors.spec.matchConstraints.resourceRules[0]!.operations).toEqual([
      'CREATE',
      'UPDATE',
      'DELETE',
    ]);
    expect(exemptUsers(mirrors)).toEqual([
      'system:serviceaccount:kubemirror-system:km-kubemirror',
      'system:serviceaccount:kube-system:namespace-controller',
      'system:serviceaccount:kube-system:generic-garbage-collector',
      'system:kube-controller-manager',
      'system:serviceaccount:kubemirror-remote:kubemirror-remote',
    ]);
    expect(exemptGroups(mirrors)).toEqual([]);
    const sources = policy(objects, 'km-kubemirror-sources');
    // advice: an evaluation error never blocks a write the controller judges itself
    expect(sources.spec.failurePolicy).toBe('Ignore');
    expect(sources.spec.matchConditions).toEqual([
      {
        name: 'carries-sync',
        expression: "has(object.metadata.annotations) && 'kubemirror.io/sync' in object.metadata.annotations",
      },
    ]);
    expect(sources.spec.validations.find((v) => v.expression.includes('transform'))?.expression).toContain(
      '<= 10240',
    );
  });

  it('exempt the ServiceAccount the pods run as, and the exempt users and groups given', () => {
    const objects = helmTemplate(
      ['single-replica.yaml'],
      [
        ...set('admissionPolicies.exemptGroups={platform:break-glass,platform:break-glass}'),
        '--set-json',
        'admissionPolicies.exemptUsers=["system:serviceaccount:argocd:argocd-application-controller"]',
      ],
    );
    const mirrors = policy(objects, 'km-kubemirror-mirrors');
    expect(exemptUsers(mirrors)[0]).toBe('system:serviceaccount:kubemirror-system:platform-controllers');
    expect(exemptUsers(mirrors).at(-1)).toBe('system:serviceaccount:argocd:argocd-application-controller');
    expect(exemptUsers(mirrors)).not.toContain('system:serviceaccount:kubemirror-remote:kubemirror-remote');
    expect(exemptGroups(mirrors)).toEqual(['platform:break-glass']);
  });

  it('Deny for both, or per policy; each policy can be left out; all of it off', () => {
    const deny = helmTemplate([], set('admissionPolicies.action=Deny'));
    expect(binding(deny, 'km-kubemirror-mirrors').spec.validationActions).toEqual(['Deny']);
    expect(binding(deny, 'km-kubemirror-sources').spec.validationActions).toEqual(['Deny']);
    const mixed = helmTemplate([], set('admissionPolicies.sources.action=Deny'));
    expect(binding(mixed, 'km-kubemirror-mirrors').spec.validationActions).toEqual(['Warn']);
    expect(binding(mixed, 'km-kubemirror-sources').spec.validationActions).toEqual(['Deny']);
    expect(admission(helmTemplate([], set('admissionPolicies.mirrors.enabled=false'))).sort()).toEqual([
      'ValidatingAdmissionPolicy/km-kubemirror-sources',
      'ValidatingAdmissionPolicyBinding/km-kubemirror-sources',
    ]);
    expect(admission(helmTemplate([], set('admissionPolicies.enabled=false')))).toEqual([]);
  });

  it('are rendered for the annotation prefix and the transform limit', () => {
    const objects = helmTemplate(
      [],
      set('controller.annotationPrefix=kubemirror.raczylo.com', 'controller.transformMaxBytes=4096'),
    );
    const text = JSON.stringify(objects.filter((o) => o.kind.startsWith('ValidatingAdmission')));
    expect(text).not.toContain('kubemirror.io/');
    for (const key of ['mirror', 'source-namespace', 'source-name', 'sync', 'target-namespaces', 'transform'])
      expect(text).toContain(`kubemirror.raczylo.com/${key}`);
    expect(policy(objects, 'km-kubemirror-mirrors').spec.matchConstraints.objectSelector).toEqual({
      matchLabels: { 'kubemirror.raczylo.com/mirror': 'true' },
    });
    expect(text).toContain('<= 4096');
    expect(text).toContain('over the 4096-byte limit');
  });

  it('are left out on a cluster older than 1.30 (no admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy)', () => {
    expect(admission(helmTemplate([], ['--kube-version', '1.29.9']))).toEqual([]);
    expect(admission(helmTemplate([], ['--kube-version', '1.30.0']))).toHaveLength(4);
  });

  it('refuse a prefix that is not a DNS subdomain, and an action that is not Warn or Deny', () => {
    expect(() => helmTemplate([], set('controller.annotationPrefix=Kube_Mirror'))).toThrow(
      /controller\.annotationPrefix: "Kube_Mirror" is not a DNS subdomain/,
    );
    expect(() => helmTemplate([], set('admissionPolicies.action=deny'))).toThrow(/admissionPolicies\.action/);
    expect(() => helmTemplate([], set('admissionPolicies.sources.action=Audit'))).toThrow(/action/);
  });

  it('skip only never-mirrored kinds (the busiest writes) when checking sources', () => {
    const kinds: Record<string, string> = {
      pods: 'Pod',
      events: 'Event',
      endpoints: 'Endpoints',
      leases: 'Lease',
      endpointslices: 'EndpointSlice',
      replicasets: 'ReplicaSet',
      controllerrevisions: 'ControllerRevision',
    };
    const rules =
      policy(helmTemplate(), 'km-kubemirror-sources').spec.matchConstraints.excludeResourceRules ?? [];
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules)
      for (const group of r.apiGroups)
        for (const resource of r.resources)
          expect(
            resourceDenyReason({ group, kind: kinds[resource] ?? resource }, true),
            `${group}/${resource}`,
          ).toMatch(/is never mirrored/);
  });
});

describe('kustomize component deploy/admission', () => {
  it("is the chart's rendering for the base's namespace and ServiceAccount", () => {
    const base = kustomizeBuild();
    const chart = helmTemplate([], set('fullnameOverride=kubemirror'));
    for (const name of ['kubemirror-mirrors', 'kubemirror-sources']) {
      expect(policy(base, name).spec, name).toEqual(policy(chart, name).spec);
      expect(binding(base, name).spec, name).toEqual(binding(chart, name).spec);
    }
    expect(exemptUsers(policy(base, 'kubemirror-mirrors'))[0]).toBe(
      'system:serviceaccount:kubemirror-system:kubemirror',
    );
    expect(find(base, 'ValidatingAdmissionPolicy', 'kubemirror-mirrors').metadata.labels).toMatchObject({
      'app.kubernetes.io/part-of': 'kubemirror',
    });
  });
});

describe("the sources policy's entry grammar", () => {
  const keys = mirrorKeys();
  const sources = policy(helmTemplate(), 'km-kubemirror-sources');
  /** The RE2 patterns of a `bad...` variable, as JavaScript regular expressions (RE2's \x{..} is JS's \u{..}). */
  const patterns = (variable: string) => {
    const expr = sources.spec.variables.find((v) => v.name === variable)?.expression ?? '';
    const found = [...expr.matchAll(/r'([^']*)'/g)].map(
      (m) => new RegExp(m[1]!.replace(/\\x\{/g, '\\u{'), 'u'),
    );
    expect(found).toHaveLength(2);
    return found as [RegExp, RegExp];
  };
  /** The variable's CEL, `value.split(',').filter(e, !(e.matches(ok) && !e.matches(backwards)))`, in JavaScript. */
  const compiled = { badTargets: patterns('badTargets'), badClusters: patterns('badClusters') };
  const policyRefuses = (variable: keyof typeof compiled, value: string) => {
    const [ok, backwards] = compiled[variable];
    return value.split(',').some((e) => !(ok.test(e) && !backwards.test(e)));
  };
  const controllerRefuses = (key: string, value: string) => {
    const obj: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x', annotations: { [key]: value } },
    };
    return readSourceSpec(obj, keys).errors.length > 0;
  };

  /** Deterministic pseudo-random entries (mulberry32), biased towards names, globs and classes. */
  function* entries(count: number): Generator<string> {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    const atoms = [
      ...[
        'a',
        'b',
        'z',
        '0',
        '9',
        '-',
        '*',
        '?',
        '[',
        ']',
        '!',
        '^',
        ' ',
        '\t',
        '\u00a0',
        '\ufeff',
        '\u0085',
      ],
      ...['\u2003', 'A', '_', '.', ',', 'app', 'team-', '[a-c]', '[c-a]', '[!x]', '[^0-9]', '[]', '[a-z-0]'],
      ...['all', 'all-labeled', 'app-1', 'team-?', 'prod-*', '!app-*', '! legacy', 'x[-]'],
    ];
    for (let i = 0; i < count; i++) {
      const len = rand(6);
      let s = '';
      for (let j = 0; j < len; j++) s += atoms[rand(atoms.length)];
      yield rand(10) === 0 ? s + 'a'.repeat(55 + rand(12)) : s;
    }
  }

  it('target-namespaces: refuses exactly what the controller refuses', () => {
    const disagree: string[] = [];
    for (const v of entries(20_000))
      if (policyRefuses('badTargets', v) !== controllerRefuses(keys.targetNamespaces, v))
        disagree.push(JSON.stringify(v));
    expect(disagree.slice(0, 20)).toEqual([]);
  });

  it('target-clusters: refuses exactly what the controller refuses', () => {
    const disagree: string[] = [];
    for (const v of entries(20_000))
      if (policyRefuses('badClusters', v) !== controllerRefuses(keys.targetClusters, v))
        disagree.push(JSON.stringify(v));
    expect(disagree.slice(0, 20)).toEqual([]);
  });

  it('the generated entries hold accepted and refused ones of every kind', () => {
    for (const key of [keys.targetNamespaces, keys.targetClusters]) {
      const verdicts = [...entries(20_000)].map((v) => controllerRefuses(key, v));
      expect(verdicts.filter(Boolean).length, key).toBeGreaterThan(2000);
      expect(verdicts.filter((r) => !r).length, key).toBeGreaterThan(2000);
    }
  });
});
