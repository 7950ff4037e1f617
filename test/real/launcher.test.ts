import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { startRealControlPlane } from '../helpers/real-harness.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The launcher itself: the versions it promises, and that nothing it started outlives it — after stop(), and
 * after the process that started it is killed without a chance to stop anything (a crashed test worker).
 */
function processesUsing(dir: string): string[] {
  // every process whose command line names the control plane's temporary folder (etcd's data dir, the certs)
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.includes(dir) && !l.includes('ps -eo'))
    .map((l) => l.trim());
}

describe('the control-plane launcher', () => {
  it('serves the pinned version over TLS to the admin, with RBAC on, and leaves no process behind after stop()', async () => {
    const cp = await startRealControlPlane();
    const binaries = inject('controlPlaneBinaries');
    expect(JSON.parse(readFileSync(join(binaries.dir, 'versions.json'), 'utf8'))).toMatchObject({
      kubernetes: 'v1.37.2',
      etcd: 'v3.7.3',
    });
    const res = await fetch(`${cp.server}/version`).catch((e: Error) => e);
    // plain fetch does not trust the test CA: TLS is really on
    expect(res).toBeInstanceOf(Error);
    expect(processesUsing(cp.dir).length).toBeGreaterThanOrEqual(3);
    await cp.stop();
    expect(processesUsing(cp.dir)).toEqual([]);
    expect(existsSync(cp.dir)).toBe(false);
  });

  it('a worker killed with SIGKILL leaves no etcd or kube-apiserver behind (the reaper ends them)', async () => {
    const binaries = inject('controlPlaneBinaries');
    // a separate Node process starts a control plane, prints its folder, and is then killed outright
    const script = `
      const { startControlPlane } = await import(${JSON.stringify(join(import.meta.dirname, '..', 'control-plane', 'launcher.ts'))});
      const cp = await startControlPlane({ binaries: ${JSON.stringify(binaries)} });
      console.log('DIR ' + cp.dir);
      setInterval(() => {}, 1000);
    `;
    const file = join(mkdtempSync(join(tmpdir(), 'kubemirror-worker-')), 'worker.ts');
    writeFileSync(file, script);
    const vite = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'vite-node');
    const child = spawn(vite, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const dir = await waitFor(
      'the child started a control plane',
      () => /DIR (\S+)/.exec(out)?.[1],
      Boolean,
      {
        timeoutMs: 120_000,
        intervalMs: 100,
      },
    );
    expect(processesUsing(dir ?? '').length).toBeGreaterThanOrEqual(3);
    child.kill('SIGKILL');
    await waitFor(
      'no process of the killed worker left',
      () => processesUsing(dir ?? ''),
      (p) => p.length === 0,
      {
        timeoutMs: 20_000,
        intervalMs: 200,
      },
    );
  }, 180_000);
});
