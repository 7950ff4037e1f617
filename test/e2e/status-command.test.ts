import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { statusCommand } from '../../src/cli/status-command.js';
import type { SourceStatusRow } from '../../src/cli/status-report.js';
import { DEFAULT_STRIP_KEYS } from '../../src/config/config.js';
import { buildDesiredMirror } from '../../src/core/desired-mirror.js';
import { mirrorKeys, withOrigin } from '../../src/core/keys.js';
import { compileTransform } from '../../src/core/transform/index.js';
import type { KubeObject } from '../../src/core/types.js';
import { sandboxKubeconfig } from '../../src/sandbox/kubeconfig.js';
import { startSandbox } from '../../src/sandbox/sandbox.js';

const keys = mirrorKeys();
const SECRET_VALUE = 'hunter2-status-e2e';
const SECRET_B64 = Buffer.from(SECRET_VALUE).toString('base64');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function status(env: Record<string, string | undefined>, ...argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await statusCommand(argv, {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    env,
  });
  // Whatever happens, secret data never reaches the terminal.
  expect(stdout + stderr).not.toContain(SECRET_VALUE);
  expect(stdout + stderr).not.toContain(SECRET_B64);
  return { code, stdout, stderr };
}

/** A cluster: a sandbox, its kubeconfig on disk and a way to create objects and read back their uid. */
async function cluster(dir: string, name: string) {
  const sandbox = await startSandbox();
  const kubeconfig = join(dir, `${name}.kubeconfig`);
  await sandbox.writeKubeconfig(kubeconfig);
  const kc = new KubeConfig();
  kc.loadFromString(sandbox.kubeconfigYaml());
  const core = kc.makeApiClient(CoreV1Api);
  const namespace = (n: string, labels: Record<string, string> = {}) =>
    sandbox.applyManifest({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n, labels } });
  /** Creates the source and returns it with the uid the server gave it (mirrors must name that uid). */
  const createSource = async (obj: KubeObject): Promise<KubeObject> => {
    await sandbox.applyManifest(obj);
    const ref = { name: obj.metadata.name, namespace: obj.metadata.namespace! };
    const live =
      obj.kind === 'Secret' ? await core.readNamespacedSecret(ref) : await core.readNamespacedConfigMap(ref);
    return { ...obj, metadata: { ...obj.metadata, uid: live.metadata!.uid! } };
  };
  return { sandbox, kubeconfig, namespace, createSource };
}

function secretSource(ns: string, targets: string, annotations: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'shared',
      namespace: ns,
      labels: { [keys.enabled]: 'true', app: 'demo' },
      annotations: { [keys.sync]: 'true', [keys.targetNamespaces]: targets, ...annotations },
    },
    type: 'Opaque',
    data: { token: SECRET_B64 },
  };
}

