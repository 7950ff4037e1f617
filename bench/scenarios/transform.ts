import { benchTransform } from '../../src/core/transform/bench-transform.js';
import { figure, progress } from '../lib/report.js';

/** The transform micro-bench: a 10-rule transform applied to a small ConfigMap, compile cached. */
export function transformScenario(): { transformMsPerMirror: number } {
  progress('transform: 10 rules on a small ConfigMap, 20,000 mirrors');
  const ms = benchTransform(20_000);
  figure('transformMsPerMirror', ms, 'ms per mirror', undefined, '< 0.05');
  return { transformMsPerMirror: ms };
}
