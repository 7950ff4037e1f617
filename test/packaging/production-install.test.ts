import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIME_NODE_FLAGS } from '../../bench/lib/controller-child.js';

/**
 * The image cannot be built here (no Docker engine), so this performs the Dockerfile's production install
 * in a temp dir — package.json + package-lock.json + dist/, `npm ci --omit=dev` — and runs the CLI from it.
 * A runtime import of a dev dependency, or a file missing from dist/, fails here exactly as it would in the image.
 */
const root = resolve(import.meta.dirname, '..', '..');
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((p) => statSync(join(dir, p)).isFile())
    .sort();
}

describe('Dockerfile', () => {
  it('builds in one stage and installs only production dependencies for the runtime stage', () => {
    const stages = [...dockerfile.matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gim)].map((m) => m[1]);
    expect(stages).toEqual(['build', 'deps', 'runtime']);
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev\b/m);
    // the runtime stage copies node_modules from the production-only stage, never from the build stage
    expect(dockerfile).toMatch(/COPY --from=deps \S* ?\/app\/node_modules/);
    expect(dockerfile).not.toMatch(/COPY --from=build \S* ?\/app\/node_modules/);
  });

  it('runs as a numeric non-root user with `node dist/main.js run`', () => {
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'));
    expect(runtime).toMatch(/^USER 65532:65532$/m);
    // the same V8 flags the benchmark measures memory with
    const flags = RUNTIME_NODE_FLAGS.map((f) => `"${f}", `).join('');
    expect(runtime).toContain(`ENTRYPOINT ["node", ${flags}"dist/main.js"]`);
    expect(runtime).toMatch(/^CMD \["run"\]$/m);
  });

  it('keeps the build context small: .dockerignore excludes node_modules, tests and VCS data', () => {
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n');
    for (const p of ['node_modules', 'dist', '.git', 'test', '*.kubeconfig']) expect(ignored).toContain(p);
    for (const p of ['src', 'package.json', 'package-lock.json', 'tsconfig.json'])
      expect(ignored).not.toContain(p);
  });
});

describe('production install (what the image contains)', () => {
  let app = '';

  beforeAll(() => {
    app = mkdtempSync(join(tmpdir(), 'kubemirror-image-'));
    for (const f of ['package.json', 'package-lock.json']) cpSync(join(root, f), join(app, f));
    // the Dockerfile's `npm run build`, from the current sources into the temp dir (never a stale dist/)
    const build = spawnSync('npm', ['run', 'build', '--silent', '--', '--outDir', join(app, 'dist')], {
      cwd: root,
      encoding: 'utf8',
    });
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
    const npmEnv = { ...process.env, npm_config_update_notifier: 'false' };
    const flags = ['--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'];
    const ci = spawnSync('npm', ['ci', ...flags], { cwd: app, encoding: 'utf8', env: npmEnv });
    if (ci.status !== 0) {
      // npm 11 `npm ci` rejects lockfiles that leave out other platforms' optional packages (biome, rollup),
      // even ones it wrote itself; the image's npm 10 (node:20-slim) accepts this lockfile. Install from the
      // same lockfile instead, and check below that the locked versions are what got installed.
      if (!/EUSAGE/.test(ci.stderr)) throw new Error(`npm ci failed:\n${ci.stderr}`);
      execFileSync('npm', ['install', ...flags, '--no-save'], { cwd: app, stdio: 'pipe', env: npmEnv });
    }
  }, 240_000);

  afterAll(() => {
    if (app) rmSync(app, { recursive: true, force: true });
  });

  it('installs the locked versions of the production dependencies', () => {
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string; dev?: boolean }>;
    };
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    for (const dep of Object.keys(pkg.dependencies)) {
      const installed = JSON.parse(readFileSync(join(app, 'node_modules', dep, 'package.json'), 'utf8')) as {
        version: string;
      };
      expect(installed.version, dep).toBe(lock.packages[`node_modules/${dep}`]?.version);
    }
  });

  it('has no dev-only package installed (per the lockfile)', () => {
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const devOnly = Object.entries(lock.packages)
      .filter(([path, p]) => path.startsWith('node_modules/') && p.dev === true)
      .map(([path]) => path);
    expect(devOnly).toContain('node_modules/vitest');
    for (const path of devOnly)
      expect(existsSync(join(app, path)), `${path} must not be in the image`).toBe(false);
  });

  it('runs `kubemirror --help` and lists the run and sandbox commands, writing nothing to the app dir', () => {
    const before = listFiles(app);
    const res = spawnSync('node', ['dist/main.js', '--help'], {
      cwd: app,
      encoding: 'utf8',
      timeout: 30_000,
      // the image's environment: HOME under /tmp, production mode, nothing from the dev machine
      env: { PATH: process.env.PATH ?? '', HOME: join(app, 'home-is-not-used'), NODE_ENV: 'production' },
    });
    expect(res.status, res.stderr).toBe(0);
    const usage = res.stdout + res.stderr;
    expect(usage).toMatch(/\brun\b/);
    expect(usage).toMatch(/\bsandbox\b/);
    // a read-only root filesystem works only if the program writes nothing next to itself
    expect(listFiles(app)).toEqual(before);
    expect(existsSync(join(app, 'home-is-not-used'))).toBe(false);
  });
});