/** What the controller would have written, computed with its own builder. */
const mirrorOf = (source: KubeObject, target: string, transform?: (o: KubeObject) => KubeObject) =>
  buildDesiredMirror(source, target, {
    keys,
    stripKeys: DEFAULT_STRIP_KEYS,
    ...(transform ? { transform } : {}),
  }).mirror;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubemirror-status-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('kubemirror status on a cluster with a conflict and a missing mirror', () => {
  let c: Awaited<ReturnType<typeof cluster>>;
  const line = 'Partial 1/3: 1 conflict (app-2)';

  beforeAll(async () => {
    c = await cluster(dir, 'partial');
    for (const n of ['platform', 'team-b', 'app-1', 'app-2', 'app-3']) await c.namespace(n);
    const source = await c.createSource(
      secretSource('platform', 'app-1, app-2, app-3', { [keys.syncStatus]: line }),
    );
    const other = await c.createSource(secretSource('team-b', 'app-2'));
    await c.sandbox.applyManifest(mirrorOf(source, 'app-1'));
    await c.sandbox.applyManifest(mirrorOf(other, 'app-2')); // app-2 holds team-b's mirror: a conflict
    // app-3: missing
  });
  afterAll(async () => {
    await c.sandbox.stop();
  });

  it('prints one row per source, with wanted/synced/conflicts/failed, coverage, level and last error; exit 1', async () => {
    const r = await status({}, '--kubeconfig', c.kubeconfig, '--resource-types', 'Secret.v1');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]!.split(/\s{2,}/)).toEqual([
      'RESOURCE',
      'SOURCE',
      'WANTED',
      'SYNCED',
      'CONFLICTS',
      'FAILED',
      'COVERAGE',
      'LEVEL',
      'LAST-ERROR',
    ]);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/))).toEqual([
      ['secrets', 'platform/shared', '3', '1', '1', '1', '33%', 'Partial', line],
      ['secrets', 'team-b/shared', '1', '1', '0', '0', '100%', 'Full', '-'],
    ]);
  });

  it('prints the same fields as JSON for scripts, and discovers the types when none are given', async () => {
    const r = await status({ KUBECONFIG: c.kubeconfig }, '-o', 'json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const rows = JSON.parse(r.stdout) as SourceStatusRow[];
    expect(rows).toEqual([
      {
        resource: 'secrets',
        source: 'platform/shared',
        wanted: 3,
        synced: 1,
        conflicts: 1,
        failed: 1,
        coverage: 33,
        level: 'Partial',
        lastError: line,
        conflictNamespaces: ['app-2'],
        failedNamespaces: ['app-3'],
      },
      expect.objectContaining({ source: 'team-b/shared', level: 'Full', coverage: 100 }),
    ]);
  });

  it('uses the controller settings for wanted targets (--excluded-namespaces)', async () => {
    const r = await status(
      {},
      `--kubeconfig=${c.kubeconfig}`,
      '--resource-types=Secret.v1',
      '--excluded-namespaces',
      'app-2,app-3',
      '-o',
      'json',
    );
    const rows = JSON.parse(r.stdout) as SourceStatusRow[];
    expect(rows.map((x) => [x.source, x.wanted, x.synced, x.level])).toEqual([
      ['platform/shared', 1, 1, 'Full'],
      ['team-b/shared', 0, 0, 'Full'],
    ]);
    expect(r.code).toBe(0);
  });

  it('merges every file in KUBECONFIG, as kubectl does (context in one file, cluster and user in another)', async () => {
    const full = parse(c.sandbox.kubeconfigYaml()) as Record<string, unknown>;
    const contextOnly = join(dir, 'context-only.kubeconfig');
    const credentials = join(dir, 'credentials.kubeconfig');
    await writeFile(contextOnly, stringify({ ...full, clusters: [], users: [], preferences: {} }));
    await writeFile(credentials, stringify({ ...full, contexts: [], 'current-context': '' }));
    const r = await status(
      { KUBECONFIG: [join(dir, 'missing.kubeconfig'), contextOnly, credentials].join(delimiter) },
      '--resource-types',
      'Secret.v1',
      '-o',
      'json',
    );
    expect(r.stderr).toBe('');
    expect((JSON.parse(r.stdout) as SourceStatusRow[]).map((x) => x.source)).toEqual([
      'platform/shared',
      'team-b/shared',
    ]);
  });

  it('exits 2 naming the code when listing a discovered type fails with anything but 403/404', async () => {
    const heal = c.sandbox.faults.failRequests({
      fraction: 1,
      code: 500,
      verbs: ['list'],
      resources: ['configmaps'],
    });
    try {
      const r = await status({}, '--kubeconfig', c.kubeconfig);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^error: the API server at http:\/\/127\.0\.0\.1:\d+ answered 500/);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stdout).toBe('');
    } finally {
      heal();
    }
  });
});

describe('kubemirror status on a fully synced cluster', () => {
  let c: Awaited<ReturnType<typeof cluster>>;

  beforeAll(async () => {
    c = await cluster(dir, 'full');
    for (const n of ['platform', 'app-1', 'app-2']) await c.namespace(n, { tier: n });
    const secret = await c.createSource(
      secretSource('platform', 'app-*', { [keys.syncStatus]: 'Synced 2/2' }),
    );
    const rules = 'rules:\n  - path: data.tier\n    template: "{{TargetLabels.tier}}"\n';
    const config = await c.createSource({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'settings',
        namespace: 'platform',
        labels: { [keys.enabled]: 'true' },
        annotations: { [keys.sync]: 'true', [keys.targetNamespaces]: 'app-1,app-2', [keys.transform]: rules },
      },
      data: { tier: 'unset' },
    });
    const compiled = compileTransform(rules, { prefix: keys.prefix });
    if (!compiled.ok) throw new Error(compiled.errors.join('; '));
    for (const target of ['app-1', 'app-2']) {
      await c.sandbox.applyManifest(mirrorOf(secret, target));
      const ctx = {
        targetNamespace: target,
        sourceNamespace: 'platform',
        sourceName: 'settings',
        targetName: 'settings',
        labels: config.metadata.labels ?? {},
        annotations: config.metadata.annotations ?? {},
        targetLabels: { 'kubernetes.io/metadata.name': target, tier: target },
        targetAnnotations: {},
      };
      await c.sandbox.applyManifest(
        mirrorOf(config, target, (o) => compiled.program.apply(o, ctx, { strict: true }).object),
      );
    }
  });
  afterAll(async () => {
    await c.sandbox.stop();
  });

  it('reports every source Full at 100% (transforms rendered per target) and exits 0', async () => {
    const r = await status({}, '--kubeconfig', c.kubeconfig, '--resource-types', 'Secret.v1,ConfigMap.v1');
    expect(r.code).toBe(0);
    expect(
      r.stdout
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((l) => l.split(/\s{2,}/)),
    ).toEqual([
      ['configmaps', 'platform/settings', '2', '2', '0', '0', '100%', 'Full', '-'],
      ['secrets', 'platform/shared', '2', '2', '0', '0', '100%', 'Full', '-'],
    ]);
  });
});

