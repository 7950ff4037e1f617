/**
 * Deep redaction of anything about to be logged: Secret data, tokens, passwords, authorization headers,
 * kubeconfig content and private keys. Keys of `data`/`stringData`/`binaryData` maps stay visible (useful for
 * debugging), their values do not. Works on plain objects, client-node model instances and Errors.
 */
export const REDACTED = '[Redacted]';

const MAP_KEYS = new Set(['data', 'stringdata', 'binarydata']);
const SECRET_KEY =
  /token|password|passwd|secret$|^authorization$|^proxy-authorization$|^cookie$|^set-cookie$|kubeconfig|-data$|private[-_]?key|client[-_]?key|^kubectl\.kubernetes\.io\/last-applied-configuration$/i;
const SECRET_VALUE =
  /-----BEGIN [A-Z ]*PRIVATE KEY|^\s*bearer\s|client-key-data|client-certificate-data|kind:\s*Config\b/i;
const MAX_DEPTH = 12;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** A deep copy of `value` safe to log. Never mutates its input. */
export function redactObject<T>(value: T): T {
  return walk(value, 0, new WeakSet()) as T;
}

function walk(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return SECRET_VALUE.test(value) ? REDACTED : value;
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value;
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return REDACTED;
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Truncated]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => walk(v, depth + 1, seen));
    const out: Record<string, unknown> = {};
    if (value instanceof Error) {
      out.type = value.name;
      out.message = walk(value.message, depth + 1, seen);
      if (value.stack) out.stack = value.stack;
    }
    for (const [k, v] of Object.entries(value)) {
      if (MAP_KEYS.has(k.toLowerCase())) out[k] = redactMap(v);
      else if (isSecretKey(k)) out[k] = v === undefined || v === '' ? v : REDACTED;
      else out[k] = walk(v, depth + 1, seen);
    }
    if (value instanceof Error && value.cause !== undefined) out.cause = walk(value.cause, depth + 1, seen);
    return out;
  } finally {
    seen.delete(value);
  }
}

function redactMap(v: unknown): unknown {
  if (v === null || v === undefined) return v;
  if (typeof v !== 'object' || Array.isArray(v)) return REDACTED;
  return Object.fromEntries(Object.keys(v).map((k) => [k, REDACTED]));
}
