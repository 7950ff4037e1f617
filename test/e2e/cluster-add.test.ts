import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KubectlCli, mainJs, repoRoot, type SandboxCli, startSandboxCli } from '../helpers/cli.js';

/**
 * Registering a remote cluster (SPEC §8): `kubectl apply -k deploy/remote/` in the remote cluster, and
 * `kubemirror cluster add NAME --context CTX` printing the registration Secret, whose kubeconfig the real
 * kubectl can use on its own. Two sandbox clusters (east = source, west = remote) from `kubemirror sandbox`.
 */
let sb: SandboxCli;
let dir: string;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [mainJs, ...args], { cwd: repoRoot }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  sb = await startSandboxCli(['--clusters', 'east,west', '--no-controller']);
  dir = mkdtempSync(join(tmpdir(), 'kubemirror-cluster-add-'));
});
afterAll(async () => {
  await sb?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('kubemirror cluster add', () => {
  it('deploy/remote applies in the remote cluster with kubectl -k', async () => {
    await sb.kubectl.ok(['--context', 'west', 'apply', '-k', join(repoRoot, 'deploy/remote')]);
    const role = await sb.kubectl.json<{ rules: { resources: string[]; verbs: string[] }[] }>([
      '--context',
      'west',
      'get',
      'clusterrole',
      'kubemirror-remote',
    ]);
    expect(role.rules.find((r) => r.resources.includes('namespaces'))?.verbs).toEqual([
      'get',
      'list',
      'watch',
    ]);
    expect(role.rules.some((r) => r.resources.includes('endpointslices'))).toBe(true);
    await sb.kubectl.ok([
      '--context',
      'west',
      '-n',
      'kubemirror-remote',
      'get',
      'serviceaccount',
      'kubemirror-remote',
    ]);
  });

  it('prints a labelled Secret whose kubeconfig holds only that context and works with kubectl', async () => {
    const r = await cli(['cluster', 'add', 'west', '--context', 'west', '--kubeconfig', sb.kubeconfig]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const secret = parse(r.stdout) as {
      kind: string;
      metadata: {
        name: string;
        namespace: string;
        labels: Record<string, string>;
        annotations: Record<string, string>;
      };
      data: { kubeconfig: string };
    };
    expect(secret.kind).toBe('Secret');
    expect(secret.metadata).toMatchObject({
      name: 'kubemirror-cluster-west',
      namespace: 'kubemirror-system',
      labels: { 'kubemirror.io/cluster': 'true' },
      annotations: { 'kubemirror.io/cluster-name': 'west' },
    });
    const kubeconfig = Buffer.from(secret.data.kubeconfig, 'base64').toString('utf8');
    const kc = parse(kubeconfig) as { contexts: { name: string }[]; 'current-context': string };
    expect(kc.contexts.map((c) => c.name)).toEqual(['west']);
    expect(kc['current-context']).toBe('west');
    // on its own, the extracted kubeconfig reaches west and not east
    const file = join(dir, 'west.kubeconfig');
    writeFileSync(file, kubeconfig);
    const alone = new KubectlCli(file, join(dir, 'cache'));
    expect(await alone.ok(['get', 'namespace', 'kubemirror-remote', '-o', 'name'])).toContain(
      'namespace/kubemirror-remote',
    );
    // and the Secret applies in the source cluster as printed
    await sb.kubectl.ok(['--context', 'east', 'create', 'namespace', 'kubemirror-system']);
    const out = join(dir, 'secret.yaml');
    writeFileSync(out, r.stdout);
    await sb.kubectl.ok(['--context', 'east', 'apply', '-f', out]);
  });

  it('names what is wrong without printing any credential', async () => {
    const r = await cli(['cluster', 'add', 'West_1', '--kubeconfig', sb.kubeconfig]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('must be a DNS label');
    expect(r.stderr).toContain('--context is required');
    const missing = await cli([
      'cluster',
      'add',
      'north',
      '--context',
      'north',
      '--kubeconfig',
      sb.kubeconfig,
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('context "north" not found (contexts: east, west)');
    expect(missing.stdout).toBe('');
  });
});