describe('kubemirror status and the other clusters, found the way the controller finds them (issue 23)', () => {
  let east: Awaited<ReturnType<typeof cluster>>;
  let west: Awaited<ReturnType<typeof cluster>>;
  const configMapSource = (name: string, annotations: Record<string, string>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace: 'src-a',
      labels: { [keys.enabled]: 'true' },
      annotations: { [keys.sync]: 'true', ...annotations },
    },
    data: { a: '1' },
  });
  const table = (stdout: string) =>
    stdout
      .split('\n\n')[0]!
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((l) => l.split(/\s{2,}/));
  const args = () => ['--kubeconfig', east.kubeconfig, '--resource-types', 'ConfigMap.v1'];

  beforeAll(async () => {
    east = await cluster(dir, 'east');
    west = await cluster(dir, 'west');
    for (const n of ['src-a', 'kubemirror-system']) await east.namespace(n);
    await west.namespace('app-1');
    // west registered in the controller's namespace, as `kubemirror cluster add west` prints it
    await east.sandbox.applyManifest({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'kubemirror-cluster-west',
        namespace: 'kubemirror-system',
        labels: { [keys.cluster]: 'true' },
        annotations: { [keys.clusterName]: 'west' },
      },
      data: { kubeconfig: Buffer.from(west.sandbox.kubeconfigYaml()).toString('base64') },
    });
    const globW = await east.createSource(
      configMapSource('glob-w', {
        [keys.targetClusters]: 'w*',
        [keys.targetNamespaces]: 'app-1',
        [keys.syncStatus]: 'Synced 1/1',
      }),
    );
    await east.createSource(configMapSource('local-only', { [keys.targetNamespaces]: 'none-*' }));
    // what the controller in east (--cluster-name east) wrote into west
    await west.sandbox.applyManifest(
      buildDesiredMirror(globW, 'app-1', { keys: withOrigin(keys, 'east'), stripKeys: DEFAULT_STRIP_KEYS })
        .mirror,
    );
  });
  afterAll(async () => {
    await east.sandbox.stop();
    await west.sandbox.stop();
  });

  it('reads the registration Secrets in kubemirror-system without a flag and counts the pairs there', async () => {
    const r = await status({}, ...args());
    expect(r.stderr).toBe('');
    expect(table(r.stdout)).toEqual([
      ['configmaps', 'src-a/glob-w', '1', '1', '0', '0', '100%', 'Full', '-'],
      ['configmaps', 'src-a/local-only', '0', '0', '0', '0', '100%', 'Full', '-'],
    ]);
    expect(r.stdout).toContain('\nOther clusters:\n  west  1/1 targets synced (100%)\n');
    expect(r.code).toBe(0);
  });

  it('takes the namespace and the cluster name from the controller settings in the environment', async () => {
    const other = await status({ KUBEMIRROR_CLUSTER_NAME: 'north' }, ...args());
    // the mirror in west is east's, not north's: nothing there is synced for a controller named north
    expect(other.stdout).toContain('  west  0/1 targets synced (0%)');
    expect(other.code).toBe(1);
    const elsewhere = await status({ KUBEMIRROR_LEADER_ELECTION_NAMESPACE: 'kube-public' }, ...args());
    expect(elsewhere.stdout).not.toContain('Other clusters');
    const flag = await status({}, ...args(), '--remote-clusters-namespace', 'kube-public');
    expect(flag.stdout).not.toContain('Other clusters');
  });

  it('a source aimed at a cluster that cannot be read is Unknown with the reason, never Full (table and JSON)', async () => {
    const heal = west.sandbox.faults.failRequests({ fraction: 1, code: 503 });
    try {
      const r = await status({}, ...args());
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('warning: cluster west answered 503 (Transient)');
      expect(table(r.stdout)).toEqual([
        [
          'configmaps',
          'src-a/glob-w',
          '0',
          '0',
          '0',
          '0',
          '?',
          'Unknown',
          'west not read: answered 503 (Transient)',
        ],
        ['configmaps', 'src-a/local-only', '0', '0', '0', '0', '100%', 'Full', '-'],
      ]);
      expect(r.stdout).toContain('\nOther clusters:\n  west  not read: answered 503 (Transient)\n');
      const json = await status({}, ...args(), '-o', 'json');
      expect(json.code).toBe(1);
      const rows = JSON.parse(json.stdout) as SourceStatusRow[];
      expect(rows.find((x) => x.source === 'src-a/glob-w')).toMatchObject({
        coverage: null,
        level: 'Unknown',
        unknown: 'west not read: answered 503 (Transient)',
        clusters: { west: { wanted: 0, synced: 0, unavailable: 'answered 503 (Transient)' } },
      });
    } finally {
      heal();
    }
  });

  it('when the registration Secrets cannot be read (RBAC), says so and shows sources aimed elsewhere as Unknown', async () => {
    const heal = east.sandbox.faults.failRequests({
      fraction: 1,
      code: 403,
      verbs: ['list'],
      resources: ['secrets'],
    });
    try {
      const why = 'cannot list the cluster registration Secrets in kubemirror-system (403 Forbidden)';
      const r = await status({}, ...args());
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`warning: ${why}\n`);
      expect(table(r.stdout)).toEqual([
        ['configmaps', 'src-a/glob-w', '0', '0', '0', '0', '?', 'Unknown', `other clusters not read: ${why}`],
        ['configmaps', 'src-a/local-only', '0', '0', '0', '0', '100%', 'Full', '-'],
      ]);
      expect(r.stdout).toContain(`\nOther clusters:\n  not read: ${why}\n`);
      const rows = JSON.parse((await status({}, ...args(), '-o', 'json')).stdout) as SourceStatusRow[];
      expect(rows.map((x) => [x.source, x.coverage, x.level, x.unknown])).toEqual([
        ['src-a/glob-w', null, 'Unknown', `other clusters not read: ${why}`],
        ['src-a/local-only', 100, 'Full', undefined],
      ]);
    } finally {
      heal();
    }
  });
});

