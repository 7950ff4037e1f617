import { type ChildProcess, fork } from 'node:child_process';
import { bundled } from './bundle.js';
import type { ControllerProbe } from './controller-probe.js';
import { BASE_FLAGS } from './in-process-controller.js';
import { pollUntil } from './poll.js';

/**
 * The V8 flags the container image runs the controller with (Dockerfile ENTRYPOINT; a packaging test checks
 * they match), chosen by measurement (docs/memory.md): `--optimize-for-size` keeps the old generation close to
 * what is live (a warm restart over 1,000 × 64 KiB mirrors holds ~80 MB instead of 105-130); `--single-threaded`
 * does GC and optimizing compiles on the main thread, without the background threads' allocator arenas and
 * zones (1k → 10k mirrors: ~0.9 KB of RSS per mirror instead of ~1.7); `--max-semi-space-size=1` a 1 MB young
 * generation for a controller whose objects are long-lived caches. Fan-out CPU is the same with and without.
 * `--expose-gc`: start-controller collects once when the caches are in, so what the first lists left behind
 * does not stay (a warm restart over 64 KiB mirrors: ~70 MB instead of 77-81).
 */
export const RUNTIME_NODE_FLAGS = [
  '--optimize-for-size',
  '--single-threaded',
  '--max-semi-space-size=1',
  '--expose-gc',
];

export interface ChildMemory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  gcExposed: boolean;
}

/** The controller in a child process (bench/controller-process.ts, bundled like the image's program), asked over IPC. */
export class ControllerChild {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (raw) => {
      const m = raw as { id?: number; ok?: boolean; value?: unknown; error?: string };
      if (m.id === undefined) return;
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.ok) p?.resolve(m.value);
      else p?.reject(new Error(m.error));
    });
    child.on('exit', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`controller process exited with ${code}`));
      this.pending.clear();
    });
  }

  /** `execArgv` adds node options to the child, e.g. `--cpu-prof` to profile the controller alone. */
  static async start(
    kubeconfigPath: string,
    flags: string[],
    opts: { execArgv?: string[]; unlimitRate?: boolean } = {},
  ): Promise<ControllerChild> {
    const entry = bundled('bench/controller-process.ts', 'controller-process');
    const child = fork(entry, [kubeconfigPath, ...BASE_FLAGS, ...flags], {
      execArgv: ['--expose-gc', ...RUNTIME_NODE_FLAGS, ...(opts.execArgv ?? [])],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`controller process exited with ${code} at start`)));
      child.on('message', (m) => {
        if ((m as { ready?: boolean }).ready) resolve();
      });
    });
    const c = new ControllerChild(child);
    if (opts.unlimitRate) await c.setRateLimit(0, 1);
    return c;
  }

  private ask<T>(type: string, extra: object = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, type, ...extra });
    });
  }

  probe(targets: number): Promise<ControllerProbe> {
    return this.ask('probe', { targets });
  }

  /** Applies write limits at run time, as a ConfigMap hot reload would (qps 0 = unlimited). */
  setRateLimit(qps: number, burst: number): Promise<void> {
    return this.ask('rateLimit', { qps, burst });
  }

  /** Memory after a full gc (when the child has `--expose-gc`). */
  memory(): Promise<ChildMemory> {
    return this.ask('memory');
  }

  settled(sources: number, targets: number, timeoutMs = 180_000): Promise<ControllerProbe> {
    return pollUntil(
      `${sources} sources Synced ${targets}/${targets} and idle queues (child)`,
      () => this.probe(targets),
      (p) => p.synced && p.idle && p.sources === sources && p.fullySynced === sources,
      { timeoutMs, intervalMs: 50 },
    );
  }

  /** SIGKILL, for a bench that failed half-way: no answer awaited. */
  kill(): void {
    this.child.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    await this.ask('stop').catch(() => {});
    await exited;
  }
}
