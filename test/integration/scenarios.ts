import { expect } from 'vitest';
import type { KubeObject } from '../../src/core/types.js';
import type { ControllerHarness as Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The behaviour table (issue 3): each row is a scenario run against the sandbox with the real controller.
 * Rows use their own namespaces (prefixed by `p`) so they can share one sandbox and controller, and are run
 * twice: plainly (mirroring.test.ts) and under injected faults (mirroring-faults.test.ts).
 */
export interface Scenario {
  name: string;
  run: (h: Harness, p: string) => Promise<void>;
}

const E = 'kubemirror.io/enabled';
const S = 'kubemirror.io/sync';
const T = 'kubemirror.io/target-namespaces';
const SEL = 'kubemirror.io/target-namespace-selector';
const ALLOW = 'kubemirror.io/allow-mirrors';

export function secret(
  ns: string,
  name: string,
  annotations: Record<string, string>,
  data: Record<string, string> = { token: 'dG9rZW4=' },
  extra: Partial<KubeObject> = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: ns, labels: { [E]: 'true' }, annotations: { [S]: 'true', ...annotations } },
    type: 'Opaque',
    data,
    ...extra,
  };
}

export function configMap(
  ns: string,
  name: string,
  annotations: Record<string, string>,
  data: Record<string, string> = { k: 'v' },
  labels: Record<string, string> = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace: ns,
      labels: { [E]: 'true', ...labels },
      annotations: { [S]: 'true', ...annotations },
    },
    data,
  };
}

