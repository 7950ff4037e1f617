import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { kubectlPath } from './tools.js';

/**
 * End-to-end helpers that drive the built product the way a user does: `node dist/kubemirror.js ...` as a child
 * process, and the real kubectl against the sandbox it starts. `npm test` builds dist/ before vitest runs.
 */
export const repoRoot = resolve(import.meta.dirname, '..', '..');
/**
 * The program the image runs: the CLI bundled into one tree-shaken file (scripts/bundle.mjs), so a module the
 * bundle dropped but the code needs fails these tests.
 */
export const mainJs = join(repoRoot, 'dist', 'kubemirror.js');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface CliProcess {
  readonly child: ChildProcess;
  /** stdout, split into lines as they arrive */
  readonly lines: string[];
  /** everything written to stderr so far */
  stderr(): string;
  /** resolves when the process has exited */
  readonly exited: Promise<Exit>;
  /** the first stdout line matching `re`; rejects early (with the tail of stderr) if the process exits */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  /** sends `signal` (SIGTERM) and resolves with the exit; SIGKILLs after `timeoutMs` and rejects */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
}

function assertBuilt(): void {
  if (!existsSync(mainJs)) throw new Error(`${mainJs} is missing: run \`npm run build\` (npm test does it)`);
}

/** Starts `node dist/kubemirror.js <args>` in the repository root. */
export function startCli(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): CliProcess {
  assertBuilt();
  const child = spawn(process.execPath, [mainJs, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let partial = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    partial += d.toString('utf8');
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString('utf8');
  });
  let done: Exit | null = null;
  const exited = new Promise<Exit>((r) =>
    child.on('exit', (code, signal) => {
      done = { code, signal };
      r(done);
    }),
  );
  const stderrTail = () => err.split('\n').slice(-15).join('\n');

  return {
    child,
    lines,
    stderr: () => err,
    exited,
    async waitForLine(re, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = lines.find((l) => re.test(l));
        if (hit !== undefined) return hit;
        if (done) {
          throw new Error(
            `kubemirror ${args[0]} exited (${JSON.stringify(done)}) before printing ${re}:\n${stderrTail()}`,
          );
        }
        if (Date.now() > deadline)
          throw new Error(
            `kubemirror ${args[0]} printed no line matching ${re} in ${timeoutMs} ms:\n${stderrTail()}`,
          );
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async stop(signal = 'SIGTERM', timeoutMs = 25_000) {
      if (done) return done;
      child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(
            new Error(
              `kubemirror ${args[0]} did not exit within ${timeoutMs} ms of ${signal}:\n${stderrTail()}`,
            ),
          );
        }, timeoutMs);
      });
      try {
        return await Promise.race([exited, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** The real kubectl with its own kubeconfig and a fresh discovery cache. */
export class KubectlCli {
  readonly bin = kubectlPath();

  constructor(
    readonly kubeconfig: string,
    readonly cacheDir: string,
  ) {}

  run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolveRun) => {
      execFile(
        this.bin,
        ['--kubeconfig', this.kubeconfig, '--cache-dir', this.cacheDir, ...args],
        { cwd: repoRoot, timeout: 20_000, maxBuffer: 32 * 1024 * 1024 },
        (err, stdout, stderr) => {
          resolveRun({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
        },
      );
    });
  }

  /** Runs kubectl and returns stdout; throws with stderr (never stdout: it may hold Secret data) on failure. */
  async ok(args: string[]): Promise<string> {
    const r = await this.run(args);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** `kubectl <args> -o json`, parsed. */
  async json<T = unknown>(args: string[]): Promise<T> {
    return JSON.parse(await this.ok([...args, '-o', 'json'])) as T;
  }
}

export interface SandboxCli {
  readonly process: CliProcess;
  readonly kubectl: KubectlCli;
  readonly kubeconfig: string;
  /** SIGTERM, wait for the exit, remove the temp dir */
  stop(): Promise<Exit>;
}

/**
 * Starts `kubemirror sandbox --port 0 --kubeconfig <tmp> <args>` and resolves once it says it is ready:
 * the sandbox prints "Ctrl-C stops the sandbox." after the API server, seeds and controller have started.
 */
export async function startSandboxCli(
  args: string[],
  opts: { readyTimeoutMs?: number; logLevel?: string } = {},
): Promise<SandboxCli> {
  const dir = mkdtempSync(join(tmpdir(), 'kubemirror-e2e-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const proc = startCli(['sandbox', '--port', '0', '--kubeconfig', kubeconfig, ...args], {
    env: { LOG_LEVEL: opts.logLevel ?? process.env.LOG_LEVEL ?? 'warn' },
  });
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    await proc.waitForLine(/Ctrl-C stops the sandbox/, opts.readyTimeoutMs ?? 30_000);
  } catch (err) {
    await proc.stop('SIGKILL').catch(() => {});
    cleanup();
    throw err;
  }
  return {
    process: proc,
    kubectl: new KubectlCli(kubeconfig, join(dir, 'kubectl-cache')),
    kubeconfig,
    async stop() {
      try {
        return await proc.stop();
      } finally {
        cleanup();
      }
    },
  };
}
