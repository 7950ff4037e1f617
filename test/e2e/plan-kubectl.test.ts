import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/types.js';
import { type SandboxCli, startCli, startSandboxCli } from '../helpers/cli.js';

/**
 * `kubemirror plan -f x.yaml | kubectl apply -f -`: kubectl reads YAML as YAML 1.1 (sigs.k8s.io/yaml), so a
 * ConfigMap value `yes` printed plain would arrive as a boolean and the apply would fail. Every value here is
 * a string some YAML reader takes for something else; kubectl must hand each one on as that exact string.
 */
const VALUES = [
  'yes',
  'NO',
  'on',
  'Off',
  'y',
  'n',
  'true',
  'null',
  '~',
  '',
  '0755',
  '0o17',
  '0x1F',
  '1_000',
  '1e3',
  '.inf',
  '.NaN',
  '1.2.3',
  '1:20',
  '2001-12-14',
  '2001-12-14 21:59:43.10 -5',
  '<<',
  '=',
];
/** keys that are valid ConfigMap keys are used as their own key, so ambiguous keys are covered too */
const DATA = Object.fromEntries(VALUES.map((v, i) => [/^[-._a-zA-Z0-9]+$/.test(v) ? v : `value-${i}`, v]));
const NAMESPACE = 'yaml-readers';

let sb: SandboxCli;
let dir: string;
let planned: string;

/** kubectl with `input` on stdin; resolves with its exit code and output. */
function kubectlWithInput(
  args: string[],
  input: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(
    sb.kubectl.bin,
    ['--kubeconfig', sb.kubeconfig, '--cache-dir', join(dir, 'kubectl-cache'), ...args],
    { stdio: ['pipe', 'pipe', 'pipe'], timeout: 20_000 },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  child.stdin.end(input);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubemirror-plan-kubectl-'));
  const source: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'yaml-1-1-values',
      namespace: 'platform',
      labels: { 'kubemirror.io/enabled': 'true' },
      annotations: { 'kubemirror.io/sync': 'true', 'kubemirror.io/target-namespaces': NAMESPACE },
    },
    data: DATA,
  };
  // JSON is YAML that every reader reads alike, so the input cannot be what is misread
  const file = join(dir, 'source.yaml');
  writeFileSync(file, JSON.stringify(source));
  const plan = startCli(['plan', '-f', file, '--namespace', NAMESPACE]);
  const exit = await plan.exited;
  if (exit.code !== 0) throw new Error(`kubemirror plan failed (${JSON.stringify(exit)}):\n${plan.stderr()}`);
  planned = `${plan.lines.join('\n')}\n`;
  sb = await startSandboxCli(['--no-controller']);
}, 60_000);

afterAll(async () => {
  await sb?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('kubemirror plan | kubectl', () => {
  it('kubectl decodes every value of the planned mirror as the exact string (client-side dry run)', async () => {
    const r = await kubectlWithInput(['apply', '--dry-run=client', '-f', '-', '-o', 'json'], planned);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const obj = JSON.parse(r.stdout) as KubeObject;
    expect(obj.metadata.namespace).toBe(NAMESPACE);
    expect(obj.data).toStrictEqual(DATA);
  });

  it('kubectl apply -f - creates the mirror with every value intact on the API server', async () => {
    await sb.kubectl.ok(['create', 'namespace', NAMESPACE]);
    const r = await kubectlWithInput(['apply', '-f', '-'], planned);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const stored = await sb.kubectl.json<KubeObject>([
      'get',
      'configmap',
      'yaml-1-1-values',
      '-n',
      NAMESPACE,
    ]);
    expect(stored.data).toStrictEqual(DATA);
  });
});
