import { isHelpRequested, renderHelp } from '../config/load-config.js';
import { ConfigError } from '../core/errors.js';
import { startController } from './start-controller.js';

export interface CommandIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  /** whether stdout is a terminal (process.stdout.isTTY): logs default to text there, JSON elsewhere */
  stdoutIsTTY?: boolean;
}

/**
 * `kubemirror run`: the controller until SIGTERM/SIGINT. The first signal drains in-flight writes, releases
 * the lease and exits 0; a second signal exits at once.
 */
export async function runCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  if (isHelpRequested(argv)) {
    io.stdout(`${renderHelp()}\n`);
    return 0;
  }
  let running: Awaited<ReturnType<typeof startController>>;
  try {
    running = await startController({ argv, env: io.env, stdoutIsTTY: io.stdoutIsTTY === true });
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`${err.message}\n`);
      return 2;
    }
    io.stderr(`kubemirror: cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = () => {
      signals++;
      if (signals > 1) process.exit(130);
      void running.stop().then(() => resolve(0));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    void running.exited.then((code) => resolve(code));
  });
}
