import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { planCommand } from '../../src/cli/plan-command.js';
import type { KubeObject } from '../../src/core/types.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** planned mirrors by target namespace */
  mirrors: Map<string, KubeObject>;
}

async function plan(...argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await planCommand(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  const mirrors = new Map<string, KubeObject>();
  for (const doc of parseAllDocuments(stdout) as unknown as Array<{ toJS(): KubeObject | null }>) {
    const m = doc.toJS();
    if (m?.metadata?.namespace) mirrors.set(m.metadata.namespace, m);
  }
  return { code, stdout, stderr, mirrors };
}

const get = (r: Run, ns: string): KubeObject => {
  const m = r.mirrors.get(ns);
  if (!m) throw new Error(`no mirror planned for ${ns}; planned: ${[...r.mirrors.keys()].join(', ')}`);
  return m;
};
const dataOf = (m: KubeObject) => m.data as Record<string, string>;
const decoded = (m: KubeObject) =>
  Object.fromEntries(
    Object.entries(dataOf(m)).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubemirror-plan-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function variant(example: string, edit: (text: string) => string): Promise<string> {
  const text = await readFile(`examples/${example}`, 'utf8');
  const edited = edit(text);
  expect(edited).not.toBe(text);
  const file = join(dir, `${Math.random().toString(36).slice(2)}-${example}`);
  await writeFile(file, edited);
  return file;
}

describe('examples/transform-configmap.yaml', () => {
  it('plans one mirror per app-* namespace with per-namespace values', async () => {
    const r = await plan('-f', 'examples/transform-configmap.yaml');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect([...r.mirrors.keys()]).toEqual(['app-dev', 'app-prod', 'app-staging']);
    expect(dataOf(get(r, 'app-dev'))).toEqual({
      ENVIRONMENT: 'DEV',
      'api.url': 'https://api.dev.example.com',
      LOG_LEVEL: 'debug',
      DEBUG_TOKEN: 'not-for-production',
      'settings.json': '{"currency": "EUR"}\n',
    });
    expect(dataOf(get(r, 'app-prod'))).toEqual({
      ENVIRONMENT: 'PROD',
      'api.url': 'https://api.prod.example.com',
      LOG_LEVEL: 'warn',
      'settings.json': '{"currency": "EUR"}\n',
    });
    expect(dataOf(get(r, 'app-staging'))).toMatchObject({ ENVIRONMENT: 'STAGING', LOG_LEVEL: 'info' });
    expect(dataOf(get(r, 'app-staging'))).not.toHaveProperty('DEBUG_TOKEN');
  });

  it('takes template data from the target namespace labels, including --namespace-labels', async () => {
    const r = await plan('-f', 'examples/transform-configmap.yaml');
    expect(get(r, 'app-dev').metadata.labels).toMatchObject({
      team: 'checkout',
      'mirrored-from': 'platform',
    });
    expect(get(r, 'app-staging').metadata.labels).toMatchObject({ team: 'unowned' });

    const relabelled = await plan(
      '-f',
      'examples/transform-configmap.yaml',
      '--namespace-labels',
      'app-staging=team=search,app-staging=env=qa',
    );
    expect(relabelled.code).toBe(0);
    expect(get(relabelled, 'app-staging').metadata.labels).toMatchObject({ team: 'search' });
    expect(dataOf(get(relabelled, 'app-staging')).ENVIRONMENT).toBe('QA');
  });

  it('adds namespaces given with --namespace, matched by the source pattern', async () => {
    const r = await plan('-f', 'examples/transform-configmap.yaml', '--namespace', 'app-new', '-n', 'other');
    expect([...r.mirrors.keys()]).toEqual(['app-dev', 'app-new', 'app-prod', 'app-staging']);
    expect(dataOf(get(r, 'app-new'))).toMatchObject({
      ENVIRONMENT: '',
      'api.url': 'https://api.new.example.com',
    });
  });

  it('prints the mirror metadata the controller writes, never the source P/* keys', async () => {
    const m = get(await plan('-f', 'examples/transform-configmap.yaml'), 'app-prod');
    expect(m.metadata.labels).toMatchObject({
      'kubemirror.io/mirror': 'true',
      'kubemirror.io/managed-by': 'kubemirror',
    });
    expect(m.metadata.labels).not.toHaveProperty('kubemirror.io/enabled');
    expect(m.metadata.annotations).toMatchObject({
      'kubemirror.io/source-namespace': 'platform',
      'kubemirror.io/source-name': 'app-settings',
    });
    expect(m.metadata.annotations).not.toHaveProperty('kubemirror.io/transform');
    expect(m.metadata.annotations?.['kubemirror.io/source-content-hash']).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('examples/transform-secret.yaml', () => {
  it('plans base64-encoded data as stored, transformed per namespace', async () => {
    const r = await plan('-f', 'examples/transform-secret.yaml');
    expect(r.code).toBe(0);
    expect([...r.mirrors.keys()]).toEqual(['team-a', 'team-b']);
    for (const [ns, owner] of [
      ['team-a', 'alice'],
      ['team-b', 'bob'],
    ] as const) {
      const m = get(r, ns);
      for (const v of Object.values(dataOf(m))) expect(v).toMatch(/^[A-Za-z0-9+/]*={0,2}$/);
      expect(m).not.toHaveProperty('stringData');
      expect(decoded(m)).toEqual({
        username: 'app',
        password: 'example-only-not-a-real-password',
        host: `postgres.${ns}.svc.cluster.local`,
        database: ns.replace('-', '_'),
        sslmode: 'require',
        owner,
      });
      expect(m.metadata.annotations).toMatchObject({ 'example.com/rotation': 'vault' });
    }
  });

  it('strict mode: a failing rule fails that target with the rule index and path, exit 1', async () => {
    const file = await variant('transform-secret.yaml', (t) =>
      t.replace('path: data.owner', 'path: data.owner.name'),
    );
    const r = await plan('-f', file);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /team-a: transform rules\[2\] \(path data\.owner\.name\): .*strict mode: this target fails/,
    );
    expect(r.stderr).toMatch(/team-b: transform rules\[2\]/);
  });

  it('non-strict: the same rule is skipped with a warning and the rest applied', async () => {
    const file = await variant('transform-secret.yaml', (t) =>
      t
        .replace('path: data.owner', 'path: data.owner.name')
        .replace('kubemirror.io/transform-strict: "true"', 'kubemirror.io/transform-strict: "false"'),
    );
    const r = await plan('-f', file);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: .*team-a: transform rules\[2\] \(path data\.owner\.name\) skipped/);
    expect(decoded(get(r, 'team-a'))).toMatchObject({ host: 'postgres.team-a.svc.cluster.local' });
    expect(decoded(get(r, 'team-a'))).not.toHaveProperty('owner');
  });
});

describe('examples/transform-deployment.yaml', () => {
  type Container = {
    name: string;
    image: string;
    env: Array<{ name: string; value: string }>;
    resources: unknown;
  };
  const podSpec = (m: KubeObject) =>
    (m.spec as { template: { spec: { containers: Container[]; nodeSelector?: Record<string, string> } } })
      .template.spec;

  it('plans per-namespace replicas, images, env and node selectors through array indexes', async () => {
    const r = await plan('-f', 'examples/transform-deployment.yaml');
    expect(r.code).toBe(0);
    expect([...r.mirrors.keys()]).toEqual(['shop-dev', 'shop-prod-eu', 'shop-prod-us']);

    const dev = get(r, 'shop-dev');
    expect((dev.spec as { replicas: number }).replicas).toBe(1);
    expect(podSpec(dev).containers.map((c) => c.name)).toEqual(['web', 'debug']);
    expect(podSpec(dev).containers[0]!.image).toBe('registry.eu.example.com/web:1.4.2');
    expect(podSpec(dev).nodeSelector).toBeUndefined();

    for (const region of ['eu', 'us']) {
      const m = get(r, `shop-prod-${region}`);
      expect((m.spec as { replicas: number }).replicas).toBe(3);
      const spec = podSpec(m);
      expect(spec.containers.map((c) => c.name)).toEqual(['web']);
      expect(spec.containers[0]!.image).toBe(`registry.${region}.example.com/web:1.4.2`);
      expect(spec.containers[0]!.env).toEqual([
        { name: 'APP', value: 'web' },
        { name: 'REGION', value: region },
      ]);
      expect(spec.containers[0]!.resources).toEqual({ limits: { cpu: '500m', memory: '512Mi' } });
      expect(spec.nodeSelector).toEqual({ 'topology.kubernetes.io/region': region });
    }
  });
});

describe('errors and usage', () => {
  it('reports every transform validation error at once, exit 1, nothing printed', async () => {
    const file = await variant('transform-configmap.yaml', (t) =>
      t
        .replace('path: data.ENVIRONMENT', 'path: metadata.name')
        .replace('value: debug', 'value: debug\n          delete: true')
        .replace('{{upper TargetLabels.env}}', '{{shout TargetLabels.env}}'),
    );
    const r = await plan('-f', file);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/rules\[0\]: template: 1:3: function "shout" not defined/);
    expect(r.stderr).toMatch(/rules\[0\]: path metadata.name is forbidden/);
    expect(r.stderr).toMatch(
      /rules\[2\]: needs exactly one of value, template, merge, delete; found value, delete/,
    );
  });

  it('reports invalid targeting', async () => {
    const file = await variant('transform-configmap.yaml', (t) => t.replace('"app-*"', '"App_Bad"'));
    const r = await plan('-f', file);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/invalid namespace name "App_Bad"/);
  });

  it('refuses Secret types that are never mirrored', async () => {
    const file = await variant('transform-secret.yaml', (t) =>
      t.replace('type: Opaque', 'type: helm.sh/release.v1'),
    );
    const r = await plan('-f', file);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/never mirrored/);
  });

  it('warns, but still plans, when the source is not labelled for sync yet', async () => {
    const file = await variant('transform-configmap.yaml', (t) =>
      t.replace('kubemirror.io/sync: "true"', 'x: y'),
    );
    const r = await plan('-f', file);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: .*mirroring is not on yet/);
    expect(r.mirrors.size).toBe(3);
  });

  it('needs namespaces from the file or --namespace', async () => {
    const file = await variant('transform-deployment.yaml', (t) =>
      t.replace(/^apiVersion: v1\nkind: Namespace\n[\s\S]*?---\n/gm, ''),
    );
    const r = await plan('-f', file);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no namespaces/);
    const ok = await plan(
      '-f',
      file,
      '--namespace',
      'shop-prod-x',
      '--namespace-labels',
      'shop-prod-x=region=ap',
    );
    expect(ok.code).toBe(0);
    expect(podSpec2(get(ok, 'shop-prod-x')).containers[0]!.image).toBe('registry.ap.example.com/web:1.4.2');
  });

  it.each([
    [[], 2, /-f <source.yaml> is required/],
    [['-f', 'x.yaml', '--bogus'], 2, /unknown flag --bogus/],
    [['-f', 'does-not-exist.yaml'], 1, /cannot read does-not-exist.yaml/],
    [
      ['-f', 'examples/transform-configmap.yaml', '--namespace-labels', 'nokey'],
      1,
      /expected namespace=key=value/,
    ],
    [
      ['-f', 'examples/transform-configmap.yaml', '--namespace-labels', 'a=bad key=v'],
      1,
      /--namespace-labels/,
    ],
  ])('%j exits %i', async (argv, code, message) => {
    const r = await plan(...(argv as string[]));
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
  });

  it('prints usage with --help', async () => {
    const r = await plan('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: kubemirror plan/);
  });
});

function podSpec2(m: KubeObject) {
  return (m.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec;
}
