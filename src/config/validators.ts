/** Checks for single setting values. Each returns a problem sentence, or undefined when the value is fine. */
import { globProblem } from '../core/glob.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const KIND = /^[A-Z][A-Za-z0-9]*$/;
const VERSION = /^v[1-9][0-9]*((alpha|beta)[1-9][0-9]*)?$/;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export const LOG_FORMATS = ['text', 'json'] as const;

/** RFC 1123 label: namespaces. */
export function checkDnsLabel(value: string): string | undefined {
  if (value.length > 63 || !DNS_LABEL.test(value)) {
    return `"${value}" is not a valid DNS label (lowercase letters, digits and '-', at most 63 characters)`;
  }
  return undefined;
}

/** RFC 1123 subdomain: annotation prefixes, API groups, Lease and ConfigMap names. */
export function checkDnsSubdomain(value: string): string | undefined {
  const ok = value.length > 0 && value.length <= 253 && value.split('.').every((l) => DNS_LABEL.test(l));
  return ok
    ? undefined
    : `"${value}" is not a valid DNS subdomain (lowercase labels of letters, digits and '-' separated by '.')`;
}

/** `Kind.version[.group]`, e.g. `Secret.v1`, `Ingress.v1.networking.k8s.io`. */
export function checkResourceType(value: string): string | undefined {
  const [kind = '', version = '', ...group] = value.split('.');
  const bad =
    !KIND.test(kind) ||
    !VERSION.test(version) ||
    (group.length > 0 && checkDnsSubdomain(group.join('.')) !== undefined);
  return bad
    ? `"${value}" is not a resource type (expected Kind.version[.group], e.g. Secret.v1 or Ingress.v1.networking.k8s.io)`
    : undefined;
}

/** Namespace globs: `app-*`, `prod-?`, `team-[ab]` or a plain namespace name. */
export function checkNamespaceGlob(value: string): string | undefined {
  if (value.length > 63) return `"${value}" is longer than a namespace name (63)`;
  const problem = globProblem(value);
  return problem ? `"${value}" is not a namespace name or glob: ${problem}` : undefined;
}

/** Label/annotation key globs for the strip list: `helm.sh/*`, `app.kubernetes.io/instance`. */
export function checkKeyGlob(value: string): string | undefined {
  return /^[A-Za-z0-9*?[\]._/-]+$/.test(value) && value.length <= 317
    ? undefined
    : `"${value}" is not a label/annotation key or glob`;
}

/** `host:port`, `:port` (all interfaces), `[::1]:port`; port 0 picks a free port; `0` alone disables. */
export function checkBindAddress(value: string): string | undefined {
  if (value === '0') return undefined;
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/.exec(value);
  if (!m || Number(m[2]) > 65535) {
    return `"${value}" is not a bind address (expected host:port or :port, e.g. :8080 or 127.0.0.1:8080)`;
  }
  return undefined;
}

/** `namespace/name` of the settings ConfigMap; empty means none. */
export function checkConfigMapRef(value: string): string | undefined {
  if (value === '') return undefined;
  const parts = value.split('/');
  if (parts.length !== 2 || checkDnsLabel(parts[0]!) || checkDnsSubdomain(parts[1]!)) {
    return `"${value}" is not a ConfigMap reference (expected namespace/name, e.g. kubemirror-system/kubemirror)`;
  }
  return undefined;
}

export function checkLogLevel(value: string): string | undefined {
  return (LOG_LEVELS as readonly string[]).includes(value)
    ? undefined
    : `"${value}" is not a log level (one of ${LOG_LEVELS.join(', ')})`;
}

export function checkLogFormat(value: string): string | undefined {
  return (LOG_FORMATS as readonly string[]).includes(value)
    ? undefined
    : `"${value}" is not a log format (one of ${LOG_FORMATS.join(', ')})`;
}
