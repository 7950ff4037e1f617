import { ApiError, apiErrors } from '../api-error.js';
import { isObject } from '../json-patches.js';
import { fieldManagerErrors } from '../managed-fields.js';
import { type Cause, fieldErrors } from './field-errors.js';

/**
 * Query and option validation of the real handlers: ValidateCreate/Update/Patch/DeleteOptions
 * (k8s.io/apimachinery/pkg/apis/meta/v1/validation/validation.go), ValidateListOptions
 * (pkg/apis/meta/internalversion/validation/validation.go) and the query decoding of
 * pkg/runtime/conversion.go (ints via strconv.ParseInt, bools "0"/"false" or else true). Each failure
 * is the 422 `XOptions.meta.k8s.io "" is invalid` or the 400 the real server sends.
 */
function invalidOptions(kind: string, causes: Cause[]): ApiError {
  return apiErrors.invalid('meta.k8s.io', kind, '', causes);
}

function dryRunCauses(values: string[]): Cause[] {
  return values.every((v) => v === 'All') ? [] : [fieldErrors.notSupported('dryRun', values, ['All'])];
}

/**
 * ValidateCreateOptions / ValidateUpdateOptions / ValidatePatchOptions (apimachinery meta/v1/validation): fieldManager,
 * dryRun, fieldValidation, and for a patch `force` only with apply and a fieldManager required by apply; every
 * failure in one 422 `XOptions.meta.k8s.io "" is invalid`.
 */
export function parseWriteOptions(
  verb: 'create' | 'update' | 'patch',
  query: URLSearchParams,
  isApply = false,
): { dryRun: boolean; fieldValidation: 'Ignore' | 'Warn' | 'Strict' } {
  const causes: Cause[] = [];
  if (verb === 'patch' && !isApply && query.has('force'))
    causes.push(fieldErrors.forbidden('force', 'may not be specified for non-apply patch'));
  for (const e of fieldManagerErrors(query.get('fieldManager') ?? undefined, isApply)) {
    const [field, ...rest] = e.split(': ');
    const message = rest.join(': ');
    const type = message.startsWith('Required value')
      ? 'FieldValueRequired'
      : message.startsWith('Too long')
        ? 'FieldValueTooLong'
        : 'FieldValueInvalid';
    causes.push({ field: field!, message, type });
  }
  const dryRun = query.getAll('dryRun');
  causes.push(...dryRunCauses(dryRun));
  const raw = query.get('fieldValidation') ?? '';
  if (raw !== '' && raw !== 'Ignore' && raw !== 'Warn' && raw !== 'Strict')
    causes.push(fieldErrors.notSupported('fieldValidation', raw, ['', 'Ignore', 'Strict', 'Warn']));
  const kind = verb === 'create' ? 'CreateOptions' : verb === 'update' ? 'UpdateOptions' : 'PatchOptions';
  if (causes.length > 0) throw invalidOptions(kind, causes);
  return {
    dryRun: dryRun.length > 0,
    fieldValidation: raw === '' ? 'Warn' : (raw as 'Ignore' | 'Warn' | 'Strict'),
  };
}

/** strconv.ParseInt's error text, as DecodeParameters returns it (400 BadRequest). */
export function parseInt64Param(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  if (!/^[+-]?\d+$/.test(raw))
    throw apiErrors.badRequest(`strconv.ParseInt: parsing ${JSON.stringify(raw)}: invalid syntax`);
  const n = BigInt(raw);
  if (n > 9223372036854775807n || n < -9223372036854775808n)
    throw apiErrors.badRequest(`strconv.ParseInt: parsing ${JSON.stringify(raw)}: value out of range`);
  return Number(n);
}

/** Convert_Slice_string_To_bool: absent → undefined, "0"/"false" (any case) → false, anything else true. */
export function parseBoolParam(query: URLSearchParams, name: string): boolean | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  return !(raw === '0' || raw.toLowerCase() === 'false');
}

