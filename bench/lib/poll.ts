/**
 * Polls `probe` until `ok` accepts its value; never a fixed sleep for completion. On timeout the error names
 * what was awaited and the last value seen, so a stalled bench says why.
 */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T> | T,
  ok: (value: T) => boolean,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const intervalMs = opts.intervalMs ?? 10;
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (ok(last)) return last;
    if (Date.now() > deadline) {
      const seen = JSON.stringify(last)?.slice(0, 400);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${seen}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Waits `ms` of wall time: only for figures defined "over a period" (steady state), never for completion. */
export function period(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