describe('kubemirror status usage and connection errors', () => {
  it('exits 2 with a one-line message, no stack, when the API server cannot be reached', async () => {
    const sandbox = await startSandbox();
    const kubeconfig = join(dir, 'gone.kubeconfig');
    await sandbox.writeKubeconfig(kubeconfig);
    await sandbox.stop();
    const r = await status({}, '--kubeconfig', kubeconfig);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: cannot reach the API server at http:\/\/127\.0\.0\.1:\d+/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it.each([
    [['--bogus'], /unknown flag --bogus/],
    [['-o', 'yaml'], /-o must be table or json/],
    [['--resource-types', 'secret'], /invalid resource type "secret"/],
    [['--max-targets', 'many'], /--max-targets needs a whole number/],
    [
      ['--kubeconfig', '/nonexistent/kubeconfig'],
      /cannot load kubeconfig \/nonexistent\/kubeconfig: no such file/,
    ],
  ])('exits 2 on %j', async (argv, message) => {
    const r = await status({}, ...argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('exits 2 naming the refusal, never the token, when the API server rejects the credentials', async () => {
    const sandbox = await startSandbox({ token: 'the-right-token' });
    try {
      const kubeconfig = join(dir, 'wrong-token.kubeconfig');
      await writeFile(kubeconfig, sandboxKubeconfig(sandbox.url, { token: 'a-wrong-token' }));
      const r = await status({}, '--kubeconfig', kubeconfig, '--resource-types', 'Secret.v1');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^error: the API server at http:\/\/127\.0\.0\.1:\d+ refused access \(401\)/);
      expect(r.stderr).not.toContain('a-wrong-token');
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    } finally {
      await sandbox.stop();
    }
  });

  it('exits 2 when an explicit resource type is not served', async () => {
    const sandbox = await startSandbox();
    try {
      const kubeconfig = join(dir, 'types.kubeconfig');
      await sandbox.writeKubeconfig(kubeconfig);
      const r = await status({}, '--kubeconfig', kubeconfig, '--resource-types', 'Widget.v1.example.com');
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('resource type Widget.v1.example.com is not served');
    } finally {
      await sandbox.stop();
    }
  });

  it('prints its usage with -h and exits 0', async () => {
    const r = await status({}, '-h');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: kubemirror status');
  });
});