export interface DeleteOptions {
  dryRun: boolean;
  propagationPolicy?: string;
  orphanDependents?: boolean;
  gracePeriodSeconds?: number;
  preconditions: { uid?: string; resourceVersion?: string };
}

const PROPAGATION = ['Foreground', 'Background', 'Orphan'];

/**
 * DeleteOptions from the body when there is one, else from the query (handlers/delete.go decodes the
 * query only for an empty body), validated like ValidateDeleteOptions. A negative gracePeriodSeconds is
 * accepted and means 1 (registry/rest/delete.go BeforeDelete).
 */
export function parseDeleteOptions(body: unknown, query: URLSearchParams): DeleteOptions {
  let raw: Record<string, unknown>;
  if (body !== undefined) {
    if (!isObject(body)) throw apiErrors.badRequest('the body of a delete must be a DeleteOptions object');
    raw = body;
    const typeError = (f: string, t: string) =>
      apiErrors.badRequest(
        `json: cannot unmarshal ${Array.isArray(raw[f]) ? 'array' : typeof raw[f]} into Go struct field DeleteOptions.${f} of type ${t}`,
      );
    if (
      raw.dryRun !== undefined &&
      raw.dryRun !== null &&
      (!Array.isArray(raw.dryRun) || raw.dryRun.some((v) => typeof v !== 'string'))
    )
      throw typeError('dryRun', '[]string');
    if (raw.propagationPolicy != null && typeof raw.propagationPolicy !== 'string')
      throw typeError('propagationPolicy', 'v1.DeletionPropagation');
    if (raw.orphanDependents != null && typeof raw.orphanDependents !== 'boolean')
      throw typeError('orphanDependents', 'bool');
    if (raw.gracePeriodSeconds != null && !Number.isInteger(raw.gracePeriodSeconds))
      throw typeError('gracePeriodSeconds', 'int64');
    if (raw.preconditions != null && !isObject(raw.preconditions))
      throw typeError('preconditions', 'v1.Preconditions');
  } else {
    raw = {};
    if (query.has('dryRun')) raw.dryRun = query.getAll('dryRun');
    if (query.has('propagationPolicy')) raw.propagationPolicy = query.get('propagationPolicy');
    const orphan = parseBoolParam(query, 'orphanDependents');
    if (orphan !== undefined) raw.orphanDependents = orphan;
    const grace = parseInt64Param(query, 'gracePeriodSeconds');
    if (grace !== undefined) raw.gracePeriodSeconds = grace;
  }
  const dryRun = Array.isArray(raw.dryRun) ? (raw.dryRun as string[]) : [];
  const policy = raw.propagationPolicy == null ? undefined : String(raw.propagationPolicy);
  const orphan = raw.orphanDependents == null ? undefined : Boolean(raw.orphanDependents);
  const causes: Cause[] = [];
  if (orphan !== undefined && policy !== undefined)
    causes.push(
      fieldErrors.invalid(
        'propagationPolicy',
        policy,
        'orphanDependents and deletionPropagation cannot be both set',
      ),
    );
  if (policy !== undefined && !PROPAGATION.includes(policy))
    causes.push(fieldErrors.notSupported('propagationPolicy', policy, [...PROPAGATION, 'nil']));
  causes.push(...dryRunCauses(dryRun));
  if (causes.length > 0) throw invalidOptions('DeleteOptions', causes);
  const pre = isObject(raw.preconditions) ? raw.preconditions : {};
  const grace = typeof raw.gracePeriodSeconds === 'number' ? raw.gracePeriodSeconds : undefined;
  return {
    dryRun: dryRun.length > 0,
    ...(policy !== undefined ? { propagationPolicy: policy } : {}),
    ...(orphan !== undefined ? { orphanDependents: orphan } : {}),
    ...(grace !== undefined ? { gracePeriodSeconds: grace < 0 ? 1 : grace } : {}),
    preconditions: {
      ...(typeof pre.uid === 'string' ? { uid: pre.uid } : {}),
      ...(typeof pre.resourceVersion === 'string' ? { resourceVersion: pre.resourceVersion } : {}),
    },
  };
}

