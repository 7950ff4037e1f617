import type { KubeObject } from '../../core/types.js';
import {
  type Cause,
  fieldErrors,
  isConfigMapKey,
  isDns1123Label,
  isValidPortName,
  isValidPortNum,
} from './field-errors.js';

/**
 * Per-kind validation of pkg/apis/core/validation/validation.go: ValidateConfigMap, ValidateSecret and
 * ValidateService (validateServicePort, ValidatePortNumOrName). Runs on what would be stored, so after
 * Secret stringData folding, as the real server validates after defaulting.
 */
const MAX_SECRET_SIZE = 1024 * 1024;

type StrMap = Record<string, string>;
const byteLength = (b64: string) => Buffer.from(b64, 'base64').length;

export function configMapCauses(obj: KubeObject): Cause[] {
  const causes: Cause[] = [];
  const data = (obj.data ?? {}) as StrMap;
  const binary = (obj.binaryData ?? {}) as StrMap;
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    for (const m of isConfigMapKey(k)) causes.push(fieldErrors.invalid(`data[${k}]`, k, m));
    if (Object.hasOwn(binary, k))
      causes.push(fieldErrors.invalid(`data[${k}]`, k, 'duplicate of key present in binaryData'));
    total += Buffer.byteLength(String(v));
  }
  for (const [k, v] of Object.entries(binary)) {
    for (const m of isConfigMapKey(k)) causes.push(fieldErrors.invalid(`binaryData[${k}]`, k, m));
    // the real server reports this one under data[...] too
    if (Object.hasOwn(data, k))
      causes.push(fieldErrors.invalid(`data[${k}]`, k, 'duplicate of key present in data'));
    total += byteLength(String(v));
  }
  if (total > MAX_SECRET_SIZE) causes.push(fieldErrors.tooLong('', MAX_SECRET_SIZE));
  return causes;
}

/** Go's json.Unmarshal(..., &map[string]interface{}{}) error for the docker config keys. */
function jsonObjectError(text: string): string | undefined {
  try {
    const v: unknown = JSON.parse(text);
    if (v === null || (typeof v === 'object' && !Array.isArray(v))) return undefined;
    const kind = Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'bool' : typeof v;
    return `json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`;
  } catch {
    const trimmed = text.trim();
    if (trimmed === '') return 'unexpected end of JSON input';
    return `invalid character '${trimmed[0]}' looking for beginning of value`;
  }
}

export function secretCauses(obj: KubeObject): Cause[] {
  const causes: Cause[] = [];
  const data = (obj.data ?? {}) as StrMap;
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    for (const m of isConfigMapKey(k)) causes.push(fieldErrors.invalid(`data[${k}]`, k, m));
    total += byteLength(String(v));
  }
  if (total > MAX_SECRET_SIZE) causes.push(fieldErrors.tooLong('data', MAX_SECRET_SIZE));
  const has = (k: string) => Object.hasOwn(data, k);
  const decoded = (k: string) => Buffer.from(String(data[k] ?? ''), 'base64').toString('utf8');
  const jsonKey = (k: string) => {
    if (!has(k)) return causes.push(fieldErrors.required(`data[${k}]`));
    const err = jsonObjectError(decoded(k));
    if (err) causes.push(fieldErrors.invalid(`data[${k}]`, '<secret contents redacted>', err));
  };
  switch (obj.type) {
    case 'kubernetes.io/service-account-token': {
      const name = obj.metadata.annotations?.['kubernetes.io/service-account.name'];
      if (!name)
        causes.push(fieldErrors.required('metadata.annotations[kubernetes.io/service-account.name]'));
      break;
    }
    case 'kubernetes.io/dockercfg':
      jsonKey('.dockercfg');
      break;
    case 'kubernetes.io/dockerconfigjson':
      jsonKey('.dockerconfigjson');
      break;
    case 'kubernetes.io/basic-auth':
      if (!has('username') && !has('password'))
        causes.push(fieldErrors.required('data[username]'), fieldErrors.required('data[password]'));
      break;
    case 'kubernetes.io/ssh-auth':
      if (byteLength(String(data['ssh-privatekey'] ?? '')) === 0)
        causes.push(fieldErrors.required('data[ssh-privatekey]'));
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) causes.push(fieldErrors.required('data[tls.crt]'));
      if (!has('tls.key')) causes.push(fieldErrors.required('data[tls.key]'));
      break;
    default:
  }
  return causes;
}

interface ServicePort {
  name?: string;
  protocol?: string;
  port?: number;
  targetPort?: number | string;
}

export function serviceCauses(obj: KubeObject): Cause[] {
  const causes: Cause[] = [];
  const spec = (obj.spec ?? {}) as { type?: string; clusterIP?: string; ports?: ServicePort[] };
  const ports = spec.ports ?? [];
  const headless = spec.clusterIP === 'None';
  if (ports.length === 0 && !headless && spec.type !== 'ExternalName')
    causes.push(fieldErrors.required('spec.ports'));
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const at = `spec.ports[${i}]`;
    const name = p.name ?? '';
    if (ports.length > 1 && name === '') causes.push(fieldErrors.required(`${at}.name`));
    else if (name !== '') {
      for (const m of isDns1123Label(name)) causes.push(fieldErrors.invalid(`${at}.name`, name, m));
      if (names.has(name)) causes.push(fieldErrors.duplicate(`${at}.name`, name));
      names.add(name);
    }
    for (const m of isValidPortNum(p.port ?? 0))
      causes.push(fieldErrors.invalid(`${at}.port`, p.port ?? 0, m));
    // an empty protocol and a 0/"" targetPort are defaulted (TCP, port) before validation runs
    if (p.protocol && !['SCTP', 'TCP', 'UDP'].includes(p.protocol))
      causes.push(fieldErrors.notSupported(`${at}.protocol`, p.protocol, ['SCTP', 'TCP', 'UDP']));
    const target = p.targetPort;
    if (typeof target === 'number' && target !== 0)
      for (const m of isValidPortNum(target)) causes.push(fieldErrors.invalid(`${at}.targetPort`, target, m));
    if (typeof target === 'string' && target !== '')
      for (const m of isValidPortName(target))
        causes.push(fieldErrors.invalid(`${at}.targetPort`, target, m));
  });
  return causes;
}
