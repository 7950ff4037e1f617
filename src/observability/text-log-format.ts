import type { DestinationStream } from 'pino';

/**
 * Human-readable log lines for a terminal, made from the JSON lines pino writes — after its redaction, so the
 * text output can never show more than the JSON output would:
 *
 *   12:03:04.123 INFO  mirror created  controller=source namespace=team-a err.message="not found"
 *
 * Time (local), level, message, then every other field as key=value, nested objects flattened with dots.
 */

/** Fields of every pino line that say nothing to someone watching a terminal. */
const DROPPED = new Set(['time', 'level', 'msg', 'pid', 'hostname']);
// control characters are escaped (JSON-style), so no message or value can forge a second log line
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const BARE = /^[^\s"=\\\u0000-\u001f\u007f]+$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/g;

type Flushable = DestinationStream & { flush?: (cb?: (err?: Error) => void) => void; flushSync?: () => void };

/** A destination that turns each pino JSON line into a text line, written synchronously to `out`. */
export function textDestination(out: DestinationStream): DestinationStream {
  const passOn = out as Flushable;
  const stream: Flushable = {
    write(chunk: string) {
      let text = '';
      for (const line of chunk.split('\n')) if (line !== '') text += formatLogLine(line);
      if (text !== '') out.write(text);
    },
  };
  if (passOn.flushSync) stream.flushSync = () => passOn.flushSync?.();
  if (passOn.flush) stream.flush = (cb) => passOn.flush?.(cb);
  return stream;
}

/** One JSON log line as one text line (ending in '\n'); stacks follow, indented. Not JSON: passed on as is. */
export function formatLogLine(json: string): string {
  let entry: unknown;
  try {
    entry = JSON.parse(json);
  } catch {
    return `${json.replace(CONTROL, escapeControl)}\n`;
  }
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return `${json}\n`;
  const e = entry as Record<string, unknown>;
  const head = [
    clock(e.time),
    String(e.level ?? '')
      .toUpperCase()
      .padEnd(5),
    typeof e.msg === 'string' ? e.msg.replace(CONTROL, escapeControl) : '',
  ].join(' ');
  const pairs: string[] = [];
  const stacks: string[] = [];
  for (const [k, v] of Object.entries(e)) if (!DROPPED.has(k)) flatten(k, v, pairs, stacks);
  const line = pairs.length ? `${head}  ${pairs.join(' ')}` : head.trimEnd();
  // every stack line indented, so none can pass for a log line
  const tail = stacks
    .flatMap((s) => s.replace(/\r?\n$/, '').split(/\r?\n/))
    .map((l) => `    ${l.replace(CONTROL, escapeControl)}`)
    .join('\n');
  return tail ? `${line}\n${tail}\n` : `${line}\n`;
}

function flatten(key: string, value: unknown, pairs: string[], stacks: string[]): void {
  if ((key === 'stack' || key.endsWith('.stack')) && typeof value === 'string') {
    stacks.push(value);
    return;
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) pairs.push(`${key}={}`);
    for (const [k, v] of entries) flatten(`${key}.${k}`, v, pairs, stacks);
    return;
  }
  pairs.push(`${key}=${scalar(value)}`);
}

function scalar(value: unknown): string {
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object')) {
      const items = value.map((v) => (typeof v === 'string' ? v : String(v)));
      const joined = items.join(',');
      return items.every((i) => i !== '' && !i.includes(',')) && BARE.test(joined)
        ? joined
        : JSON.stringify(value);
    }
    return JSON.stringify(value);
  }
  const s = typeof value === 'string' ? value : String(value);
  return BARE.test(s) ? s : JSON.stringify(s);
}

function clock(time: unknown): string {
  const d = typeof time === 'string' || typeof time === 'number' ? new Date(time) : new Date(Number.NaN);
  if (Number.isNaN(d.getTime())) return '--:--:--.---';
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

function escapeControl(c: string): string {
  return JSON.stringify(c).slice(1, -1);
}
