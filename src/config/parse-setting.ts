import type { Config } from './config.js';
import { DurationError, parseDuration } from './duration.js';
import type { Setting } from './settings.js';

export type ParsedValue = Config[keyof Config];
export type ParseResult = { ok: true; value: ParsedValue } | { ok: false; problems: string[] };

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/** Splits a comma-separated list: entries trimmed, empty entries dropped. */
export function splitList(raw: string): string[] {
  return raw
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
}

/**
 * Parses and checks one raw value of `setting`. `where` names the origin in problem texts
 * (`--max-targets`, `env KUBEMIRROR_MAX_TARGETS`, `ConfigMap key maxTargets`). A list reports every bad entry.
 */
export function parseSetting(setting: Setting, raw: string, where: string): ParseResult {
  const fail = (why: string): ParseResult => ({ ok: false, problems: [`${where}: ${why}`] });
  const value = raw.trim();
  switch (setting.type) {
    case 'bool': {
      const v = value.toLowerCase();
      if (TRUE.has(v)) return { ok: true, value: true };
      if (FALSE.has(v)) return { ok: true, value: false };
      return fail(`"${raw}" is not a boolean (true or false)`);
    }
    case 'int':
    case 'number': {
      const pattern = setting.type === 'int' ? /^-?\d+$/ : /^-?(\d+(\.\d*)?|\.\d+)$/;
      if (!pattern.test(value)) {
        return fail(`"${raw}" is not ${setting.type === 'int' ? 'a whole number' : 'a number'}`);
      }
      const n = Number(value);
      if (!Number.isSafeInteger(Math.trunc(n))) return fail(`"${raw}" is too large`);
      return checkMin(setting, n, raw, fail);
    }
    case 'duration': {
      try {
        return checkMin(setting, parseDuration(value), raw, fail);
      } catch (err) {
        if (err instanceof DurationError) return fail(err.message);
        throw err;
      }
    }
    case 'list': {
      const entries = splitList(value);
      const problems = entries.flatMap((e) => {
        const why = setting.check?.(e);
        return why ? [`${where}: ${why}`] : [];
      });
      return problems.length ? { ok: false, problems } : { ok: true, value: Object.freeze(entries) };
    }
    case 'string': {
      const why = setting.check?.(value);
      return why ? fail(why) : { ok: true, value };
    }
  }
}

function checkMin(setting: Setting, n: number, raw: string, fail: (why: string) => ParseResult): ParseResult {
  const min = setting.min;
  if (min === undefined || n >= min) return { ok: true, value: n };
  if (n < 0) return fail(`"${raw}" is negative`);
  if (setting.type === 'number' && min <= Number.MIN_VALUE) return fail(`"${raw}" must be greater than 0`);
  const shown = setting.type === 'duration' ? `${min}ms` : String(min);
  return fail(`"${raw}" is below the minimum ${shown}`);
}
