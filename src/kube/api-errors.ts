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

/** One entry of a Status's `details.causes`: which field the server refused, and why. */
export interface ApiErrorCause {
  field?: string;
  /** FieldValueInvalid, FieldValueForbidden, FieldManagerConflict, ... */
  reason?: string;
  message?: string;
}

export class ApiError extends KubemirrorError {
  readonly code: number;
  declare readonly reason: ApiErrorReason;
  /** the server's Status reason (`Invalid`, `BadRequest`, `AlreadyExists`, ...), when it sent one */
  readonly statusReason: string | undefined;
  readonly causes: readonly ApiErrorCause[];
  private readonly immutable: boolean;
  constructor(
    reason: ApiErrorReason,
    code: number,
    message: string,
    options?: {
      cause?: unknown;
      statusReason?: string;
      causes?: readonly ApiErrorCause[];
      immutable?: boolean;
    },
  ) {
    super(reason, message, options);
    this.code = code;
    this.statusReason = options?.statusReason;
    this.causes = options?.causes ?? [];
    this.immutable =
      options?.immutable ??
      (code === 422 &&
        this.causes.length > 0 &&
        this.causes.every((c) => /immutable|may not change once set/i.test(c.message ?? '')));
  }

  /**
   * The same error with a message that cannot echo what was sent: code, reason and the refused field paths
   * only. A 422 quotes the invalid value ("Invalid value: \"...\""), and for a Secret that value can be its
   * data (a label templated from it, say), so this is the only form a Secret's API error may take in logs,
   * status lines and Events.
   */
  withoutValues(): ApiError {
    const fields = this.causes.map((c) => `${c.field ?? '<object>'} (${c.reason ?? 'invalid'})`);
    const head = `${this.code || ''} ${this.statusReason ?? this.reason}`.trim();
    const message =
      fields.length > 0
        ? `${head}: ${fields.join(', ')} (server message withheld: it may quote Secret data)`
        : `${head} (server message withheld: it may quote Secret data)`;
    return new ApiError(this.reason, this.code, message, {
      statusReason: this.statusReason,
      causes: this.causes.map((c) => ({ field: c.field, reason: c.reason })),
      immutable: this.immutable,
    });
  }

  /**
   * True when every field the server refused is one that cannot change once set (the delete-and-recreate
   * case): `field is immutable` (apimachinery ValidateImmutableField), `field is immutable when \`immutable\`
   * is set`, Service `may not change once set`.
   */
  isImmutableField(): boolean {
    return this.immutable;
  }
}

interface StatusBody {
  reason?: string;
  message?: string;
  code?: number;
  details?: { causes?: Array<{ field?: unknown; reason?: unknown; message?: unknown }> };
}

function causesOf(status: StatusBody): ApiErrorCause[] {
  const raw = status.details?.causes;
  if (!Array.isArray(raw)) return [];
  return raw.map((c) => ({
    ...(typeof c?.field === 'string' ? { field: c.field } : {}),
    ...(typeof c?.reason === 'string' ? { reason: c.reason } : {}),
    ...(typeof c?.message === 'string' ? { message: c.message } : {}),
  }));
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

/** Bounds a message; Status messages can quote what was sent (see ApiError.withoutValues for Secrets). */
function shorten(message: string): string {
  return message.length > 1000 ? `${message.slice(0, 1000)}…` : message;
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
  const code = httpCodeOf(err);
  if (code === 0) {
    const msg = err instanceof Error ? err.message : String(err);
    const sysCode = (err as { code?: unknown })?.code;
    const transient =
      typeof sysCode === 'string' || /ECONN|EPIPE|ETIMEDOUT|socket|network|fetch failed/i.test(msg);
    return new ApiError(transient ? 'Transient' : 'Unknown', 0, shorten(msg), { cause: err });
  }
  const status = parseStatus((err as { body?: unknown }).body);
  const message = shorten(status.message ?? (err instanceof Error ? err.message : `HTTP ${code}`));
  return new ApiError(reasonFor(code, status.reason), code, message, {
    cause: err,
    ...(status.reason ? { statusReason: status.reason } : {}),
    causes: causesOf(status),
  });
}

/** The HTTP status an error carries: `code` (client-node's ApiException), `statusCode` (its Watch), or 0. */
function httpCodeOf(err: unknown): number {
  const e = err as { code?: unknown; statusCode?: unknown } | null | undefined;
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return 0;
}

/**
 * The error for an API response that is not 2xx: `what` (`GET /api/v1/...`) leads the message, the Status
 * body gives reason, message and causes.
 */
export function apiErrorFromResponse(code: number, body: unknown, what: string): ApiError {
  const status = parseStatus(body);
  const message = shorten(`${what}: ${code} ${status.message ?? ''}`.trim());
  return new ApiError(reasonFor(code, status.reason), code, message, {
    ...(status.reason ? { statusReason: status.reason } : {}),
    causes: causesOf(status),
  });
}

/** The error a watch's ERROR event carries: its Status object (`code` 410 = Gone, and so on). */
export function apiErrorFromWatchStatus(status: unknown, what: string): ApiError {
  const s = parseStatus(status);
  return apiErrorFromResponse(typeof s.code === 'number' ? s.code : 0, s, what);
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
