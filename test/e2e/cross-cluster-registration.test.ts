import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mainJs, repoRoot, type SandboxCli, startSandboxCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Issue 23, as a user meets it on `kubemirror sandbox --clusters east,west` (west registered in east by the
 * Secret `cluster-west`) with the real kubectl: a source `src-a/glob-w` aimed at `w*`; `kubemirror status`
 * without flags counts its pairs in west; the output of `kubemirror cluster add west` (another Secret naming
 * west) applied before the old Secret is deleted is refused with a Warning Event and west keeps being synced;
 * deleting the old Secret hands west over.
 */
let sb: SandboxCli;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubemirror-registration-'));
  sb = await startSandboxCli([
    '--clusters',
    'east,west',
    '--seed',
    'examples/cross-cluster/east.yaml',
    '--seed',
    'west=examples/cross-cluster/west.yaml',
  ]);
});
afterAll(async () => {
  await sb?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** `node dist/main.js <args>` with the sandbox's kubeconfig as $KUBECONFIG (no other setting). */
function kubemirror(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      [mainJs, ...args],
      { cwd: repoRoot, env: { PATH: process.env.PATH, HOME: dir, KUBECONFIG: sb.kubeconfig } },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

/** `kubectl apply -f` of a manifest written to a file of its own (removed afterwards). */
async function apply(context: string, manifest: string): Promise<void> {
  const file = join(dir, `apply-${Date.now()}.yaml`);
  writeFileSync(file, manifest, { mode: 0o600 });
  try {
    await sb.kubectl.ok(['--context', context, 'apply', '-f', file]);
  } finally {
    rmSync(file, { force: true });
  }
}

const westData = async (name: string) => {
  const r = await sb.kubectl.run(['--context', 'west', '-n', 'shop', 'get', 'configmap', name, '-o', 'json']);
  return r.code === 0 ? ((JSON.parse(r.stdout) as { data?: Record<string, string> }).data ?? {}) : null;
};

const source = (name: string, value: string) => `
apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  namespace: src-a
  labels:
    kubemirror.io/enabled: "true"
  annotations:
    kubemirror.io/sync: "true"
    kubemirror.io/target-clusters: "w*"
    kubemirror.io/target-namespaces: "shop"
data:
  value: "${value}"
`;

interface Event {
  type: string;
  reason: string;
  message: string;
  involvedObject: { kind: string; name: string };
}

describe('kubemirror sandbox --clusters east,west: other clusters in status, and a second registration Secret', () => {
  it('kubemirror status, with no flag, counts the pairs of a w* source in west (not 0 0 100% Full)', async () => {
    await sb.kubectl.ok(['--context', 'east', 'create', 'namespace', 'src-a']);
    await apply('east', source('glob-w', 'one'));
    await waitFor(
      'glob-w in west',
      () => westData('glob-w'),
      (d) => d?.value === 'one',
    );
    const out = await waitFor(
      'status counting west',
      () => kubemirror(['status']),
      (r) => /src-a\/glob-w\s+1\s+1\s+0\s+0\s+100%\s+Full/.test(r.stdout),
    );
    expect(out.stdout).toMatch(/^ {2}west {2}\d+\/\d+ targets synced/m);
    expect(out.stdout + out.stderr).not.toMatch(/token|BEGIN CERTIFICATE|client-key/);
  });

  it('a second Secret for west is refused with a Warning Event, west keeps being synced, deleting the old one hands over', async () => {
    const logsFrom = sb.process.lines.length;
    // what an operator rotating by "add the new, then delete the old" runs
    const added = await kubemirror([
      'cluster',
      'add',
      'west',
      '--context',
      'west',
      '--kubeconfig',
      sb.kubeconfig,
    ]);
    expect(added.code).toBe(0);
    await apply('east', added.stdout);
    const events = await waitFor(
      'a Warning Event on kubemirror-cluster-west',
      async () =>
        (
          await sb.kubectl.json<{ items: Event[] }>([
            '--context',
            'east',
            '-n',
            'kubemirror-system',
            'get',
            'events',
          ])
        ).items.filter((e) => e.involvedObject.name === 'kubemirror-cluster-west'),
      (items) => items.length > 0,
    );
    expect(events[0]).toMatchObject({
      type: 'Warning',
      reason: 'ClusterRegistrationRefused',
      involvedObject: { kind: 'Secret', name: 'kubemirror-cluster-west' },
    });
    expect(events[0]?.message).toContain(
      'cluster "west" is already registered by Secret kubemirror-system/cluster-west',
    );

    // west is still synced: a change follows, and a source deleted now has its mirror removed there
    await sb.kubectl.ok([
      '--context',
      'east',
      '-n',
      'src-a',
      'patch',
      'configmap',
      'glob-w',
      '--type=merge',
      '-p',
      '{"data":{"value":"two"}}',
    ]);
    await waitFor(
      'the change in west',
      () => westData('glob-w'),
      (d) => d?.value === 'two',
    );
    await sb.kubectl.ok(['--context', 'east', '-n', 'src-a', 'delete', 'configmap', 'glob-w']);
    await waitFor(
      'glob-w gone from west',
      () => westData('glob-w'),
      (d) => d === null,
    );
    // status picks the Secret the controller uses, and says why the other is not used
    const st = await kubemirror(['status', '--resource-types', 'ConfigMap.v1']);
    expect(st.stderr).toContain(
      'cluster Secret kubemirror-system/kubemirror-cluster-west not used: cluster "west" is already registered by Secret kubemirror-system/cluster-west',
    );
    expect(st.stdout).toMatch(/^ {2}west {2}\d+\/\d+ targets synced/m);

    // taking over is explicit: delete the Secret in use
    await sb.kubectl.ok(['--context', 'east', '-n', 'kubemirror-system', 'delete', 'secret', 'cluster-west']);
    await apply('east', source('after-handover', 'three'));
    await waitFor(
      'a new source in west through the remaining Secret',
      () => westData('after-handover'),
      (d) => d?.value === 'three',
      { timeoutMs: 30_000 },
    );
    const logs = sb.process.lines.slice(logsFrom).join('\n');
    expect(logs).toContain('cluster registration Secret not used');
    expect(logs).not.toContain('cluster unregistered');
  });
});
