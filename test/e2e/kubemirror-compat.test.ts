import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/types.js';
import { type SandboxCli, startSandboxCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';
import { bodyOf, decodedData } from './mirror-assertions.js';

/**
 * Every example of KubeMirror's README (examples/kubemirror-compat/, keys and Go templates unchanged) applied
 * with the real kubectl to `kubemirror sandbox --annotation-prefix kubemirror.raczylo.com`, as a KubeMirror user
 * switching over would, and the mirrors checked with `kubectl get -o json`. The namespaces are created first, so
 * every glob's target set is fixed while the examples are applied.
 */
const P = 'kubemirror.raczylo.com';
const DIR = 'examples/kubemirror-compat';
const SYSTEM = ['kube-system', 'kube-public', 'kube-node-lease'];

let sb: SandboxCli;
const kubectl = () => sb.kubectl;

beforeAll(async () => {
  sb = await startSandboxCli(
    ['--annotation-prefix', P, '--discovery-interval', '2s', '--resync-period', '30s'],
    {
      logLevel: 'debug',
    },
  );
  await kubectl().ok(['apply', '-f', `${DIR}/namespaces.yaml`, '-f', `${DIR}/sandbox-crds.yaml`]);
  await kubectl().ok([
    'wait',
    '--for',
    'condition=Established',
    'crd/middlewares.traefik.io',
    'crd/externalsecrets.external-secrets.io',
    '--timeout=15s',
  ]);
});
afterAll(async () => {
  await sb?.stop();
});

const apply = (file: string) => kubectl().ok(['apply', '-f', `${DIR}/${file}`]);

/** The mirrors of default/<name> by namespace, found by KubeMirror's own label, as its README's verification does. */
async function mirrorsOf(resource: string, name: string): Promise<Map<string, KubeObject>> {
  const list = await kubectl().json<{ items: KubeObject[] }>([
    'get',
    resource,
    '--all-namespaces',
    '-l',
    `${P}/mirror=true`,
  ]);
  const out = new Map<string, KubeObject>();
  for (const o of list.items) {
    const a = o.metadata.annotations ?? {};
    if (o.metadata.name === name && a[`${P}/source-namespace`] === 'default')
      out.set(o.metadata.namespace ?? '', o);
  }
  return out;
}

async function waitForMirrors(
  resource: string,
  name: string,
  namespaces: string[],
  timeoutMs = 20_000,
): Promise<Map<string, KubeObject>> {
  const want = JSON.stringify([...namespaces].sort());
  await waitFor(
    `${resource} default/${name} mirrored into exactly ${want}`,
    async () => JSON.stringify([...(await mirrorsOf(resource, name)).keys()].sort()),
    (got) => got === want,
    { timeoutMs, intervalMs: 200 },
  );
  return mirrorsOf(resource, name);
}

const source = (resource: string, name: string) =>
  kubectl().json<KubeObject>(['get', resource, name, '-n', 'default']);

/** The README's own check: `kubectl get ... -o jsonpath='{.metadata.annotations.kubemirror\.raczylo\.com/sync-status}'`. */
async function waitForSyncStatus(resource: string, name: string, want: RegExp): Promise<string> {
  return waitFor(
    `${resource} default/${name} sync-status matching ${want}`,
    () =>
      kubectl().ok([
        'get',
        resource,
        name,
        '-n',
        'default',
        '-o',
        String.raw`jsonpath={.metadata.annotations.kubemirror\.raczylo\.com/sync-status}`,
      ]),
    (s) => want.test(s),
    { timeoutMs: 15_000, intervalMs: 200 },
  );
}

/** KubeMirror's keys on the mirror: its labels and source annotations under its prefix, none of the source's. */
function expectMirrorOf(mirror: KubeObject, src: KubeObject): void {
  const labels = mirror.metadata.labels ?? {};
  const annotations = mirror.metadata.annotations ?? {};
  expect(labels[`${P}/mirror`]).toBe('true');
  expect(labels[`${P}/managed-by`]).toBe('kubemirror');
  expect(labels).not.toHaveProperty(`${P}/enabled`);
  expect(annotations[`${P}/source-name`]).toBe(src.metadata.name);
  expect(annotations[`${P}/source-uid`]).toBe(src.metadata.uid);
  expect(annotations).not.toHaveProperty(`${P}/sync`);
  expect(annotations).not.toHaveProperty(`${P}/target-namespaces`);
  expect(annotations).not.toHaveProperty(`${P}/transform`);
  expect(mirror.metadata.ownerReferences ?? []).toEqual([]);
}

const must = (m: Map<string, KubeObject>, ns: string): KubeObject => {
  const o = m.get(ns);
  if (!o) throw new Error(`no mirror in ${ns}; mirrors in: ${[...m.keys()].join(', ')}`);
  return o;
};

async function everyNamespaceBut(...excluded: string[]): Promise<string[]> {
  const list = await kubectl().json<{ items: KubeObject[] }>(['get', 'namespaces']);
  return list.items.map((n) => n.metadata.name).filter((n) => !excluded.includes(n) && !SYSTEM.includes(n));
}

describe("KubeMirror's README examples, with --annotation-prefix kubemirror.raczylo.com", () => {
  it('secret-specific-namespaces.yaml: the Secret is copied into app1, app2 and app3, byte for byte', async () => {
    await apply('secret-specific-namespaces.yaml');
    const src = await source('secret', 'database-credentials');
    const mirrors = await waitForMirrors('secrets', 'database-credentials', ['app1', 'app2', 'app3']);
    for (const m of mirrors.values()) {
      expectMirrorOf(m, src);
      expect(bodyOf(m)).toEqual(bodyOf(src));
    }
    expect(await waitForSyncStatus('secret', 'database-credentials', /^Synced 3\/3$/)).toBe('Synced 3/3');
  });

  it('configmap-pattern.yaml: app-*,prod-* reaches app-frontend, app-backend and prod-eu', async () => {
    await apply('configmap-pattern.yaml');
    const src = await source('configmap', 'common-config');
    const mirrors = await waitForMirrors('configmaps', 'common-config', [
      'app-backend',
      'app-frontend',
      'prod-eu',
    ]);
    for (const m of mirrors.values()) expectMirrorOf(m, src);
    expect(must(mirrors, 'prod-eu').data).toEqual({ log_level: 'info', api_url: 'https://api.example.com' });
  });

  it('configmap-all.yaml: `all` reaches every namespace but the source and the system ones', async () => {
    await apply('configmap-all.yaml');
    const src = await source('configmap', 'global-config');
    const expected = await everyNamespaceBut('default');
    expect(expected).toEqual(expect.arrayContaining(['app1', 'my-app-1', 'web-staging']));
    const mirrors = await waitForMirrors('configmaps', 'global-config', expected);
    expect(must(mirrors, 'app1').data).toEqual({ cluster_name: 'production', region: 'us-west-2' });
    expectMirrorOf(must(mirrors, 'my-app-2'), src);
  });

  it('secret-all-labeled.yaml: `all-labeled` reaches only the namespaces labelled kubemirror.raczylo.com/allow-mirrors', async () => {
    await apply('secret-all-labeled.yaml');
    const src = await source('secret', 'shared-tls-cert');
    const mirrors = await waitForMirrors('secrets', 'shared-tls-cert', ['my-app-1', 'my-app-2']);
    for (const m of mirrors.values()) {
      expectMirrorOf(m, src);
      expect(bodyOf(m)).toEqual(bodyOf(src));
    }
    expect(must(mirrors, 'my-app-1').type).toBe('kubernetes.io/tls');
  });

  it('middleware-crd.yaml: the Traefik Middleware is copied into app-*', async () => {
    await apply('middleware-crd.yaml');
    const src = await source('middlewares.traefik.io', 'compression');
    const mirrors = await waitForMirrors(
      'middlewares.traefik.io',
      'compression',
      ['app-backend', 'app-frontend'],
      30_000,
    );
    for (const m of mirrors.values()) expectMirrorOf(m, src);
    expect(must(mirrors, 'app-frontend').spec).toEqual({
      compress: { excludedContentTypes: ['text/event-stream'] },
    });
  });

  it('externalsecret-dockerconfig.yaml: the Secret made from the template goes everywhere, the ExternalSecret nowhere', async () => {
    await apply('externalsecret-dockerconfig.yaml');
    const src = await source('secret', 'multi-registry-secret');
    const expected = await everyNamespaceBut('default');
    const mirrors = await waitForMirrors('secrets', 'multi-registry-secret', expected);
    for (const m of mirrors.values()) {
      expectMirrorOf(m, src);
      expect(bodyOf(m)).toEqual(bodyOf(src));
    }
    // the README's verification: `kubectl get secrets --all-namespaces -l kubemirror.raczylo.com/mirror=true`
    const out = await kubectl().ok(['get', 'secrets', '--all-namespaces', '-l', `${P}/mirror=true`]);
    expect(out).toMatch(/app1\s+multi-registry-secret\s+kubernetes.io\/dockerconfigjson/);
    const es = await kubectl().json<{ items: KubeObject[] }>(['get', 'externalsecrets', '--all-namespaces']);
    expect(es.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'default/1p-docker-config',
    ]);
    await waitForSyncStatus(
      'secret',
      'multi-registry-secret',
      new RegExp(`^Synced ${expected.length}/${expected.length}$`),
    );
  });

  it('transform-basic.yaml: each dev-*/staging-*/prod-* copy gets its own API_URL from the Go template', async () => {
    await apply('transform-basic.yaml');
    const src = await source('configmap', 'app-config');
    const mirrors = await waitForMirrors('configmaps', 'app-config', ['dev-team', 'prod-eu', 'staging-eu']);
    for (const [ns, m] of mirrors) {
      expectMirrorOf(m, src);
      expect(m.data).toEqual({ LOG_LEVEL: 'error', API_URL: `https://${ns}.api.example.com` });
      expect(m.metadata.labels?.environment).toBe('production');
    }
    expect(await waitForSyncStatus('configmap', 'app-config', /^Synced 3\/3/)).toBe('Synced 3/3');
  });

  it('transform-array-indexing.yaml: image, env[1] and volumes[0] are templated per namespace', async () => {
    await apply('transform-array-indexing.yaml');
    const src = await source('deployment', 'app');
    const mirrors = await waitForMirrors('deployments', 'app', ['app-backend', 'app-frontend']);
    type Spec = {
      template: {
        spec: {
          containers: Array<{ image: string; env: Array<{ name: string; value: string }> }>;
          volumes: Array<{ configMap: { name: string } }>;
        };
      };
    };
    for (const [ns, m] of mirrors) {
      expectMirrorOf(m, src);
      const spec = (m.spec as Spec).template.spec;
      expect(spec.containers[0]!.image).toBe(`registry.${ns}.example.com/app:v1`);
      expect(spec.containers[0]!.env).toEqual([
        { name: 'LOG_LEVEL', value: 'info' },
        { name: 'DATABASE_URL', value: `postgres://${ns}-db.svc:5432` },
      ]);
      expect(spec.volumes[0]!.configMap.name).toBe(`${ns}-config`);
    }
  });

  it('transform-namespace-patterns.yaml: rules apply per namespacePattern; no pattern and "" apply everywhere', async () => {
    await apply('transform-namespace-patterns.yaml');
    const src = await source('configmap', 'graphql-config');
    const targets = ['preprod-web', 'prod-eu', 'web-staging'];
    const mirrors = await waitForMirrors('configmaps', 'graphql-config', targets);
    for (const m of mirrors.values()) expectMirrorOf(m, src);
    expect(must(mirrors, 'preprod-web').data).toEqual({
      APP_NAME: 'my-app',
      GRAPHQL_HOST: 'https://preprod.example.com/v1/graphql',
      LOG_LEVEL: 'info',
    });
    expect(must(mirrors, 'prod-eu').data).toEqual({
      APP_NAME: 'my-app',
      GRAPHQL_HOST: 'https://api.example.com/v1/graphql',
      LOG_LEVEL: 'info',
    });
    expect(must(mirrors, 'web-staging').data).toEqual({ APP_NAME: 'my-app', LOG_LEVEL: 'warn' });
    const empty = await waitForMirrors('configmaps', 'empty-pattern-config', targets);
    for (const m of empty.values()) expect(m.data).toEqual({ EVERYWHERE: 'yes' });
  });

  it('transform-strict.yaml: the strict rule is applied', async () => {
    await apply('transform-strict.yaml');
    const src = await source('configmap', 'critical-config');
    const mirrors = await waitForMirrors('configmaps', 'critical-config', ['app1']);
    expectMirrorOf(must(mirrors, 'app1'), src);
    expect(must(mirrors, 'app1').data).toEqual({ SETTING: 'on', CRITICAL_VALUE: 'must-succeed' });
    expect(await waitForSyncStatus('configmap', 'critical-config', /^Synced 1\/1$/)).toBe('Synced 1/1');
  });

  it('transform-secret-security.yaml: admin credentials are removed, DB_HOST is templated and base64-encoded', async () => {
    await apply('transform-secret-security.yaml');
    const src = await source('secret', 'app-credentials');
    const mirrors = await waitForMirrors('secrets', 'app-credentials', ['app-backend', 'app-frontend']);
    for (const [ns, m] of mirrors) {
      expectMirrorOf(m, src);
      const data = decodedData(m);
      expect(Object.keys(data).sort()).toEqual(['APP_KEY', 'DB_HOST']);
      expect(data.DB_HOST).toBe(`${ns}.postgres.svc.cluster.local`);
      expect(data.APP_KEY === decodedData(src).APP_KEY).toBe(true);
    }
  });

  it('no transform rule was skipped, and no example Secret value reached the controller output', async () => {
    expect(await sb.stop()).toEqual({ code: 0, signal: null });
    const output = `${sb.process.lines.join('\n')}\n${sb.process.stderr()}`;
    expect(output).toMatch(/mirror created/);
    expect(output).not.toMatch(/rules? skipped|TransformFailed/);
    const values = [
      'super-secret',
      'root-token-xyz',
      'app-key-12345',
      'example-only-not-a-real-token',
      'cGFzc3dvcmQ=',
    ];
    expect(
      values.filter((v) => output.includes(v) || output.includes(Buffer.from(v).toString('base64'))),
    ).toEqual([]);
  });
});
