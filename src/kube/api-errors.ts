import { KubemirrorError } from '../core/errors.js';

/** The few outcomes of an API call the controller acts on differently. */
export type ApiErrorReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Forbidden'
  | 'Invalid'
  | 'Gone'
  | 'Throttled'
  | 'Transient'
  | 'Unknown';

export class ApiError extends KubemirrorError {
  readonly code: number;
  declare readonly reason: ApiErrorReason;
  constructor(reason: ApiErrorReason, code: number, message: string, options?: { cause?: unknown }) {
    super(reason, message, options);
    this.code = code;
  }
}

interface StatusBody {
  reason?: string;
  message?: string;
  code?: number;
}

function parseStatus(body: unknown): StatusBody {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as StatusBody;
    } catch {
      return {};
    }
  }
  return (body ?? {}) as StatusBody;
}

/** Keeps messages short; Status messages from the server never carry object data, but be safe on length. */
function shorten(message: string): string {
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}

/**
 * The one place API errors are classified. Accepts client-node's ApiException (code + body), our ApiError,
 * fetch/socket errors (→ Transient) and anything else (→ Unknown).
 */
export function classifyApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof KubemirrorError && err.reason === 'Transient') {
    return new ApiError('Transient', 0, shorten(err.message), { cause: err });
  }
  const code = typeof (err as { code?: unknown })?.code === 'number' ? (err as { code: number }).code : 0;
  if (code === 0) {
    const msg = err instanceof Error ? err.message : String(err);
    const sysCode = (err as { code?: unknown })?.code;
    const transient =
      typeof sysCode === 'string' || /ECONN|EPIPE|ETIMEDOUT|socket|network|fetch failed/i.test(msg);
    return new ApiError(transient ? 'Transient' : 'Unknown', 0, shorten(msg), { cause: err });
  }
  const status = parseStatus((err as { body?: unknown }).body);
  const message = shorten(status.message ?? (err instanceof Error ? err.message : `HTTP ${code}`));
  return new ApiError(reasonFor(code, status.reason), code, message, { cause: err });
}

function reasonFor(code: number, statusReason: string | undefined): ApiErrorReason {
  switch (code) {
    case 404:
      return 'NotFound';
    case 409:
      return statusReason === 'AlreadyExists' ? 'AlreadyExists' : 'Conflict';
    case 401:
    case 403:
      return 'Forbidden';
    case 400:
    case 422:
      return 'Invalid';
    case 410:
      return 'Gone';
    case 429:
      return 'Throttled';
    default:
      return code >= 500 ? 'Transient' : 'Unknown';
  }
}

export function isApiReason(err: unknown, reason: ApiErrorReason): boolean {
  return classifyApiError(err).reason === reason;
}
