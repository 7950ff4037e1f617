/**
 * field.Error as the real API server renders it (k8s.io/apimachinery/pkg/util/validation/field/errors.go:
 * `ErrorBody`) and the message helpers of k8s.io/apimachinery/pkg/util/validation/validation.go.
 */
export interface Cause {
  field: string;
  message: string;
  type?: string;
}

/**
 * field.Error's rendering of a bad value (ErrorBody): strings quoted, numbers/bools bare, anything else as its JSON
 * (json.Marshal, so `["a"]` for a []string).
 */
export function goValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

export const fieldErrors = {
  invalid: (field: string, value: unknown, detail: string): Cause => ({
    field,
    message: `Invalid value: ${goValue(value)}: ${detail}`,
    type: 'FieldValueInvalid',
  }),
  required: (field: string, detail = ''): Cause => ({
    field,
    message: detail ? `Required value: ${detail}` : 'Required value',
    type: 'FieldValueRequired',
  }),
  forbidden: (field: string, detail: string): Cause => ({
    field,
    message: `Forbidden: ${detail}`,
    type: 'FieldValueForbidden',
  }),
  notSupported: (field: string, value: unknown, supported: string[]): Cause => ({
    field,
    message: `Unsupported value: ${goValue(value)}: supported values: ${supported.map((s) => `"${s}"`).join(', ')}`,
    type: 'FieldValueNotSupported',
  }),
  duplicate: (field: string, value: unknown): Cause => ({
    field,
    message: `Duplicate value: ${goValue(value)}`,
    type: 'FieldValueDuplicate',
  }),
  tooLong: (field: string, max: number): Cause => ({
    field,
    message: `Too long: may not be more than ${max} bytes`,
    type: 'FieldValueTooLong',
  }),
};

/** validation.RegexError: the message, the examples and the regex. */
export function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${fmt}')`;
}

const maxLen = (n: number) => `must be no more than ${n} characters`;
/** apimachinery api/validate/content (label keys and values since 1.35) counts bytes */
const maxBytes = (n: number) => `must be no more than ${n} bytes`;

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;
const CONFIG_MAP_KEY_FMT = '[-._a-zA-Z0-9]+';
const whole = (fmt: string) => new RegExp(`^${fmt}$`);

export function isDns1123Label(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push(maxLen(63));
  // a valid subdomain that is no valid label (length already checked): it has dots
  if (!whole(DNS1123_LABEL_FMT).test(v) && whole(DNS1123_SUBDOMAIN_FMT).test(v))
    errs.push('must not contain dots');
  else if (!whole(DNS1123_LABEL_FMT).test(v))
    errs.push(
      regexError(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
        DNS1123_LABEL_FMT,
        'my-name',
        '123-abc',
      ),
    );
  return errs;
}

export function isDns1123Subdomain(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 253) errs.push(maxLen(253));
  if (!whole(DNS1123_SUBDOMAIN_FMT).test(v))
    errs.push(
      regexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        DNS1123_SUBDOMAIN_FMT,
        'example.com',
      ),
    );
  return errs;
}

export function isDns1035Label(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push(maxLen(63));
  if (!whole(DNS1035_LABEL_FMT).test(v))
    errs.push(
      regexError(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
        DNS1035_LABEL_FMT,
        'my-name',
        'abc-123',
      ),
    );
  return errs;
}

/** content.IsLabelKey (validation.IsQualifiedName): label keys and (lower-cased) annotation keys. */
export function isQualifiedName(v: string): string[] {
  const errs: string[] = [];
  const parts = v.split('/');
  let name: string;
  const keyRegex = () =>
    regexError(
      "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
      QUALIFIED_NAME_FMT,
      'MyName',
      'my.name',
      '123-abc',
    );
  if (parts.length === 1) name = parts[0]!;
  else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else errs.push(...isDns1123SubdomainContent(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [
      `a valid label key ${keyRegex()} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (Buffer.byteLength(name) > 63) errs.push(`name part ${maxBytes(63)}`);
  if (!whole(QUALIFIED_NAME_FMT).test(name)) errs.push(`name part ${keyRegex()}`);
  return errs;
}

/** content.IsDNS1123Subdomain: the label key prefix's rule (bytes in its length message) */
function isDns1123SubdomainContent(v: string): string[] {
  return isDns1123Subdomain(v).map((m) => (m === maxLen(253) ? maxBytes(253) : m));
}

export function isValidLabelValue(v: string): string[] {
  const errs: string[] = [];
  if (Buffer.byteLength(v) > 63) errs.push(maxBytes(63));
  if (!whole(LABEL_VALUE_FMT).test(v))
    errs.push(
      regexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        LABEL_VALUE_FMT,
        'MyValue',
        'my_value',
        '12345',
      ),
    );
  return errs;
}

/** validation.IsConfigMapKey (Secret and ConfigMap keys). */
export function isConfigMapKey(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 253) errs.push(maxLen(253));
  if (!whole(CONFIG_MAP_KEY_FMT).test(v))
    errs.push(
      regexError(
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
        CONFIG_MAP_KEY_FMT,
        'key.name',
        'KEY_NAME',
        'key-name',
      ),
    );
  if (v === '.') errs.push("must not be '.'");
  else if (v === '..') errs.push("must not be '..'");
  else if (v.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

export function isValidPortNum(p: number): string[] {
  return Number.isInteger(p) && p >= 1 && p <= 65535 ? [] : ['must be between 1 and 65535, inclusive'];
}

export function isValidPortName(p: string): string[] {
  const errs: string[] = [];
  if (p.length > 15) errs.push(maxLen(15));
  if (!/^[-a-z0-9]+$/.test(p))
    errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(p)) errs.push('must contain at least one letter (a-z)');
  if (p.includes('--')) errs.push('must not contain consecutive hyphens');
  if (p.length > 0 && (p.startsWith('-') || p.endsWith('-')))
    errs.push('must not begin or end with a hyphen');
  return errs;
}
