import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type RunningController, startController } from '../../src/cli/start-controller.js';
import { createLogger } from '../../src/observability/logger.js';
import { type Sandbox, type SandboxOptions, startSandbox } from '../../src/sandbox/sandbox.js';
import { TestKube } from './kube.js';
import { waitFor } from './wait.js';

/** Flags every in-process test controller gets: no election, free ports, quick discovery. */
export const TEST_FLAGS = [
  '--leader-elect=false',
  '--metrics-bind-address=127.0.0.1:0',
  '--health-probe-bind-address=127.0.0.1:0',
  '--discovery-interval=1s',
  '--resync-period=1m',
];

/**
 * The real controller running in-process against an API server over HTTP, and a client to act as a user.
 * Controller logs are captured (JSON lines) so tests can inspect them. `Harness` puts it on a sandbox;
 * `RealHarness` (real-harness.ts) on the real control plane.
 */
export class ControllerHarness {
  readonly logs: string[] = [];
  running: RunningController | null = null;
  private args: string[] = [];
  protected watchBrokenThresholdMs: number | undefined;
  protected constructor(
    readonly kube: TestKube,
    readonly kubeconfigPath: string,
    /** a scratch directory removed with the harness */
    readonly tmpDir: string,
  ) {}

  /** Starts the controller with TEST_FLAGS plus `args`; resolves once its caches synced. */
  async startController(args: string[] = []): Promise<RunningController> {
    this.args = args;
    const sink = new Writable({
      write: (chunk, _enc, cb) => {
        this.logs.push(...String(chunk).split('\n').filter(Boolean));
        cb();
      },
    });
    const running = await startController({
      argv: [...TEST_FLAGS, ...args],
      env: {},
      kubeconfigPath: this.kubeconfigPath,
      logger: createLogger({ level: 'debug', destination: sink }),
      leaseTimings: { leaseDurationMs: 2000, renewDeadlineMs: 1500, retryPeriodMs: 300 },
      watchBrokenThresholdMs: this.watchBrokenThresholdMs,
    });
    this.running = running;
    await waitFor('controller caches synced', () => running.controller.hasSynced(), Boolean);
    return running;
  }

  async stopController(): Promise<void> {
    await this.running?.stop();
    this.running = null;
  }

  /**
   * Runs `fn` while the controller is down (as during an upgrade or crash), then starts it again with the same
   * flags. For changes the running controller would otherwise race with, e.g. deleting a source past its
   * finalizer so its mirrors stay behind.
   */
  async whileStopped(fn: () => Promise<void>): Promise<void> {
    await this.stopController();
    try {
      await fn();
    } finally {
      await this.startController(this.args);
    }
  }

  async stop(): Promise<void> {
    await this.stopController();
    rmSync(this.tmpDir, { recursive: true, force: true });
  }

  /** The mirrors (objects labelled as mirrors) of a kind, as `namespace` → object. */
  async mirrors(
    apiVersion: string,
    kind: string,
    name: string,
  ): Promise<Map<string, import('../../src/core/types.js').KubeObject>> {
    const items = await this.kube.list(apiVersion, kind, undefined, 'kubemirror.io/mirror=true');
    return new Map(items.filter((o) => o.metadata.name === name).map((o) => [o.metadata.namespace ?? '', o]));
  }

  /** Waits until the mirrors of `name` are in exactly `namespaces` (sorted comparison). */
  async expectMirrorsIn(
    apiVersion: string,
    kind: string,
    name: string,
    namespaces: string[],
    timeoutMs = 15_000,
  ) {
    const want = [...namespaces].sort().join(',');
    return waitFor(
      `${kind} ${name} mirrored into exactly [${want}]`,
      async () => [...(await this.mirrors(apiVersion, kind, name)).keys()].sort().join(','),
      (got) => got === want,
      { timeoutMs },
    );
  }

  /** Waits for the source's `kubemirror.io/sync-status` line to satisfy `ok`. */
  async expectStatus(
    apiVersion: string,
    kind: string,
    ns: string,
    name: string,
    ok: (line: string) => boolean,
    timeoutMs = 15_000,
  ) {
    return waitFor(
      `sync-status of ${ns}/${name}`,
      async () =>
        (await this.kube.get(apiVersion, kind, ns, name))?.metadata.annotations?.[
          'kubemirror.io/sync-status'
        ] ?? '',
      ok,
      { timeoutMs },
    );
  }
}

/** A sandbox API server of its own plus the controller (see ControllerHarness). */
export class Harness extends ControllerHarness {
  private constructor(
    readonly sandbox: Sandbox,
    kube: TestKube,
    kubeconfigPath: string,
    tmpDir: string,
  ) {
    super(kube, kubeconfigPath, tmpDir);
  }

  static async start(
    opts: {
      sandbox?: SandboxOptions;
      args?: string[];
      controller?: boolean;
      watchBrokenThresholdMs?: number;
    } = {},
  ): Promise<Harness> {
    const sandbox = await startSandbox({ historyWindow: 200, ...opts.sandbox });
    const dir = mkdtempSync(join(tmpdir(), 'kubemirror-it-'));
    const kubeconfigPath = join(dir, 'kubeconfig');
    await sandbox.writeKubeconfig(kubeconfigPath);
    const h = new Harness(sandbox, new TestKube(sandbox.kubeconfigYaml()), kubeconfigPath, dir);
    h.watchBrokenThresholdMs = opts.watchBrokenThresholdMs;
    if (opts.controller !== false) await h.startController(opts.args ?? []);
    return h;
  }

  override async stop(): Promise<void> {
    await super.stop();
    await this.sandbox.stop();
  }
}
