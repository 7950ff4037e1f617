import { Writable } from 'node:stream';
import { startController } from '../src/cli/start-controller.js';
import { createLogger } from '../src/observability/logger.js';
import { probeController } from './lib/controller-probe.js';

/**
 * The controller alone in a child process, so its memory is not mixed with the sandbox's. Started by
 * lib/controller-child.ts with `--expose-gc` and an IPC channel; argv: `<kubeconfig> <run flags...>`.
 * Messages in: `{ id, type: 'probe', targets }`, `{ id, type: 'memory' }` (after gc), `{ id, type: 'stop' }`,
 * `{ id, type: 'rateLimit', qps, burst }` (see InProcessController.setRateLimit).
 * Answers: `{ id, ok: true, value }` or `{ id, ok: false, error }`.
 */
async function main(): Promise<void> {
  const [kubeconfigPath, ...flags] = process.argv.slice(2);
  if (!kubeconfigPath || !process.send)
    throw new Error('usage: fork(controller-process.js, [kubeconfig, ...flags])');
  const sink = new Writable({ write: (_chunk, _enc, cb) => cb() });
  const running = await startController({
    argv: flags,
    env: {},
    kubeconfigPath,
    logger: createLogger({ level: 'info', destination: sink }),
  });
  const send = (m: unknown) => process.send?.(m);
  process.on('message', (raw) => {
    const m = raw as { id: number; type: string; targets?: number; qps?: number; burst?: number };
    const handle = async (): Promise<unknown> => {
      switch (m.type) {
        case 'probe':
          return probeController(running.controller, running.metrics.registry, m.targets ?? 0);
        case 'memory': {
          const gc = (globalThis as { gc?: () => void }).gc;
          if (gc) {
            // Twice: the first pass can leave finalizable garbage for the second.
            gc();
            gc();
          }
          return { ...process.memoryUsage(), gcExposed: Boolean(gc) };
        }
        case 'rateLimit':
          running.config.set({
            ...running.config.get(),
            rateLimitQps: m.qps ?? 0,
            rateLimitBurst: m.burst ?? 1,
          });
          return null;
        case 'stop':
          await running.stop();
          setImmediate(() => process.exit(0));
          return null;
        default:
          throw new Error(`unknown message ${m.type}`);
      }
    };
    handle().then(
      (value) => send({ id: m.id, ok: true, value }),
      (err: unknown) => send({ id: m.id, ok: false, error: String(err) }),
    );
  });
  send({ ready: true });
}

main().catch((err: unknown) => {
  process.stderr.write(`controller-process: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
