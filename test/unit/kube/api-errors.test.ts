import { describe, expect, it } from 'vitest';
import {
  ApiError,
  apiErrorFromResponse,
  apiErrorFromWatchStatus,
  classifyApiError,
} from '../../../src/kube/api-errors.js';
import { statusCodeOf } from '../../../src/runtime/list-watch.js';

describe('one API error type', () => {
  it('turns a response Status into an ApiError with reason, code and causes', () => {
    const err = apiErrorFromResponse(
      422,
      {
        kind: 'Status',
        reason: 'Invalid',
        message: 'Secret "s" is invalid: type: field is immutable',
        details: { causes: [{ field: 'type', reason: 'FieldValueInvalid', message: 'field is immutable' }] },
      },
      'PUT /api/v1/namespaces/a/secrets/s',
    );
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ reason: 'Invalid', code: 422, statusReason: 'Invalid' });
    expect(err.message).toMatch(/^PUT \/api\/v1\/namespaces\/a\/secrets\/s: 422 Secret "s" is invalid/);
    expect(err.isImmutableField()).toBe(true);
    expect(classifyApiError(err)).toBe(err);
  });

  it('tells AlreadyExists from a resourceVersion Conflict (both 409)', () => {
    expect(apiErrorFromResponse(409, { reason: 'AlreadyExists' }, 'POST x').reason).toBe('AlreadyExists');
    expect(apiErrorFromResponse(409, { reason: 'Conflict' }, 'PUT x').reason).toBe('Conflict');
  });

  it('makes a watch ERROR event an error whose code the informer reads as Gone', () => {
    const err = apiErrorFromWatchStatus(
      { kind: 'Status', code: 410, reason: 'Expired', message: 'too old' },
      'W',
    );
    expect(err.reason).toBe('Gone');
    expect(statusCodeOf(err)).toBe(410);
  });

  it('classifies client-node Watch errors (statusCode), socket errors and anything else', () => {
    expect(classifyApiError(Object.assign(new Error('Forbidden'), { statusCode: 403 })).reason).toBe(
      'Forbidden',
    );
    expect(
      classifyApiError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).reason,
    ).toBe('Transient');
    expect(classifyApiError(new Error('what')).reason).toBe('Unknown');
    expect(statusCodeOf(new Error('what'))).toBeUndefined();
  });
});
