import type { KubeObject } from '../../core/types.js';
import {
  type Cause,
  fieldErrors,
  isConfigMapKey,
  isDns1123Label,
  isDns1123Subdomain,
  isValidPortName,
  isValidPortNum,
} from './field-errors.js';
import { goJsonSyntaxError } from './go-json.js';
import { labelCauses } from './object-meta.js';

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
    total += byteLength(String(v));
  }
  // field.NewPath("") names the whole object, which the real server prints as `[]`
  if (total > MAX_SECRET_SIZE) causes.push(fieldErrors.tooLong('[]', MAX_SECRET_SIZE));
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
    return goJsonSyntaxError(text) ?? 'unexpected end of JSON input';
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
  nodePort?: number;
  appProtocol?: string;
}

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const IP_ERROR = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const isIp = (v: string) => IPV4.test(v) || (v.includes(':') && /^[0-9a-fA-F:.]+$/.test(v));
/** the node port range of the sandbox's (and the test control plane's) allocator: kube-apiserver's default */
const NODE_PORTS = [30000, 32767] as const;

type ServiceSpec = {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  externalName?: string;
  ipFamilies?: string[];
  ipFamilyPolicy?: string;
  sessionAffinity?: string;
  selector?: Record<string, unknown>;
  ports?: ServicePort[];
};

/** validateService (pkg/apis/core/validation), with the node port allocator's range check after it. */
export function serviceCauses(obj: KubeObject): Cause[] {
  const causes: Cause[] = [];
  const spec = (obj.spec ?? {}) as ServiceSpec;
  const ports = spec.ports ?? [];
  // v1 → internal conversion: clusterIPs starts with clusterIP when only that is set
  const clusterIPs = spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
  const headless = clusterIPs[0] === 'None';
  if (ports.length === 0 && !headless && spec.type !== 'ExternalName')
    causes.push(fieldErrors.required('spec.ports'));
  if (spec.type === 'ExternalName') {
    if (clusterIPs.length > 0)
      causes.push(fieldErrors.forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    if (spec.ipFamilies?.length)
      causes.push(fieldErrors.forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
    if (spec.ipFamilyPolicy)
      causes.push(fieldErrors.forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
    const cname = (spec.externalName ?? '').replace(/\.$/, '');
    if (cname)
      for (const m of isDns1123Subdomain(cname))
        causes.push(fieldErrors.invalid('spec.externalName', cname, m));
    else causes.push(fieldErrors.required('spec.externalName'));
  }
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
    // protocol and targetPort are defaulted (TCP, port) before validation runs
    if (p.protocol && !['SCTP', 'TCP', 'UDP'].includes(p.protocol))
      causes.push(fieldErrors.notSupported(`${at}.protocol`, p.protocol, ['SCTP', 'TCP', 'UDP']));
    const target = p.targetPort;
    if (typeof target === 'number')
      for (const m of isValidPortNum(target)) causes.push(fieldErrors.invalid(`${at}.targetPort`, target, m));
    if (typeof target === 'string')
      for (const m of isValidPortName(target))
        causes.push(fieldErrors.invalid(`${at}.targetPort`, target, m));
  });
  if (spec.selector) causes.push(...labelCauses(spec.selector, 'spec.selector'));
  if (spec.type !== 'ExternalName')
    clusterIPs.forEach((ip, i) => {
      if (i === 0 && ip === 'None') return;
      if (!isIp(ip)) causes.push(fieldErrors.invalid(`spec.clusterIPs[${i}]`, ip, IP_ERROR));
    });
  if (!spec.type) causes.push(fieldErrors.required('spec.type'));
  else if (!SERVICE_TYPES.includes(spec.type))
    causes.push(fieldErrors.notSupported('spec.type', spec.type, SERVICE_TYPES));
  if (spec.type === 'ClusterIP')
    ports.forEach((p, i) => {
      if (p.nodePort)
        causes.push(
          fieldErrors.forbidden(`spec.ports[${i}].nodePort`, "may not be used when `type` is 'ClusterIP'"),
        );
    });
  if (causes.length === 0 && (spec.type === 'NodePort' || spec.type === 'LoadBalancer'))
    ports.forEach((p, i) => {
      if (p.nodePort && (p.nodePort < NODE_PORTS[0] || p.nodePort > NODE_PORTS[1]))
        causes.push(
          fieldErrors.invalid(
            `spec.ports[${i}].nodePort`,
            p.nodePort,
            `provided port is not in the valid range. The range of valid ports is ${NODE_PORTS[0]}-${NODE_PORTS[1]}`,
          ),
        );
    });
  return causes;
}

/** ValidateServiceStatusUpdate: load balancer ingress only on a LoadBalancer service */
export function serviceStatusCauses(obj: KubeObject): Cause[] {
  const spec = (obj.spec ?? {}) as ServiceSpec;
  const status = (obj.status ?? {}) as { loadBalancer?: { ingress?: unknown[] } };
  if (spec.type !== 'LoadBalancer' && (status.loadBalancer?.ingress?.length ?? 0) > 0)
    return [
      fieldErrors.forbidden(
        'status.loadBalancer.ingress',
        "may only be used when `spec.type` is 'LoadBalancer'",
      ),
    ];
  return [];
}
