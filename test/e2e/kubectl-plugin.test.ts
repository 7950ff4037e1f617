import { execFile } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { SourceStatusRow } from '../../src/cli/status-report.js';
import { repoRoot, type SandboxCli, startSandboxCli } from '../helpers/cli.js';
import { kubectlPath } from '../helpers/tools.js';
import { waitFor } from '../helpers/wait.js';

/**
 * kubemirror as a kubectl plugin (SPEC §12): package.json's `bin` installs `kubectl-kubemirror`; `npm install -g`
 * links it into a directory on PATH and marks it executable, which this test does by hand. Then the real kubectl
 * finds it (`kubectl plugin list`) and runs `kubectl kubemirror status|plan` against a sandbox, with kubectl's
 * --kubeconfig, --context, -n and KUBECONFIG.
 */
const pluginJs = join(repoRoot, 'dist', 'cli', 'kubectl-kubemirror.js');
let dir: string;
let binDir: string;
let sandbox: SandboxCli;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real kubectl with PATH = the "global npm bin" directory, node and the system; HOME has no kubeconfig. */
function kubectl(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      kubectlPath(),
      args,
      {
        cwd: repoRoot,
        env: {
          PATH: [binDir, dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(delimiter),
          HOME: dir,
          ...env,
        },
        timeout: 30_000,
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const rowsOf = (r: Run): SourceStatusRow[] => JSON.parse(r.stdout) as SourceStatusRow[];

beforeAll(async () => {
  if (!existsSync(pluginJs))
    throw new Error(`${pluginJs} is missing: run \`npm run build\` (npm test does it)`);
  dir = mkdtempSync(join(tmpdir(), 'kubemirror-plugin-'));
  binDir = join(dir, 'npm-global', 'bin');
  // what `npm install -g` does with package.json's bin entry: a link in its bin directory, the target executable
  await import('node:fs/promises').then((fs) => fs.mkdir(binDir, { recursive: true }));
  chmodSync(pluginJs, 0o755);
  symlinkSync(pluginJs, join(binDir, 'kubectl-kubemirror'));
  sandbox = await startSandboxCli(['--seed', 'examples/quickstart.yaml']);
  await waitFor(
    'the quickstart sources synced',
    async () => (await kubectl(['kubemirror', 'status', '--kubeconfig', sandbox.kubeconfig])).code,
    (code) => code === 0,
    { timeoutMs: 30_000, intervalMs: 300 },
  );
}, 60_000);

afterAll(async () => {
  await sandbox?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('kubectl kubemirror', () => {
  it('package.json installs the kubectl-kubemirror executable, and kubectl plugin list finds it on PATH', async () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    expect(join(repoRoot, pkg.bin['kubectl-kubemirror'] ?? '')).toBe(pluginJs);
    expect(readFileSync(pluginJs, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const list = await kubectl(['plugin', 'list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain(join(binDir, 'kubectl-kubemirror'));
    expect(list.stderr).not.toMatch(/kubectl-kubemirror.*(not executable|overshadow)/);
  });

  it('status with --kubeconfig prints the coverage table of every source; with KUBECONFIG too', async () => {
    const byFlag = await kubectl(['kubemirror', 'status', '--kubeconfig', sandbox.kubeconfig]);
    expect(byFlag.code, byFlag.stderr).toBe(0);
    expect(byFlag.stdout).toMatch(/^RESOURCE\s+SOURCE\s+WANTED\s+SYNCED/);
    for (const s of ['platform/db-credentials', 'platform/app-settings', 'platform/shared-ca'])
      expect(byFlag.stdout).toContain(s);
    const byEnv = await kubectl(['kubemirror', 'status', '-o', 'json'], { KUBECONFIG: sandbox.kubeconfig });
    expect(byEnv.code, byEnv.stderr).toBe(0);
    expect(rowsOf(byEnv).map((r) => r.source)).toEqual(
      expect.arrayContaining(['platform/db-credentials', 'platform/app-settings', 'platform/shared-ca']),
    );
  });

  it('--context picks a context of the kubeconfig, and of the files of KUBECONFIG merged, as kubectl does', async () => {
    const good = parse(readFileSync(sandbox.kubeconfig, 'utf8')) as {
      'current-context': string;
      clusters: { name: string; cluster: { server: string } }[];
      users: { name: string }[];
      contexts: { name: string; context: { cluster: string; user: string } }[];
    };
    const ctx = good['current-context'];
    // a second context, current, whose server answers nothing
    const broken = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'broken', cluster: { server: 'http://127.0.0.1:9' } }],
      users: [{ name: 'broken', user: { token: 'nothing' } }],
      contexts: [{ name: 'broken', context: { cluster: 'broken', user: 'broken' } }],
      'current-context': 'broken',
    };
    const both = join(dir, 'both.kubeconfig');
    writeFileSync(
      both,
      stringify({
        ...broken,
        clusters: [...broken.clusters, ...good.clusters],
        users: [...broken.users, ...good.users],
        contexts: [...broken.contexts, ...good.contexts],
      }),
    );
    const current = await kubectl(['kubemirror', 'status', '--kubeconfig', both]);
    expect(current.code).toBe(2);
    expect(current.stderr).toMatch(/cannot reach the API server at http:\/\/127\.0\.0\.1:9/);
    const picked = await kubectl(['kubemirror', 'status', '--kubeconfig', both, '--context', ctx]);
    expect(picked.code, picked.stderr).toBe(0);
    expect(picked.stdout).toContain('platform/db-credentials');

    const brokenFile = join(dir, 'broken.kubeconfig');
    writeFileSync(brokenFile, stringify(broken));
    const merged = await kubectl(['kubemirror', 'status', `--context=${ctx}`], {
      KUBECONFIG: [brokenFile, sandbox.kubeconfig].join(delimiter),
    });
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).toContain('platform/db-credentials');

    const unknown = await kubectl(['kubemirror', 'status', '--kubeconfig', both, '--context', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('error: context "nope" does not exist\n');
  });

  it('-n/--namespace keeps the sources of one namespace', async () => {
    const seeded = await kubectl(['kubemirror', 'status', '-n', 'platform', '-o', 'json'], {
      KUBECONFIG: sandbox.kubeconfig,
    });
    expect(seeded.code, seeded.stderr).toBe(0);
    expect(rowsOf(seeded).map((r) => r.source)).toEqual(
      expect.arrayContaining(['platform/db-credentials', 'platform/app-settings', 'platform/shared-ca']),
    );
    await sandbox.kubectl.ok(['create', 'namespace', 'plugin-src']);
    await sandbox.kubectl.ok(['create', 'configmap', 'solo', '-n', 'plugin-src', '--from-literal=k=v']);
    await sandbox.kubectl.ok([
      'label',
      'configmap',
      'solo',
      '-n',
      'plugin-src',
      'kubemirror.io/enabled=true',
    ]);
    await sandbox.kubectl.ok([
      'annotate',
      'configmap',
      'solo',
      '-n',
      'plugin-src',
      'kubemirror.io/sync=true',
      'kubemirror.io/target-namespaces=team-a',
    ]);
    const one = await waitFor(
      'plugin-src/solo synced',
      () => kubectl(['kubemirror', 'status', '--namespace=plugin-src', '--kubeconfig', sandbox.kubeconfig]),
      (r) => r.code === 0,
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    expect(one.stdout).toContain('plugin-src/solo');
    expect(one.stdout).not.toContain('platform/');
    const none = await kubectl(['kubemirror', 'status', '-nteam-b', '--kubeconfig', sandbox.kubeconfig]);
    expect(none).toMatchObject({
      code: 0,
      stdout: 'No sources with mirroring enabled in namespace team-b.\n',
    });
    // -A is every namespace, as with kubectl
    const all = await kubectl([
      'kubemirror',
      'status',
      '-n',
      'team-b',
      '-A',
      '--kubeconfig',
      sandbox.kubeconfig,
    ]);
    expect(all.stdout).toContain('plugin-src/solo');
    expect(all.stdout).toContain('platform/db-credentials');
  });

  it('plan -f previews a source against the namespaces of the cluster (labels included); -n plans offline', async () => {
    const file = join(dir, 'source.yaml');
    writeFileSync(
      file,
      stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'preview',
          namespace: 'platform',
          labels: { 'kubemirror.io/enabled': 'true' },
          annotations: { 'kubemirror.io/sync': 'true', 'kubemirror.io/target-namespaces': 'all-labeled' },
        },
        data: { k: 'v' },
      }),
    );
    const planned = await kubectl(['kubemirror', 'plan', '-f', file, '--kubeconfig', sandbox.kubeconfig]);
    expect(planned.code, planned.stderr).toBe(0);
    // all-labeled: only the namespace the quickstart labelled kubemirror.io/allow-mirrors=true
    expect(planned.stdout.match(/^# ConfigMap .*$/gm)).toEqual([
      '# ConfigMap platform/preview → sandbox-opted-in',
    ]);

    // plan's own -n: those namespaces, no cluster asked (none is configured here)
    const offline = await kubectl([
      'kubemirror',
      'plan',
      '-f',
      file,
      '-n',
      'elsewhere',
      '--namespace-labels',
      'elsewhere=kubemirror.io/allow-mirrors=true',
    ]);
    expect(offline.code, offline.stderr).toBe(0);
    expect(offline.stdout.match(/^# ConfigMap .*$/gm)).toEqual(['# ConfigMap platform/preview → elsewhere']);
    const invalid = join(dir, 'invalid.yaml');
    writeFileSync(invalid, readFileSync(file, 'utf8').replace('all-labeled', 'app_1'));
    const refused = await kubectl(['kubemirror', 'plan', '-f', invalid], { KUBECONFIG: sandbox.kubeconfig });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('invalid namespace name "app_1" in target-namespaces');
    expect(refused.stderr).not.toContain(tmpdir().concat('/kubectl-kubemirror-'));
  });

  it("kubemirror's other commands run unchanged", async () => {
    const help = await kubectl(['kubemirror', 'cluster', '--help']);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: kubemirror cluster add NAME --context CTX');
    const usage = await kubectl(['kubemirror', '--help']);
    expect(usage.code).toBe(0);
    expect(usage.stdout).toContain('kubectl kubemirror status [-n NAMESPACE]');
  });
});
