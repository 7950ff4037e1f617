import { loadConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/core/errors.js';

export interface RateLimitFlags {
  flags: string[];
  /** set when the unlimited form was refused and a stand-in is used */
  note: string | null;
  /** the flags could not turn the limiter off: the bench sets qps 0 on the live config after start */
  unlimitAfterStart: boolean;
}

/**
 * Flags that turn the global write limit off: `--rate-limit-qps=0`. If the config loader refuses 0, valid
 * high limits stand in at start, the caller turns the limiter off on the live config (`unlimitAfterStart`),
 * and `note` says so.
 */
export function unlimitedRateFlags(): RateLimitFlags {
  const wanted = ['--rate-limit-qps=0'];
  try {
    loadConfig({ argv: wanted, env: {} });
    return { flags: wanted, note: null, unlimitAfterStart: false };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return {
      flags: ['--rate-limit-qps=1000000', '--rate-limit-burst=1000000'],
      note:
        `--rate-limit-qps=0 is refused (${err.problems.join('; ')}); starting with qps=burst=1000000 and ` +
        'setting qps 0 (unlimited) on the live config after start',
      unlimitAfterStart: true,
    };
  }
}
