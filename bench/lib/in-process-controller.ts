import { Writable } from 'node:stream';
import { type RunningController, startController } from '../../src/cli/start-controller.js';
import { createLogger } from '../../src/observability/logger.js';
import { type ControllerProbe, probeController } from './controller-probe.js';
import { pollUntil } from './poll.js';

/** How the bench starts a controller: run flags, and whether to turn the write limiter off after start. */
export interface Launch {
  flags: string[];
  unlimitRate: boolean;
}

export const BASE_FLAGS = [
  '--leader-elect=false',
  '--metrics-bind-address=127.0.0.1:0',
  '--health-probe-bind-address=127.0.0.1:0',
  '--resource-types=ConfigMap.v1',
];

/**
 * The real controller in this process (what `kubemirror run` starts), logging at info level into a sink that
 * drops the lines: the cost of building log lines stays in the figures, the terminal stays readable.
 */
export class InProcessController {
  private constructor(readonly running: RunningController) {}

  /** `unlimitRate`: turn the write limiter off right after start (see setRateLimit). */
  static async start(
    kubeconfigPath: string,
    flags: string[],
    opts: { unlimitRate?: boolean } = {},
  ): Promise<InProcessController> {
    const sink = new Writable({ write: (_chunk, _enc, cb) => cb() });
    const running = await startController({
      argv: [...BASE_FLAGS, ...flags],
      env: {},
      kubeconfigPath,
      logger: createLogger({ level: 'info', destination: sink }),
    });
    const ctl = new InProcessController(running);
    if (opts.unlimitRate) ctl.setRateLimit(0, 1);
    return ctl;
  }

  probe(expectTargets: number): Promise<ControllerProbe> {
    return probeController(this.running.controller, this.running.metrics.registry, expectTargets);
  }

  /** Waits until caches synced, `sources` sources are `Synced n/n` (n = `targets`) and the queues are idle. */
  settled(sources: number, targets: number, timeoutMs = 120_000): Promise<ControllerProbe> {
    return pollUntil(
      `${sources} sources Synced ${targets}/${targets} and idle queues`,
      () => this.probe(targets),
      (p) => p.synced && p.idle && p.sources === sources && p.fullySynced === sources,
      { timeoutMs, intervalMs: 20 },
    );
  }

  /**
   * Applies write limits at run time through the controller's live configuration, the path a ConfigMap hot
   * reload takes, but without the loader's validation: this is how the bench turns the limiter off (qps 0)
   * when `--rate-limit-qps=0` is refused.
   */
  setRateLimit(qps: number, burst: number): void {
    const config = this.running.config;
    config.set({ ...config.get(), rateLimitQps: qps, rateLimitBurst: burst });
  }

  stop(): Promise<void> {
    return this.running.stop();
  }
}
