import { ControllerHarness, Harness } from './harness.js';
import { RealHarness } from './real-harness.js';

/**
 * The harness for suites that need no sandbox-only device (fault injection, request accounting, test doubles):
 * a sandbox, or — when the `real` vitest project runs the same file with KUBEMIRROR_TEST_SERVER=real — a control
 * plane of the file's own. One test file, both servers.
 */
export function startAnyHarness(
  opts: { args?: string[]; controller?: boolean; watchBrokenThresholdMs?: number } = {},
): Promise<ControllerHarness> {
  return process.env.KUBEMIRROR_TEST_SERVER === 'real' ? RealHarness.start(opts) : Harness.start(opts);
}

export { ControllerHarness };
