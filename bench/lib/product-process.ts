import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { bundled } from './bundle.js';
import { RUNTIME_NODE_FLAGS } from './controller-child.js';
import { pollUntil } from './poll.js';

const MB = 1024 * 1024;

interface SourceStatus {
  wanted: number;
  synced: number;
}

/**
 * `node <image flags> kubemirror.js run` in its own process, seen only from outside as an operator sees it:
 * RSS from /proc (what `ps` shows; no forced gc, nothing inside the process asked), /readyz and /status over
 * HTTP. The program is src/main.ts bundled like the image's.
 */
export class ProductProcess {
  private constructor(
    private readonly child: ChildProcess,
    private readonly probePort: number,
    readonly startedAt: number,
  ) {}

  static async start(kubeconfigPath: string, flags: string[]): Promise<ProductProcess> {
    const program = bundled('src/main.ts', 'kubemirror');
    const probePort = await freePort();
    const startedAt = performance.now();
    const child = spawn(
      process.execPath,
      [
        ...RUNTIME_NODE_FLAGS,
        program,
        'run',
        '--kubeconfig',
        kubeconfigPath,
        '--leader-elect=false',
        '--metrics-bind-address=0',
        `--health-probe-bind-address=127.0.0.1:${probePort}`,
        ...flags,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'], env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn' } },
    );
    return new ProductProcess(child, probePort, startedAt);
  }

  /** Milliseconds from the spawn to the first `/readyz` 200. */
  async readyAfterMs(timeoutMs = 60_000): Promise<number> {
    await pollUntil(
      '/readyz 200',
      () => this.get('/readyz').then((r) => r.code),
      (c) => c === 200,
      {
        timeoutMs,
        intervalMs: 5,
      },
    );
    return performance.now() - this.startedAt;
  }

  /** Waits until `/status` lists `sources` sources, each with `targets` of `targets` mirrors synced. */
  async settled(sources: number, targets: number, timeoutMs = 300_000): Promise<void> {
    await pollUntil(
      `${sources} sources Synced ${targets}/${targets} (/status)`,
      async () => {
        const r = await this.get('/status');
        if (r.code !== 200) return -1;
        const all = (JSON.parse(r.body) as { sources: SourceStatus[] }).sources;
        return all.length === sources
          ? all.filter((s) => s.wanted === targets && s.synced === targets).length
          : -1;
      },
      (n) => n === sources,
      { timeoutMs, intervalMs: 100 },
    );
  }

  /** Resident memory now (VmRSS) and at its peak so far (VmHWM), in MB. */
  memory(): { rssMb: number; peakMb: number } {
    const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMb: (kb('VmRSS') * 1024) / MB, peakMb: (kb('VmHWM') * 1024) / MB };
  }

  /** SIGTERM, as Kubernetes stops a pod; resolves on exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGTERM');
    await exited;
  }

  private async get(path: string): Promise<{ code: number; body: string }> {
    if (this.child.exitCode !== null) throw new Error(`kubemirror run exited with ${this.child.exitCode}`);
    try {
      const res = await fetch(`http://127.0.0.1:${this.probePort}${path}`);
      return { code: res.status, body: await res.text() };
    } catch {
      return { code: 0, body: '' };
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      server.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}