export interface ListOptions {
  watch: boolean;
  resourceVersion: string;
  resourceVersionMatch: string;
  continue: string;
  limit: number | undefined;
  timeoutSeconds: number | undefined;
  sendInitialEvents: boolean | undefined;
  allowWatchBookmarks: boolean;
}

/** Decodes and validates the list/watch query (watch-list is enabled, as it is by default since 1.32). */
export function parseListOptions(query: URLSearchParams, watch: boolean): ListOptions {
  const limit = parseInt64Param(query, 'limit');
  const timeoutSeconds = parseInt64Param(query, 'timeoutSeconds');
  const o: ListOptions = {
    watch,
    resourceVersion: query.get('resourceVersion') ?? '',
    resourceVersionMatch: query.get('resourceVersionMatch') ?? '',
    continue: query.get('continue') ?? '',
    limit: limit !== undefined && limit > 0 ? limit : undefined,
    timeoutSeconds,
    sendInitialEvents: parseBoolParam(query, 'sendInitialEvents'),
    allowWatchBookmarks: parseBoolParam(query, 'allowWatchBookmarks') ?? false,
  };
  const causes: Cause[] = [];
  const match = o.resourceVersionMatch;
  if (!watch) {
    if (match) {
      if (!o.resourceVersion)
        causes.push(
          fieldErrors.forbidden(
            'resourceVersionMatch',
            'resourceVersionMatch is forbidden unless resourceVersion is provided',
          ),
        );
      if (o.continue)
        causes.push(
          fieldErrors.forbidden(
            'resourceVersionMatch',
            'resourceVersionMatch is forbidden when continue is provided',
          ),
        );
      if (match !== 'Exact' && match !== 'NotOlderThan')
        causes.push(fieldErrors.notSupported('resourceVersionMatch', match, ['Exact', 'NotOlderThan', '']));
      if (match === 'Exact' && o.resourceVersion === '0')
        causes.push(
          fieldErrors.forbidden(
            'resourceVersionMatch',
            'resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
          ),
        );
    }
    if (o.sendInitialEvents !== undefined)
      causes.push(fieldErrors.forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  } else {
    if (o.sendInitialEvents !== undefined && match !== 'NotOlderThan')
      causes.push(
        fieldErrors.forbidden(
          'resourceVersionMatch',
          'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
        ),
      );
    if (match) {
      if (o.sendInitialEvents === undefined)
        causes.push(
          fieldErrors.forbidden(
            'resourceVersionMatch',
            'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
          ),
        );
      if (match !== 'NotOlderThan')
        causes.push(fieldErrors.notSupported('resourceVersionMatch', match, ['NotOlderThan']));
      if (o.continue)
        causes.push(
          fieldErrors.forbidden(
            'resourceVersionMatch',
            'resourceVersionMatch is forbidden when continue is provided',
          ),
        );
    }
  }
  if (causes.length > 0) throw invalidOptions('ListOptions', causes);
  if (o.resourceVersion !== '' && !/^\d+$/.test(o.resourceVersion)) {
    // a watch's resourceVersion is parsed by the storage, whose plain error is a 500 without reason
    if (watch)
      throw new ApiError(
        500,
        '',
        `resourceVersion: Invalid value: ${JSON.stringify(o.resourceVersion)}: strconv.ParseUint: parsing ${JSON.stringify(o.resourceVersion)}: invalid syntax`,
      );
    throw apiErrors.badRequest(
      `invalid resource version: resourceVersion: Invalid value: ${JSON.stringify(o.resourceVersion)}: strconv.ParseUint: parsing ${JSON.stringify(o.resourceVersion)}: invalid syntax`,
    );
  }
  return o;
}
