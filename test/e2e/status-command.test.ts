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
import { mirrorKeys } from '../../src/core/keys.js';
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
