import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/types.js';
import type { SandboxCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';
import {
  bodyOf,
  decodedData,
  expectFaithfulMirror,
  expectMirrorMetadata,
  getObject,
  mirrorsOf,
  P,
  waitForMirrorsIn,
  waitForSyncStatus,
} from './mirror-assertions.js';

/**
 * Every file in examples/ applied with the real kubectl to a server with the controller running — `kubemirror
 * sandbox`, or kube-apiserver with `kubemirror run` (test/real/examples.test.ts) — the way the examples tell a
 * user to, and the mirrors checked with `kubectl get -o json`. One server for all of
 * them: each example uses its own namespaces and source names, so they coexist as they would in a cluster.
 */
let sb: SandboxCli;

const kubectl = () => sb.kubectl;

/** CRD names in a file that kubectl may need twice (its custom resources are unknown on the first run). */
const CRDS: Record<string, string> = {
  'custom-resource.yaml': 'featureflags.flags.example.com',
  'external-secret-template.yaml': 'externalsecrets.sandbox.kubemirror.io',
  'mirror-policy.yaml': 'mirrorpolicies.kubemirror.io',
};

/**
 * `kubectl apply -f examples/<file>` as the example's comment says: once, and for a file with a CRD, after the
 * CRD is Established, once more (kubectl cannot map a custom resource whose CRD it created in the same run).
 */
async function applyExample(file: string): Promise<void> {
  const first = await kubectl().run(['apply', '-f', `examples/${file}`]);
  if (first.code === 0) return;
  const crd = CRDS[file];
  if (!crd) throw new Error(`kubectl apply -f examples/${file} failed: ${first.stderr}`);
  expect(first.stderr).toMatch(/ensure CRDs are installed first/);
  await kubectl().ok(['wait', '--for', 'condition=Established', `crd/${crd}`, '--timeout=15s']);
  await kubectl().ok(['apply', '-f', `examples/${file}`]);
}

async function namespaces(): Promise<KubeObject[]> {
  return (await kubectl().json<{ items: KubeObject[] }>(['get', 'namespaces'])).items;
}

const mustGet = (m: Map<string, KubeObject>, ns: string): KubeObject => {
  const o = m.get(ns);
  if (!o) throw new Error(`no mirror in ${ns}; mirrors in: ${[...m.keys()].join(', ')}`);
  return o;
};

/** `start`: the server and controller, debug-logged so the check that no Secret value is ever logged sees all. */
export function describeExamples(where: string, start: () => Promise<SandboxCli>): void {
  describe(`examples/ on ${where}`, () => {
    beforeAll(async () => {
      sb = await start();
    }, 240_000);
    afterAll(async () => {
      await sb?.stop();
    });

    it('explicit-list.yaml: the Secret is copied into exactly the named namespaces, and into a named one created later', async () => {
      await applyExample('explicit-list.yaml');
      const source = await getObject(kubectl(), 'secret', 'platform', 'registry-credentials');
      const mirrors = await waitForMirrorsIn(kubectl(), 'secrets', 'platform', 'registry-credentials', [
        'orders',
        'payments',
      ]);
      for (const ns of ['orders', 'payments']) expectFaithfulMirror(mustGet(mirrors, ns), source);
      expect(mustGet(mirrors, 'orders').type).toBe('kubernetes.io/dockerconfigjson');

      await kubectl().ok(['create', 'namespace', 'shipping']);
      await waitForMirrorsIn(kubectl(), 'secrets', 'platform', 'registry-credentials', [
        'orders',
        'payments',
        'shipping',
      ]);
      expect(
        await waitForSyncStatus(kubectl(), 'secret', 'platform', 'registry-credentials', /^Synced 3\/3$/),
      ).toBe('Synced 3/3');
    });

    it('pattern.yaml: the ConfigMap goes to svc-* minus the !svc-legacy-* exclusion and the opted-out namespace', async () => {
      await applyExample('pattern.yaml');
      const source = await getObject(kubectl(), 'configmap', 'platform', 'logging-config');
      const mirrors = await waitForMirrorsIn(kubectl(), 'configmaps', 'platform', 'logging-config', [
        'svc-checkout',
        'svc-search',
      ]);
      for (const m of mirrors.values()) expectFaithfulMirror(m, source);
      expect(mustGet(mirrors, 'svc-search').data).toEqual(source.data);
    });

    it('all.yaml: the ConfigMap goes to every namespace but its own, the opted-out ones and the system ones', async () => {
      await applyExample('all.yaml');
      const source = await getObject(kubectl(), 'configmap', 'platform', 'org-defaults');
      const system = ['kube-system', 'kube-public', 'kube-node-lease'];
      const expected = (await namespaces())
        .filter((n) => n.metadata.labels?.[`${P}/allow-mirrors`] !== 'false')
        .map((n) => n.metadata.name)
        .filter((n) => n !== 'platform' && !system.includes(n));
      expect(expected).toEqual(expect.arrayContaining(['frontend', 'batch-jobs', 'default', 'orders']));
      expect(expected).not.toContain('experiments');
      const mirrors = await waitForMirrorsIn(kubectl(), 'configmaps', 'platform', 'org-defaults', expected);
      expectFaithfulMirror(mustGet(mirrors, 'frontend'), source);
      expectFaithfulMirror(mustGet(mirrors, 'default'), source);
      await waitForSyncStatus(
        kubectl(),
        'configmap',
        'platform',
        'org-defaults',
        new RegExp(`^Synced ${expected.length}/${expected.length}$`),
      );
    });

    it('all-labeled.yaml: the TLS Secret goes only to namespaces labelled allow-mirrors=true', async () => {
      await applyExample('all-labeled.yaml');
      const source = await getObject(kubectl(), 'secret', 'platform', 'wildcard-tls');
      const mirrors = await waitForMirrorsIn(kubectl(), 'secrets', 'platform', 'wildcard-tls', [
        'edge-eu',
        'edge-us',
      ]);
      for (const m of mirrors.values()) expectFaithfulMirror(m, source);
      expect(mustGet(mirrors, 'edge-eu').type).toBe('kubernetes.io/tls');

      // as the comment says: opting `internal` in adds a copy, removing the label deletes it again
      await kubectl().ok(['label', 'ns', 'internal', `${P}/allow-mirrors=true`]);
      await waitForMirrorsIn(kubectl(), 'secrets', 'platform', 'wildcard-tls', [
        'edge-eu',
        'edge-us',
        'internal',
      ]);
      await kubectl().ok(['label', 'ns', 'internal', `${P}/allow-mirrors-`]);
      await waitForMirrorsIn(kubectl(), 'secrets', 'platform', 'wildcard-tls', ['edge-eu', 'edge-us']);
    });

    it('namespace-selector.yaml: the ConfigMap goes to namespaces matching the selector, plus the named one', async () => {
      await applyExample('namespace-selector.yaml');
      const source = await getObject(kubectl(), 'configmap', 'platform', 'payment-limits');
      const mirrors = await waitForMirrorsIn(kubectl(), 'configmaps', 'platform', 'payment-limits', [
        'payments-audit',
        'payments-prod',
        'payments-staging',
      ]);
      for (const m of mirrors.values()) expectFaithfulMirror(m, source);

      // as the comment says: relabel a namespace and its copy follows
      await kubectl().ok(['label', 'ns', 'payments-dev', 'env=staging', '--overwrite']);
      await waitForMirrorsIn(kubectl(), 'configmaps', 'platform', 'payment-limits', [
        'payments-audit',
        'payments-dev',
        'payments-prod',
        'payments-staging',
      ]);
    });

    it('custom-resource.yaml: a custom resource of a CRD created at run time is mirrored, and restored when deleted', async () => {
      await applyExample('custom-resource.yaml');
      const source = await getObject(kubectl(), 'featureflags', 'platform', 'checkout-flags');
      const mirrors = await waitForMirrorsIn(
        kubectl(),
        'featureflags',
        'platform',
        'checkout-flags',
        ['storefront-eu', 'storefront-us'],
        30_000,
      );
      for (const m of mirrors.values()) expectFaithfulMirror(m, source, ['app.kubernetes.io/instance']);
      expect(mustGet(mirrors, 'storefront-eu').spec).toEqual({
        flags: { 'one-click-checkout': true, 'new-payment-page': false },
        rollout: { percent: 25, stickiness: 'userId' },
      });

      const before = mustGet(mirrors, 'storefront-us').metadata.uid;
      await kubectl().ok(['delete', 'featureflags', 'checkout-flags', '-n', 'storefront-us']);
      const restored = await waitFor(
        'the deleted FeatureFlags mirror in storefront-us to come back',
        async () =>
          (await mirrorsOf(kubectl(), 'featureflags', 'platform', 'checkout-flags')).get('storefront-us'),
        (m) => m !== undefined && m.metadata.uid !== before,
        { timeoutMs: 15_000, intervalMs: 200 },
      );
      expectFaithfulMirror(restored!, source, ['app.kubernetes.io/instance']);
    });

    it('external-secret-template.yaml: the Secret made from the template is mirrored into billing-*, the ExternalSecret is not', async () => {
      await applyExample('external-secret-template.yaml');
      const source = await getObject(kubectl(), 'secret', 'secrets', 'stripe-api-key');
      const mirrors = await waitForMirrorsIn(kubectl(), 'secrets', 'secrets', 'stripe-api-key', [
        'billing-api',
        'billing-worker',
      ]);
      for (const m of mirrors.values()) expectFaithfulMirror(m, source);
      const externalSecrets = await kubectl().json<{ items: KubeObject[] }>(['get', 'externalsecrets', '-A']);
      expect(externalSecrets.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
        'secrets/stripe-api-key',
      ]);
    });

    it('transform-configmap.yaml: each app-* namespace gets its own values', async () => {
      await applyExample('transform-configmap.yaml');
      const source = await getObject(kubectl(), 'configmap', 'platform', 'app-settings');
      const mirrors = await waitForMirrorsIn(kubectl(), 'configmaps', 'platform', 'app-settings', [
        'app-dev',
        'app-prod',
        'app-staging',
      ]);
      for (const m of mirrors.values()) expectMirrorMetadata(m, source);
      expect(mustGet(mirrors, 'app-dev').data).toEqual({
        ENVIRONMENT: 'DEV',
        'api.url': 'https://api.dev.example.com',
        LOG_LEVEL: 'debug',
        DEBUG_TOKEN: 'not-for-production',
        'settings.json': '{"currency": "EUR"}\n',
      });
      expect(mustGet(mirrors, 'app-prod').data).toEqual({
        ENVIRONMENT: 'PROD',
        'api.url': 'https://api.prod.example.com',
        LOG_LEVEL: 'warn',
        'settings.json': '{"currency": "EUR"}\n',
      });
      expect(mustGet(mirrors, 'app-staging').metadata.labels).toMatchObject({
        team: 'unowned',
        'mirrored-from': 'platform',
      });
      expect(mustGet(mirrors, 'app-prod').metadata.labels).toMatchObject({ team: 'checkout', app: 'shop' });
    });

    it('transform-secret.yaml: each team namespace gets its own connection values, base64-encoded', async () => {
      await applyExample('transform-secret.yaml');
      const source = await getObject(kubectl(), 'secret', 'platform', 'db-credentials');
      const mirrors = await waitForMirrorsIn(kubectl(), 'secrets', 'platform', 'db-credentials', [
        'team-a',
        'team-b',
      ]);
      for (const m of mirrors.values()) expectMirrorMetadata(m, source);
      const a = decodedData(mustGet(mirrors, 'team-a'));
      const b = decodedData(mustGet(mirrors, 'team-b'));
      // only the values the transform writes are compared in clear; the passwords by equality
      expect({
        host: a.host,
        database: a.database,
        sslmode: a.sslmode,
        owner: a.owner,
        username: a.username,
      }).toEqual({
        host: 'postgres.team-a.svc.cluster.local',
        database: 'team_a',
        sslmode: 'require',
        owner: 'alice',
        username: 'app',
      });
      expect(b.owner).toBe('bob');
      expect(Object.keys(a).sort()).toEqual(['database', 'host', 'owner', 'password', 'sslmode', 'username']);
      expect(a.password === decodedData(source).password).toBe(true);
      expect(mustGet(mirrors, 'team-a').metadata.annotations?.['example.com/rotation']).toBe('vault');
    });

    it('transform-deployment.yaml: each shop-* namespace gets its own replicas, image and containers', async () => {
      await applyExample('transform-deployment.yaml');
      const source = await getObject(kubectl(), 'deployment', 'platform', 'web');
      const mirrors = await waitForMirrorsIn(kubectl(), 'deployments', 'platform', 'web', [
        'shop-dev',
        'shop-prod-eu',
        'shop-prod-us',
      ]);
      for (const m of mirrors.values()) expectMirrorMetadata(m, source);
      type Spec = {
        replicas: number;
        template: {
          spec: {
            containers: Array<{ name: string; image: string; env?: Array<{ value: string }> }>;
            nodeSelector?: Record<string, string>;
          };
        };
      };
      const us = mustGet(mirrors, 'shop-prod-us').spec as Spec;
      expect(us.replicas).toBe(3);
      expect(us.template.spec.containers.map((c) => c.name)).toEqual(['web']);
      expect(us.template.spec.containers[0]!.image).toBe('registry.us.example.com/web:1.4.2');
      expect(us.template.spec.containers[0]!.env?.[1]?.value).toBe('us');
      expect(us.template.spec.nodeSelector).toEqual({ 'topology.kubernetes.io/region': 'us' });
      const dev = mustGet(mirrors, 'shop-dev').spec as Spec;
      expect(dev.replicas).toBe(1);
      expect(dev.template.spec.containers.map((c) => c.name)).toEqual(['web', 'debug']);
      expect(dev.template.spec.containers[0]!.image).toBe('registry.eu.example.com/web:1.4.2');
    });

    it('mirror-policy.yaml: the operator-made Secret and the chart ConfigMap are mirrored by the policy, never written, and go with it', async () => {
      // as the example says: the CRD first (the chart and deploy/ install it), then the example
      await kubectl().ok(['apply', '-f', 'deploy/crds/mirrorpolicies.kubemirror.io.yaml']);
      await kubectl().ok([
        'wait',
        '--for',
        'condition=Established',
        'crd/mirrorpolicies.kubemirror.io',
        '--timeout=15s',
      ]);
      await applyExample('mirror-policy.yaml');
      const targets = ['analytics', 'squad-orders', 'squad-search'];
      const secret = await getObject(kubectl(), 'secret', 'databases', 'app-pg-app');
      const configMap = await getObject(kubectl(), 'configmap', 'databases', 'pg-endpoints');
      for (const [resource, source] of [
        ['secrets', secret],
        ['configmaps', configMap],
      ] as const) {
        const mirrors = await waitForMirrorsIn(
          kubectl(),
          resource,
          'databases',
          source.metadata.name,
          targets,
          40_000,
        );
        for (const ns of targets) {
          const m = mustGet(mirrors, ns);
          expectMirrorMetadata(m, source);
          expect(m.metadata.annotations?.[`${P}/policy`]).toBe('pg-credentials');
          expect(m.metadata.labels?.['example.com/copy-in']).toBe(ns);
          expect(bodyOf(m)).toEqual(bodyOf(source));
        }
      }
      type Status = { conditions?: Array<{ type: string; status: string; message: string }>; level?: string };
      const status = await waitFor(
        'MirrorPolicy pg-credentials Ready',
        async () =>
          ((await getObject(kubectl(), 'mirrorpolicy', 'databases', 'pg-credentials')).status ??
            {}) as Status,
        (s) => s.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true,
        { timeoutMs: 20_000, intervalMs: 200 },
      );
      expect(status.conditions?.find((c) => c.type === 'Ready')?.message).toBe('Synced 6/6');
      expect(status.level).toBe('Full');
      // the selected objects are as their makers left them
      const after = await getObject(kubectl(), 'secret', 'databases', 'app-pg-app');
      expect(after.metadata.resourceVersion).toBe(secret.metadata.resourceVersion);
      expect(Object.keys(after.metadata.annotations ?? {}).filter((k) => k.startsWith(`${P}/`))).toEqual([]);

      await kubectl().ok(['delete', 'mirrorpolicy', 'pg-credentials', '-n', 'databases', '--wait=true']);
      await waitForMirrorsIn(kubectl(), 'secrets', 'databases', 'app-pg-app', []);
      await waitForMirrorsIn(kubectl(), 'configmaps', 'databases', 'pg-endpoints', []);
    });

    it('the controller stops on SIGTERM with exit code 0, and no fake Secret value ever reached its output', async () => {
      expect(await sb.stop()).toEqual({ code: 0, signal: null });
      const output = `${sb.process.lines.join('\n')}\n${sb.process.stderr()}`;
      expect(output).toMatch(/mirror created/); // the debug log was captured at all
      const values = [
        'not-a-real-password',
        'sk_test_not_a_real_key',
        'example-only-not-a-real-password',
        'example-only-admin',
        'example-only-pg-password',
      ];
      const leaked = values.filter(
        (v) => output.includes(v) || output.includes(Buffer.from(v).toString('base64')),
      );
      expect(leaked).toEqual([]);
    });
  });
}
