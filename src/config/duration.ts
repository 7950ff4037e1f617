/**
 * Go-style durations as the flags, env and ConfigMap accept them: `500ms`, `3s`, `5m`, `1h`, `1m30s`,
 * `1.5s`. Units: ms, s, m, h. A bare number is rejected (the unit is never guessed), except `0`.
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

export class DurationError extends Error {
  readonly reason = 'InvalidDuration';
}

/** Milliseconds of `text`, rounded to a whole millisecond. Throws DurationError with the reason. */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (s === '') throw new DurationError('empty duration (expected e.g. 500ms, 3s, 5m, 1h, 1m30s)');
  if (s === '0') return 0;
  if (s.startsWith('-')) throw new DurationError(`"${text}" is negative`);
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const at = PART.lastIndex;
    const m = PART.exec(s);
    if (!m) {
      const hint = /^\d+(\.\d+)?$/.test(s) ? ' (missing unit)' : '';
      throw new DurationError(
        `"${text}" is not a duration${hint} at "${s.slice(at)}" (expected e.g. 500ms, 3s, 5m, 1h, 1m30s)`,
      );
    }
    total += Number(m[1]) * (UNIT_MS[m[2]!] ?? 0);
  }
  if (!Number.isSafeInteger(Math.round(total))) throw new DurationError(`"${text}" is too large`);
  return Math.round(total);
}

/** The shortest readable form of `ms`, inverse of parseDuration for whole units: 90000 → `1m30s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  if (rest > 0) out += `${rest}ms`;
  return out;
}