async function namespaces(h: Harness, ...specs: Array<string | [string, Record<string, string>]>) {
  for (const s of specs) {
    if (typeof s === 'string') await h.kube.namespace(s);
    else await h.kube.namespace(s[0], s[1]);
  }
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'explicit list: mirrored into exactly the named namespaces',
    run: async (h, p) => {
      await namespaces(h, `${p}-src`, `${p}-a`, `${p}-b`, `${p}-c`);
      await h.kube.create(secret(`${p}-src`, 'creds', { [T]: `${p}-a, ${p}-b` }));
      await h.expectMirrorsIn('v1', 'Secret', 'creds', [`${p}-a`, `${p}-b`]);
      await h.expectStatus('v1', 'Secret', `${p}-src`, 'creds', (l) => l === 'Synced 2/2');
      const m = (await h.mirrors('v1', 'Secret', 'creds')).get(`${p}-a`)!;
      expect(m.data).toEqual({ token: 'dG9rZW4=' });
      expect(m.metadata.labels).toMatchObject({
        'kubemirror.io/mirror': 'true',
        'kubemirror.io/managed-by': 'kubemirror',
      });
      expect(m.metadata.annotations).toMatchObject({
        'kubemirror.io/source-namespace': `${p}-src`,
        'kubemirror.io/source-name': 'creds',
      });
      expect(m.metadata.ownerReferences).toBeUndefined();
      expect(m.metadata.finalizers).toBeUndefined();
    },
  },
  {
    name: 'glob with exclude: app-* minus !app-skip',
    run: async (h, p) => {
      await namespaces(h, `${p}-src`, `${p}-app-1`, `${p}-app-2`, `${p}-app-skip`, `${p}-other`);
      await h.kube.create(configMap(`${p}-src`, 'cfg', { [T]: `${p}-app-*,!${p}-app-skip` }));
      await h.expectMirrorsIn('v1', 'ConfigMap', 'cfg', [`${p}-app-1`, `${p}-app-2`]);
    },
  },
  {
    name: 'namespace created later gets the mirror; relabelled out of a selector loses it',
    run: async (h, p) => {
      await namespaces(h, `${p}-src`, [`${p}-x`, { team: `${p}-pay` }]);
      await h.kube.create(configMap(`${p}-src`, 'sel', { [SEL]: `team=${p}-pay` }));
      await h.expectMirrorsIn('v1', 'ConfigMap', 'sel', [`${p}-x`]);
      await namespaces(h, [`${p}-y`, { team: `${p}-pay` }]);
      await h.expectMirrorsIn('v1', 'ConfigMap', 'sel', [`${p}-x`, `${p}-y`]);
      await h.kube.mergePatch('v1', 'Namespace', '', `${p}-x`, { metadata: { labels: { team: null } } });
      await h.expectMirrorsIn('v1', 'ConfigMap', 'sel', [`${p}-y`]);
      await h.kube.mergePatch('v1', 'Namespace', '', `${p}-x`, {
        metadata: { labels: { team: `${p}-pay` } },
      });
      await h.expectMirrorsIn('v1', 'ConfigMap', 'sel', [`${p}-x`, `${p}-y`]);
    },
  },
  {
    name: 'all-labeled reaches only opted-in namespaces; allow-mirrors=false opts out of a glob',
    run: async (h, p) => {
      await namespaces(h, `${p}-src`, [`${p}-in`, { [ALLOW]: 'true' }], `${p}-plain`, [
        `${p}-out`,
        { [ALLOW]: 'false' },
      ]);
      await h.kube.create(configMap(`${p}-src`, 'lab', { [T]: 'all-labeled' }));
      await h.kube.create(configMap(`${p}-src`, 'glob', { [T]: `${p}-*` }));
      await h.expectMirrorsIn('v1', 'ConfigMap', 'lab', [`${p}-in`]);
      await h.expectMirrorsIn('v1', 'ConfigMap', 'glob', [`${p}-in`, `${p}-plain`]);
    },
  },
  {
    name: 'source data and label changes reach every mirror; annotation narrowed removes mirrors',
    run: async (h, p) => {
      await namespaces(h, `${p}-src`, `${p}-a`, `${p}-b`);
      const src = await h.kube.create(configMap(`${p}-src`, 'chg', { [T]: `${p}-a,${p}-b` }, { k: 'v1' }));
      await h.expectMirrorsIn('v1', 'ConfigMap', 'chg', [`${p}-a`, `${p}-b`]);
      await h.kube.mergePatch('v1', 'ConfigMap', `${p}-src`, 'chg', {
        data: { k: 'v2' },
        metadata: { labels: { tier: 'gold' } },
      });
      await waitFor(
        'mirrors carry the new data and label',
        async () => [...(await h.mirrors('v1', 'ConfigMap', 'chg')).values()],
        (ms) =>
          ms.length === 2 &&
          ms.every(
            (m) => (m.data as Record<string, string>).k === 'v2' && m.metadata.labels?.tier === 'gold',
          ),
      );
      await h.kube.mergePatch('v1', 'ConfigMap', `${p}-src`, 'chg', {
        metadata: { annotations: { [T]: `${p}-a` } },
      });
      await h.expectMirrorsIn('v1', 'ConfigMap', 'chg', [`${p}-a`]);
      expect(src.metadata.uid).toBeTruthy();
    },
  },
  {
    name: 'sync turned off deletes the mirrors and removes the finalizer',
    run: async (h, p) => {
      await namespaces(h, `${p}-src`, `${p}-a`);
      await h.kube.create(configMap(`${p}-src`, 'off', { [T]: `${p}-a` }));
      await h.expectMirrorsIn('v1', 'ConfigMap', 'off', [`${p}-a`]);
      await h.kube.mergePatch('v1', 'ConfigMap', `${p}-src`, 'off', {
        metadata: { annotations: { [S]: null } },
      });
      await h.expectMirrorsIn('v1', 'ConfigMap', 'off', []);
      await waitFor(
        'finalizer removed',
        () => h.kube.get('v1', 'ConfigMap', `${p}-src`, 'off'),
        (o) => !(o?.metadata.finalizers ?? []).length,
      );
    },
  },
  {
    name: 'label removed (source leaves the filtered watch): mirrors deleted and finalizer removed',
    run: async (h, p) => {
      await namespaces(h, `${p}-src`, `${p}-a`);
      await h.kube.create(configMap(`${p}-src`, 'unl', { [T]: `${p}-a` }));
      await h.expectMirrorsIn('v1', 'ConfigMap', 'unl', [`${p}-a`]);
      await h.kube.mergePatch('v1', 'ConfigMap', `${p}-src`, 'unl', { metadata: { labels: { [E]: null } } });
      await h.expectMirrorsIn('v1', 'ConfigMap', 'unl', []);
      await waitFor(
        'finalizer removed',
        () => h.kube.get('v1', 'ConfigMap', `${p}-src`, 'unl'),
        (o) => !(o?.metadata.finalizers ?? []).length,
      );
    },
  },
  {
    name: 'source deleted: finalizer holds it until every mirror is gone, then it goes',
    run: async (h, p) => {
      await namespaces(h, `${p}-src`, `${p}-a`, `${p}-b`);
      await h.kube.create(secret(`${p}-src`, 'del', { [T]: `${p}-a,${p}-b` }));
      await h.expectMirrorsIn('v1', 'Secret', 'del', [`${p}-a`, `${p}-b`]);
      await waitFor(
        'finalizer added',
        () => h.kube.get('v1', 'Secret', `${p}-src`, 'del'),
        (o) => (o?.metadata.finalizers ?? []).includes('kubemirror.io/finalizer'),
      );
      await h.kube.delete('v1', 'Secret', `${p}-src`, 'del');
      await h.expectMirrorsIn('v1', 'Secret', 'del', []);
      await waitFor(
        'source gone',
        () => h.kube.get('v1', 'Secret', `${p}-src`, 'del'),
        (o) => o === null,
      );
    },
  },
  {
    name: 'mirror edited is restored; mirror deleted is recreated',
    run: async (h, p) => {
      await namespaces(h, `${p}-src`, `${p}-a`);
      await h.kube.create(configMap(`${p}-src`, 'drift', { [T]: `${p}-a` }, { k: 'orig' }));
      await h.expectMirrorsIn('v1', 'ConfigMap', 'drift', [`${p}-a`]);
      await h.kube.mergePatch('v1', 'ConfigMap', `${p}-a`, 'drift', { data: { k: 'hacked', extra: 'x' } });
      await waitFor(
        'edit reverted',
        () => h.kube.get('v1', 'ConfigMap', `${p}-a`, 'drift'),
        (o) => JSON.stringify(o?.data) === JSON.stringify({ k: 'orig' }),
      );
      const before = await h.kube.get('v1', 'ConfigMap', `${p}-a`, 'drift');
      await h.kube.delete('v1', 'ConfigMap', `${p}-a`, 'drift');
      await waitFor(
        'mirror recreated',
        () => h.kube.get('v1', 'ConfigMap', `${p}-a`, 'drift'),
        (o) => o !== null && o.metadata.uid !== before?.metadata.uid,
      );
    },
  },
  {
    name: 'unmanaged object with the same name is never touched; conflict reported in status',
    run: async (h, p) => {
      await namespaces(h, `${p}-src`, `${p}-a`, `${p}-b`);
      await h.kube.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'own', namespace: `${p}-b` },
        data: { mine: 'yes' },
      });
      await h.kube.create(configMap(`${p}-src`, 'own', { [T]: `${p}-a,${p}-b` }));
      await h.expectStatus(
        'v1',
        'ConfigMap',
        `${p}-src`,
        'own',
        (l) => l.startsWith('Partial 1/2') && l.includes(`${p}-b`),
      );
      const theirs = await h.kube.get('v1', 'ConfigMap', `${p}-b`, 'own');
      expect(theirs?.data).toEqual({ mine: 'yes' });
      expect(theirs?.metadata.labels?.['kubemirror.io/mirror']).toBeUndefined();
      // deleting the source must not delete the object it never owned
      await h.kube.delete('v1', 'ConfigMap', `${p}-src`, 'own');
      await h.expectMirrorsIn('v1', 'ConfigMap', 'own', []);
      expect((await h.kube.get('v1', 'ConfigMap', `${p}-b`, 'own'))?.data).toEqual({ mine: 'yes' });
    },
  },
  {
    name: 'two sources with the same name targeting one namespace: the first keeps it, the second reports a conflict',
    run: async (h, p) => {
      await namespaces(h, `${p}-s1`, `${p}-s2`, `${p}-t`);
      await h.kube.create(configMap(`${p}-s1`, 'dup', { [T]: `${p}-t` }, { from: 's1' }));
      await h.expectStatus('v1', 'ConfigMap', `${p}-s1`, 'dup', (l) => l === 'Synced 1/1');
      await h.kube.create(configMap(`${p}-s2`, 'dup', { [T]: `${p}-t` }, { from: 's2' }));
      await h.expectStatus('v1', 'ConfigMap', `${p}-s2`, 'dup', (l) => l.includes('conflict'));
      expect((await h.kube.get('v1', 'ConfigMap', `${p}-t`, 'dup'))?.data).toEqual({ from: 's1' });
    },
  },
  {
    name: 'source re-created under the same name (new uid) adopts the existing mirror',
    run: async (h, p) => {
      await namespaces(h, `${p}-src`, `${p}-a`);
      const first = await h.kube.create(configMap(`${p}-src`, 'adopt', { [T]: `${p}-a` }, { v: '1' }));
      await h.expectMirrorsIn('v1', 'ConfigMap', 'adopt', [`${p}-a`]);
      // while the controller is down the source is deleted past its finalizer and re-created: the mirror stayed
      let second = first;
      await h.whileStopped(async () => {
        await h.kube.forceDelete('v1', 'ConfigMap', `${p}-src`, 'adopt');
        second = await h.kube.create(configMap(`${p}-src`, 'adopt', { [T]: `${p}-a` }, { v: '2' }));
      });
      expect(second.metadata.uid).not.toBe(first.metadata.uid);
      await waitFor(
        'mirror carries the new uid and data',
        () => h.kube.get('v1', 'ConfigMap', `${p}-a`, 'adopt'),
        (o) =>
          o?.metadata.annotations?.['kubemirror.io/source-uid'] === second.metadata.uid &&
          (o?.data as Record<string, string>)?.v === '2',
      );
    },
  },
  {
    name: 'Secret type change: the mirror is deleted and recreated with the new type',
    run: async (h, p) => {
      await namespaces(h, `${p}-src`, `${p}-a`);
      await h.kube.create(secret(`${p}-src`, 'typed', { [T]: `${p}-a` }, { a: 'YQ==' }));
      await h.expectMirrorsIn('v1', 'Secret', 'typed', [`${p}-a`]);
      // type is immutable on the source too: re-create the source with another type (controller down, so the
      // finalizer flow does not remove the mirror first and the live mirror really has the old type)
      await h.whileStopped(async () => {
        await h.kube.forceDelete('v1', 'Secret', `${p}-src`, 'typed');
        await h.kube.create(
          secret(
            `${p}-src`,
            'typed',
            { [T]: `${p}-a` },
            { 'tls.crt': 'Yw==', 'tls.key': 'aw==' },
            { type: 'kubernetes.io/tls' },
          ),
        );
      });
      await waitFor(
        'mirror has the new type',
        () => h.kube.get('v1', 'Secret', `${p}-a`, 'typed'),
        (o) => o?.type === 'kubernetes.io/tls',
      );
    },
  },
  {
    name: 'GitOps and Helm keys are stripped; Service clusterIP and node ports dropped',
    run: async (h, p) => {
      await namespaces(h, `${p}-src`, `${p}-a`);
      const cm = configMap(
        `${p}-src`,
        'gitops',
        { [T]: `${p}-a`, 'argocd.argoproj.io/sync-wave': '1', 'meta.helm.sh/release-name': 'r', keep: 'me' },
        { k: 'v' },
        { 'app.kubernetes.io/instance': 'x', 'helm.sh/chart': 'c', team: 't' },
      );
      await h.kube.create(cm);
      await h.kube.create({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {
          name: 'svc',
          namespace: `${p}-src`,
          labels: { [E]: 'true' },
          annotations: { [S]: 'true', [T]: `${p}-a` },
        },
        spec: {
          type: 'NodePort',
          ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }],
          selector: { app: 'x' },
        },
      });
      const m = await waitFor(
        'ConfigMap mirror',
        () => h.kube.get('v1', 'ConfigMap', `${p}-a`, 'gitops'),
        (o) => o !== null,
      );
      expect(m!.metadata.labels).toMatchObject({ team: 't' });
      expect(Object.keys(m!.metadata.labels ?? {})).not.toContain('app.kubernetes.io/instance');
      expect(Object.keys(m!.metadata.labels ?? {})).not.toContain('helm.sh/chart');
      expect(m!.metadata.annotations).toMatchObject({ keep: 'me' });
      expect(
        Object.keys(m!.metadata.annotations ?? {}).filter(
          (k) => k.startsWith('argocd') || k.startsWith('meta.helm'),
        ),
      ).toEqual([]);
      const src = await h.kube.get('v1', 'Service', `${p}-src`, 'svc');
      const svc = await waitFor(
        'Service mirror',
        () => h.kube.get('v1', 'Service', `${p}-a`, 'svc'),
        (o) => o !== null,
      );
      const spec = svc!.spec as { clusterIP?: string; ports: Array<{ nodePort?: number }> };
      expect(spec.clusterIP).toBeTruthy();
      expect(spec.clusterIP).not.toBe((src!.spec as { clusterIP: string }).clusterIP);
      expect(spec.ports[0]?.nodePort).not.toBe(30080);
    },
  },
];
