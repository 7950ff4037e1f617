/** Progress and result lines of the bench: one figure per line, with its ratio to the minimum possible. */

const started = Date.now();

export function progress(msg: string): void {
  const t = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  process.stdout.write(`[${t}s] ${msg}\n`);
}

/**
 * Prints `name = value unit` and, when `minimum` is given, `ratio x.xx to the minimum possible`. A minimum of 0
 * cannot give a ratio: the line then says whether the figure is at that minimum.
 */
export function figure(name: string, value: number, unit: string, minimum?: number, goal?: string): void {
  let ratio = '';
  if (minimum !== undefined) {
    if (minimum === 0) ratio = value === 0 ? '  (minimum 0: at minimum)' : `  (minimum 0: ${value} over)`;
    else ratio = `  (ratio ${(value / minimum).toFixed(2)} to the minimum ${fmt(minimum)})`;
  }
  const g = goal ? `  [goal ${goal}]` : '';
  process.stdout.write(`  ${name.padEnd(30)} ${fmt(value).padStart(10)} ${unit}${ratio}${g}\n`);
}

/** A line of detail under a figure (request counts, timings of the parts). */
export function detail(msg: string): void {
  process.stdout.write(`      ${msg}\n`);
}

export function fmt(n: number): string {
  if (Number.isInteger(n)) return String(n);
  if (Math.abs(n) >= 100) return n.toFixed(1);
  if (Math.abs(n) >= 1) return n.toFixed(2);
  return n.toPrecision(3);
}

/** Request counts as `verb resource=n` sorted by key, for one detail line. */
export function formatCounts(counts: Record<string, number>): string {
  const keys = Object.keys(counts).sort();
  return keys.length === 0 ? '(none)' : keys.map((k) => `${k}=${counts[k]}`).join(', ');
}

/** Request counts summed per verb. */
export function countsByVerb(counts: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, n] of Object.entries(counts)) {
    const verb = key.split(' ')[0] ?? key;
    out[verb] = (out[verb] ?? 0) + n;
  }
  return out;
}

export const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'];
export const READ_VERBS = ['get', 'list'];
