import { KubemirrorError } from './errors.js';
import type { KubeObject } from './types.js';

/**
 * "Valid before written" (SPEC §2): the desired mirror is brought into the shape its kind accepts, or refused
 * with the field named, before any write. Without this a transform's `value: 8080` in ConfigMap `data` goes
 * out as a number, a real API server answers 400, and the target is retried in a loop.
 *
 * The rules follow the real server: string maps decode only strings (`json: cannot unmarshal number into Go
 * struct field ConfigMap.data of type string`), Secret `data` / ConfigMap `binaryData` are base64, and label
 * keys and values follow apimachinery's `validation.IsQualifiedName` / `IsValidLabelValue`
 * (staging/src/k8s.io/apimachinery/pkg/util/validation/validation.go).
 */
export class InvalidMirrorError extends KubemirrorError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('InvalidMirror', `invalid mirror: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const NAME_PART = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'a map' : `a ${typeof v}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Field path in the notation users write in transform rules: `data.port`, `data["config.yaml"]`. */
function fieldPath(parent: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

/**
 * A map of strings: scalars (numbers, booleans) become their string, as a YAML author meant by `port: 8080`;
 * maps, lists and null are problems naming the field. Returns the coerced map (a new object).
 */
function stringMap(value: unknown, field: string, problems: string[]): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) {
    problems.push(`${field}: must be a map of strings, got ${kindOf(value)}`);
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    else problems.push(`${fieldPath(field, k)}: must be a string, got ${kindOf(v)}`);
  }
  return out;
}

function base64Map(value: Record<string, string> | undefined, field: string, problems: string[]): void {
  for (const [k, v] of Object.entries(value ?? {}))
    if (!BASE64.test(v)) problems.push(`${fieldPath(field, k)}: must be base64 (the value is not shown)`);
}

function qualifiedNameProblem(key: string): string | null {
  const slash = key.lastIndexOf('/');
  const name = slash < 0 ? key : key.slice(slash + 1);
  const prefix = slash < 0 ? '' : key.slice(0, slash);
  if (slash >= 0 && (prefix === '' || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)))
    return 'prefix must be a DNS subdomain of at most 253 characters';
  if (name.length === 0 || name.length > 63 || !NAME_PART.test(name))
    return "name part must be 1-63 characters: alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric";
  return null;
}

function checkLabels(labels: Record<string, string>, problems: string[]): void {
  for (const [k, v] of Object.entries(labels)) {
    const keyProblem = qualifiedNameProblem(k);
    if (keyProblem) problems.push(`metadata.labels[${JSON.stringify(k)}]: invalid key: ${keyProblem}`);
    if (v.length > 63 || !LABEL_VALUE.test(v))
      problems.push(
        `metadata.labels[${JSON.stringify(k)}]: invalid value: at most 63 characters, alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric`,
      );
  }
}

function checkAnnotationKeys(annotations: Record<string, string>, problems: string[]): void {
  for (const k of Object.keys(annotations)) {
    const keyProblem = qualifiedNameProblem(k);
    if (keyProblem) problems.push(`metadata.annotations[${JSON.stringify(k)}]: invalid key: ${keyProblem}`);
  }
}

/** ConfigMap/Secret keys: `validation.IsConfigMapKey` (validation.go): [-._a-zA-Z0-9]+, at most 253, not `.`/`..`. */
const DATA_KEY = /^[-._a-zA-Z0-9]+$/;
const MAX_ANNOTATIONS_BYTES = 256 * 1024;

function checkDataKeys(maps: Array<[string, Record<string, string> | undefined]>, problems: string[]): void {
  const seen = new Map<string, string>();
  for (const [field, map] of maps) {
    for (const k of Object.keys(map ?? {})) {
      if (k.length > 253 || !DATA_KEY.test(k) || k === '.' || k === '..')
        problems.push(
          `${fieldPath(field, k)}: invalid key: at most 253 characters of alphanumerics, '-', '_' or '.', not '.' or '..'`,
        );
      const other = seen.get(k);
      if (other && other !== field)
        problems.push(`${fieldPath(field, k)}: duplicate of ${fieldPath(other, k)}`);
      seen.set(k, field);
    }
  }
}

/** Keys a typed Secret must hold (core/validation ValidateSecret); the transform may have deleted them. */
const REQUIRED_SECRET_KEYS: Readonly<Record<string, readonly string[]>> = {
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/basic-auth': [],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
};

/**
 * Coerces in place what the kind's decoder would coerce for a person (scalars in string maps) and throws
 * `InvalidMirrorError` listing every field the API server would refuse. Problems never quote values: a
 * Secret's would end up in status lines, Events and logs.
 */
export function makeValidInPlace(obj: KubeObject): void {
  const problems: string[] = [];
  const meta = obj.metadata;
  const labels = stringMap(meta.labels, 'metadata.labels', problems);
  if (labels) {
    meta.labels = labels;
    checkLabels(labels, problems);
  }
  const annotations = stringMap(meta.annotations, 'metadata.annotations', problems);
  if (annotations) {
    meta.annotations = annotations;
    checkAnnotationKeys(annotations, problems);
    const size = Object.entries(annotations).reduce(
      (n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v),
      0,
    );
    if (size > MAX_ANNOTATIONS_BYTES)
      problems.push(`metadata.annotations: total size ${size} bytes exceeds the 262144-byte limit`);
  }
  if (obj.apiVersion === 'v1' && obj.kind === 'ConfigMap') {
    const data = stringMap(obj.data, 'data', problems);
    if (data) obj.data = data;
    const binary = stringMap(obj.binaryData, 'binaryData', problems);
    if (binary) {
      obj.binaryData = binary;
      base64Map(binary, 'binaryData', problems);
    }
    checkDataKeys(
      [
        ['data', data],
        ['binaryData', binary],
      ],
      problems,
    );
  }
  if (obj.apiVersion === 'v1' && obj.kind === 'Secret') {
    const data = stringMap(obj.data, 'data', problems);
    if (data) {
      obj.data = data;
      base64Map(data, 'data', problems);
    }
    const stringData = stringMap(obj.stringData, 'stringData', problems);
    if (stringData) obj.stringData = stringData;
    checkDataKeys([['data', data]], problems);
    checkDataKeys([['stringData', stringData]], problems);
    const type = typeof obj.type === 'string' ? obj.type : 'Opaque';
    for (const key of REQUIRED_SECRET_KEYS[type] ?? [])
      if (data?.[key] === undefined && stringData?.[key] === undefined)
        problems.push(`${fieldPath('data', key)}: required for a Secret of type ${type}`);
  }
  if (problems.length > 0) throw new InvalidMirrorError(problems);
}
