import { KubemirrorError } from '../core/errors.js';

/** A `metav1.Status` failure body as the real API server returns it. */
export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  /** absent for errors that are not API statuses (StatusReasonUnknown), as the real server omits it */
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: { reason?: string; message: string; field?: string }[];
  retryAfterSeconds?: number;
}

/** An API failure with the HTTP code, `Status.reason` and details a real kube-apiserver would send. */
export class ApiError extends KubemirrorError {
  readonly code: number;
  readonly details: StatusDetails | undefined;
  constructor(code: number, reason: string, message: string, details?: StatusDetails) {
    super(reason, message);
    this.code = code;
    this.details = details;
  }

  toStatus(): StatusBody {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      ...(this.reason ? { reason: this.reason } : {}),
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** `group` '' for core resources; `resource` is the plural, as in `secrets "x" not found`. */
export interface ResourceRef {
  group: string;
  plural: string;
}

function qualified(r: ResourceRef): string {
  return r.group === '' ? r.plural : `${r.plural}.${r.group}`;
}

/** StatusDetails.group is `omitempty`: the core group is not written at all */
const groupOf = (group: string) => (group === '' ? {} : { group });

export const apiErrors = {
  notFound(r: ResourceRef, name: string): ApiError {
    return new ApiError(404, 'NotFound', `${qualified(r)} "${name}" not found`, {
      name,
      ...groupOf(r.group),
      kind: r.plural,
    });
  },
  alreadyExists(r: ResourceRef, name: string): ApiError {
    return new ApiError(409, 'AlreadyExists', `${qualified(r)} "${name}" already exists`, {
      name,
      ...groupOf(r.group),
      kind: r.plural,
    });
  },
  conflict(r: ResourceRef, name: string, why?: string): ApiError {
    const reason =
      why ?? 'the object has been modified; please apply your changes to the latest version and try again';
    return new ApiError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualified(r)} "${name}": ${reason}`,
      {
        name,
        ...groupOf(r.group),
        kind: r.plural,
      },
    );
  },
  /** 422; `kind` is the Kind (not the resource), as the real server reports it. */
  invalid(
    group: string,
    kind: string,
    name: string,
    causes: { field: string; message: string; type?: string }[],
  ): ApiError {
    // field.ErrorList.ToAggregate: each distinct message once, in order
    const list = [...new Set(causes.map((c) => `${c.field}: ${c.message}`))];
    const summary = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
    return new ApiError(
      422,
      'Invalid',
      `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${summary}`,
      {
        ...(name === '' ? {} : { name }),
        ...groupOf(group),
        ...(kind === '' ? {} : { kind }),
        causes: causes.map((c) => ({
          reason: c.type ?? 'FieldValueInvalid',
          message: c.message,
          field: c.field,
        })),
      },
    );
  },
  forbidden(r: ResourceRef, name: string, why: string): ApiError {
    return new ApiError(403, 'Forbidden', `${qualified(r)} "${name}" is forbidden: ${why}`, {
      name,
      ...groupOf(r.group),
      kind: r.plural,
    });
  },
  badRequest(message: string): ApiError {
    return new ApiError(400, 'BadRequest', message);
  },
  expired(message: string): ApiError {
    return new ApiError(410, 'Expired', message);
  },
  methodNotAllowed(): ApiError {
    return new ApiError(
      405,
      'MethodNotAllowed',
      'the server does not allow this method on the requested resource',
    );
  },
  /** `accepted`: what the endpoint decodes (custom resources: no protobuf) */
  unsupportedMediaType(
    accepted = 'application/json, application/yaml, application/vnd.kubernetes.protobuf',
  ): ApiError {
    return new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${accepted}`,
    );
  },
  unauthorized(): ApiError {
    return new ApiError(401, 'Unauthorized', 'Unauthorized');
  },
  pathNotFound(): ApiError {
    return new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  },
  injected(code: 500 | 429 | 409 | 503 | 403): ApiError {
    switch (code) {
      case 403:
        return new ApiError(403, 'Forbidden', 'access denied by an RBAC rule (injected fault)');
      case 429:
        return new ApiError(
          429,
          'TooManyRequests',
          'the server has received too many requests and has asked us to try again later (injected fault)',
          {
            retryAfterSeconds: 1,
          },
        );
      case 409:
        return new ApiError(
          409,
          'Conflict',
          'Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again (injected fault)',
        );
      case 503:
        return new ApiError(
          503,
          'ServiceUnavailable',
          'the server is currently unable to handle the request (injected fault)',
        );
      default:
        return new ApiError(500, 'InternalError', 'Internal error occurred: injected fault');
    }
  },
};
