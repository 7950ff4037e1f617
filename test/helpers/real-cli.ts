import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../control-plane/launcher.js';
import { KubectlCli, type SandboxCli, startCli } from './cli.js';
import { startRealControlPlane } from './real-harness.js';
import { waitFor } from './wait.js';

function readyz(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = get(`http://127.0.0.1:${port}/readyz`, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
  });
}

/**
 * A control plane of its own with `kubemirror run` (the built CLI, as a user starts it) against it, shaped like
 * `startSandboxCli` so the e2e suites run on either server. Resolves when the controller's /readyz says 200.
 */
export async function startRealCli(args: string[], opts: { logLevel?: string } = {}): Promise<SandboxCli> {
  const cp = await startRealControlPlane();
  const dir = mkdtempSync(join(tmpdir(), 'kubemirror-real-e2e-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, cp.kubeconfigYaml, { mode: 0o600 });
  const health = await freePort();
  const proc = startCli(
    [
      'run',
      '--kubeconfig',
      kubeconfig,
      '--leader-elect=false',
      '--metrics-bind-address=127.0.0.1:0',
      `--health-probe-bind-address=127.0.0.1:${health}`,
      ...args,
    ],
    { env: { LOG_LEVEL: opts.logLevel ?? process.env.LOG_LEVEL ?? 'warn', LOG_FORMAT: 'json' } },
  );
  let stopped: ReturnType<typeof proc.stop> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      try {
        return await proc.stop();
      } finally {
        await cp.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    })();
    return stopped;
  };
  try {
    await waitFor(
      'kubemirror run ready',
      () => readyz(health),
      (c) => c === 200,
      { timeoutMs: 60_000 },
    );
  } catch (err) {
    await stop().catch(() => {});
    throw new Error(`${String(err)}\n${proc.stderr().split('\n').slice(-15).join('\n')}`);
  }
  return { process: proc, kubectl: new KubectlCli(kubeconfig, join(dir, 'kubectl-cache')), kubeconfig, stop };
}
