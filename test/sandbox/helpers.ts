import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectlPath } from '../helpers/tools.js';

/** Polls `check` until it returns a truthy value (or throws the last error after `timeoutMs`). */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface StatusLike {
  code: number;
  reason?: string;
  message?: string;
  details?: {
    name?: string;
    kind?: string;
    group?: string;
    causes?: { field?: string }[];
    retryAfterSeconds?: number;
  };
}

/** The HTTP code and Status body of a rejected client-node call. */
export async function rejection(p: Promise<unknown>): Promise<StatusLike> {
  try {
    await p;
  } catch (err) {
    const e = err as { code?: number; body?: unknown };
    const body =
      typeof e.body === 'string' ? (JSON.parse(e.body) as StatusLike) : (e.body as StatusLike | undefined);
    return { ...(body ?? {}), code: e.code ?? body?.code ?? -1 };
  }
  throw new Error('expected the call to be rejected');
}

/** Runs the real kubectl with its own kubeconfig and a fresh discovery cache. */
export class Kubectl {
  readonly dir = mkdtempSync(join(tmpdir(), 'kubemirror-kubectl-'));
  readonly bin = kubectlPath();
  /** where the caller writes the kubeconfig kubectl uses */
  readonly kubeconfig = join(this.dir, 'kubeconfig');

  args(args: string[]): string[] {
    return ['--kubeconfig', this.kubeconfig, '--cache-dir', join(this.dir, 'cache'), ...args];
  }

  run(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = execFile(this.bin, this.args(args), { timeout: 20_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
      if (input !== undefined) child.stdin?.end(input);
    });
  }

  async ok(args: string[], input?: string): Promise<string> {
    const r = await this.run(args, input);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  }

  /** Starts a long-running kubectl (e.g. `get -w`), collecting stdout lines. */
  stream(args: string[]): {
    lines: string[];
    waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
    stop(): void;
  } {
    const child = spawn(this.bin, this.args(args), { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      const parts = buf.split('\n');
      buf = parts.pop() ?? '';
      lines.push(...parts);
    });
    return {
      lines,
      waitForLine: (re, timeoutMs = 10_000) =>
        waitFor(() => lines.find((l) => re.test(l)), timeoutMs, `kubectl line ${re}`),
      stop: () => {
        child.kill();
      },
    };
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
