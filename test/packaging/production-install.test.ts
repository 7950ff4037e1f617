import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIME_NODE_FLAGS } from '../../bench/lib/controller-child.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/sandbox.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The image cannot be built here (no Docker engine), so this builds what its runtime stage holds — the bundle
 * scripts/bundle.mjs makes from the current sources, and package.json — into a temp dir with no node_modules
 * anywhere above it, and runs it there. A module the bundle left out but the code needs, or a file written next
 * to the program, fails here exactly as it would in the image.
 */
const root = resolve(import.meta.dirname, '..', '..');
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'));

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((p) => statSync(join(dir, p)).isFile())
    .sort();
}

describe('Dockerfile', () => {
  it('bundles in the build stage and copies only the bundle into the runtime stage: no node_modules', () => {
    const stages = [...dockerfile.matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gim)].map((m) => m[1]);
    expect(stages).toEqual(['build', 'runtime']);
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
    expect(dockerfile).toMatch(/^RUN npm run build$/m);
    const copies = [...runtime.matchAll(/^COPY .*$/gm)].map((m) => m[0]);
    expect(copies).toEqual([
      'COPY --from=build --chown=0:0 /app/dist/kubemirror.js ./dist/kubemirror.js',
      'COPY --chown=0:0 package.json ./',
    ]);
    expect(runtime).not.toMatch(/node_modules|npm /);
  });

  it('runs as a numeric non-root user with `node <V8 flags> dist/kubemirror.js run`', () => {
    expect(runtime).toMatch(/^USER 65532:65532$/m);
    // the same V8 flags the benchmark measures memory with
    const flags = RUNTIME_NODE_FLAGS.map((f) => `"${f}", `).join('');
    expect(runtime).toContain(`ENTRYPOINT ["node", ${flags}"dist/kubemirror.js"]`);
    expect(runtime).toMatch(/^CMD \["run"\]$/m);
  });

  it('keeps the build context small: .dockerignore excludes node_modules, tests and VCS data', () => {
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n');
    for (const p of ['node_modules', 'dist', '.git', 'test', '*.kubeconfig']) expect(ignored).toContain(p);
    for (const p of ['src', 'scripts', 'package.json', 'package-lock.json', 'tsconfig.json'])
      expect(ignored).not.toContain(p);
  });
});

describe('the runtime stage: the bundle alone, from a directory without node_modules', () => {
  let app = '';
  let sandbox: Sandbox | undefined;
  let child: ChildProcess | undefined;
  // the image's environment: HOME under /tmp, production mode, nothing from the dev machine
  const env = () => ({
    PATH: process.env.PATH ?? '',
    HOME: join(app, 'home-is-not-used'),
    NODE_ENV: 'production',
  });

  beforeAll(() => {
    app = mkdtempSync(join(tmpdir(), 'kubemirror-image-'));
    // the build stage's bundle, from the current sources (never a stale dist/)
    const outfile = join(app, 'dist', 'kubemirror.js');
    const build = spawnSync(process.execPath, ['scripts/bundle.mjs', '--outfile', outfile], {
      cwd: root,
      encoding: 'utf8',
    });
    if (build.status !== 0) throw new Error(`bundle failed:\n${build.stdout}${build.stderr}`);
    // only what the runtime stage copies
    for (const f of readdirSync(join(app, 'dist'))) if (f !== 'kubemirror.js') rmSync(join(app, 'dist', f));
    cpSync(join(root, 'package.json'), join(app, 'package.json'));
  }, 120_000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    await sandbox?.stop();
    if (app) rmSync(app, { recursive: true, force: true });
  });

  it('holds two files and no node_modules up the tree', () => {
    expect(listFiles(app)).toEqual(['dist/kubemirror.js', 'package.json']);
    for (let dir = app; dir !== resolve(dir, '..'); dir = resolve(dir, '..'))
      expect(existsSync(join(dir, 'node_modules')), dir).toBe(false);
  });

  it('runs `kubemirror --help` and lists the run and sandbox commands', () => {
    const res = spawnSync(process.execPath, [...RUNTIME_NODE_FLAGS, 'dist/kubemirror.js', '--help'], {
      cwd: app,
      encoding: 'utf8',
      timeout: 30_000,
      env: env(),
    });
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/\brun\b/);
    expect(res.stdout).toMatch(/\bsandbox\b/);
  });

  it('runs the controller: a source is mirrored, SIGTERM exits 0, and nothing is written next to it', async () => {
    const before = listFiles(app);
    sandbox = await startSandbox();
    const kubeconfig = join(tmpdir(), `kubemirror-image-kubeconfig-${process.pid}`);
    await sandbox.writeKubeconfig(kubeconfig);
    for (const name of ['src', 'team-a'])
      await sandbox.applyManifest({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    await sandbox.applyManifest({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'settings',
        namespace: 'src',
        labels: { 'kubemirror.io/enabled': 'true' },
        annotations: { 'kubemirror.io/sync': 'true', 'kubemirror.io/target-namespaces': 'team-*' },
      },
      data: { greeting: 'hello' },
    });
    let stderr = '';
    const proc = spawn(
      process.execPath,
      [
        ...RUNTIME_NODE_FLAGS,
        'dist/kubemirror.js',
        'run',
        '--kubeconfig',
        kubeconfig,
        '--leader-elect=false',
        '--metrics-bind-address=0',
        '--health-probe-bind-address=127.0.0.1:0',
        '--resource-types=ConfigMap.v1',
      ],
      { cwd: app, env: env(), stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child = proc;
    proc.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
    });
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    try {
      const url = `${sandbox.url}/api/v1/namespaces/team-a/configmaps/settings`;
      const mirror = await waitFor(
        'the mirror in team-a',
        async () => (await fetch(url)).json() as Promise<{ data?: Record<string, string> }>,
        (m) => m.data?.greeting === 'hello',
        { timeoutMs: 20_000 },
      ).catch((err: Error) => {
        throw new Error(`${err.message}\nstderr: ${stderr}`);
      });
      expect(mirror.data).toEqual({ greeting: 'hello' });
      proc.kill('SIGTERM');
      expect(await exited, stderr).toBe(0);
    } finally {
      rmSync(kubeconfig, { force: true });
    }
    expect(stderr).toBe('');
    // a read-only root filesystem works only if the program writes nothing next to itself
    expect(listFiles(app)).toEqual(before);
    expect(existsSync(join(app, 'home-is-not-used'))).toBe(false);
  }, 60_000);
});
