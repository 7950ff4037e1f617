import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mainJs } from '../helpers/cli.js';

/**
 * Every command answers --help / -h with its usage and exit 0, and refuses invalid flags (all of them named,
 * exit 2) before it starts anything: run in an empty directory with HOME pointing there, no file may appear,
 * and the ports the command would listen on are held by this test, so any attempt to listen fails loudly
 * (EADDRINUSE, exit 1) instead of passing unnoticed.
 */

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

let cwd: string;
const traps: Server[] = [];
let trapPorts: number[] = [];

/** `node dist/main.js <args>` in `cwd`; resolves on exit, SIGKILLs it (and fails) after `timeoutMs`. */
function cli(args: string[], timeoutMs = 15_000): Promise<Result> {
  if (!existsSync(mainJs)) throw new Error(`${mainJs} is missing: run \`npm run build\` (npm test does it)`);
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: cwd, LOG_LEVEL: 'warn' };
  for (const k of Object.keys(env)) if (k === 'KUBECONFIG' || k.startsWith('KUBEMIRROR_')) delete env[k];
  const child = spawn(process.execPath, [mainJs, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kubemirror ${args.join(' ')} still running after ${timeoutMs} ms:\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function listenOnFreePort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => resolve(server));
  });
}

beforeAll(async () => {
  for (let i = 0; i < 3; i++) traps.push(await listenOnFreePort());
  trapPorts = traps.map((s) => (s.address() as { port: number }).port);
});
afterAll(async () => {
  await Promise.all(traps.map((s) => new Promise((r) => s.close(r))));
});
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'kubemirror-cli-help-'));
});
afterEach(() => {
  rmSync(cwd, { recursive: true, force: true });
});

/** Flags that point everything a command could listen on at the ports this test holds. */
const portFlags: Record<string, () => string[]> = {
  run: () => [
    `--metrics-bind-address=127.0.0.1:${trapPorts[0]}`,
    `--health-probe-bind-address=127.0.0.1:${trapPorts[1]}`,
  ],
  sandbox: () => [
    '--port',
    String(trapPorts[2]),
    `--metrics-bind-address=127.0.0.1:${trapPorts[0]}`,
    `--health-probe-bind-address=127.0.0.1:${trapPorts[1]}`,
  ],
  plan: () => [],
  status: () => [],
  cluster: () => [],
};

const commands = Object.keys(portFlags);

describe.each(commands)('kubemirror %s', (command) => {
  it.each(['--help', '-h'])(
    `answers %s with its usage on stdout, exit 0, nothing started or written`,
    async (flag) => {
      const r = await cli([command, ...portFlags[command]!(), flag]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(new RegExp(`^Usage: kubemirror ${command}\\b`));
      expect(r.code).toBe(0);
      expect(readdirSync(cwd)).toEqual([]);
    },
  );

  it('names every invalid flag at once, exits 2, and starts and writes nothing', async () => {
    const r = await cli([command, ...portFlags[command]!(), '--no-such-flag', '--also-not-a-flag=1']);
    expect(r.stderr).toContain('--no-such-flag');
    expect(r.stderr).toContain('--also-not-a-flag');
    expect(r.stderr).not.toMatch(/EADDRINUSE/);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(2);
    expect(readdirSync(cwd)).toEqual([]);
  });
});

describe('kubemirror sandbox', () => {
  it('checks controller settings, seeds and the kubeconfig folder before it starts the API server', async () => {
    const r = await cli([
      'sandbox',
      ...portFlags.sandbox!(),
      '--seed',
      join(cwd, 'missing-seed.yaml'),
      '--kubeconfig',
      join(cwd, 'no-such-folder', 'kubeconfig'),
      '--max-targets=lots',
    ]);
    expect(r.stderr).toContain('missing-seed.yaml');
    expect(r.stderr).toContain('no-such-folder');
    expect(r.stderr).toContain('--max-targets');
    expect(r.stderr).not.toMatch(/EADDRINUSE/);
    expect(r.code).toBe(2);
    expect(readdirSync(cwd)).toEqual([]);
  });
});

describe('kubemirror (no command)', () => {
  it.each(['--help', '-h', 'help'])('answers %s with the list of commands, exit 0', async (flag) => {
    const r = await cli([flag]);
    expect(r.stdout).toContain('Usage:');
    for (const c of commands) expect(r.stdout).toContain(`kubemirror ${c}`);
    expect(r.code).toBe(0);
  });

  it('refuses an unknown command with exit 2', async () => {
    const r = await cli(['no-such-command']);
    expect(r.stderr).toContain('unknown command "no-such-command"');
    expect(r.code).toBe(2);
    expect(readdirSync(cwd)).toEqual([]);
  });
});
