import { matchesAny } from './glob.js';
import { isPrefixedKey } from './keys.js';
import type { KubeObject } from './types.js';

/** Secret types that belong to one namespace's machinery and are never mirrored. */
const NEVER_MIRRORED_SECRET_TYPES: ReadonlyMap<string, string> = new Map([
  ['kubernetes.io/service-account-token', 'service account tokens are bound to their namespace'],
  ['bootstrap.kubernetes.io/token', 'bootstrap tokens belong to kube-system'],
  ['helm.sh/release.v1', 'Helm release records would corrupt Helm state in the target'],
]);

/** Why this object may never be mirrored whatever its annotations say, or null. */
export function neverMirrorReason(source: KubeObject): string | null {
  if (source.kind !== 'Secret' || source.apiVersion !== 'v1') return null;
  const type = typeof source.type === 'string' ? source.type : '';
  const why = NEVER_MIRRORED_SECRET_TYPES.get(type);
  return why ? `Secret type ${type} is never mirrored: ${why}` : null;
}

/**
 * The labels or annotations that may be copied to a mirror: every key except `P/*` and the strip list
 * (globs over keys, e.g. `helm.sh/*`).
 */
export function copyableKeys(
  map: Record<string, string> | undefined,
  prefix: string,
  stripKeys: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(map ?? {})) {
    if (isPrefixedKey(k, prefix) || matchesAny(stripKeys, k)) continue;
    out[k] = v;
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Per-kind sanitising, in place: drops what the API server allocates per object and would refuse or
 * collide on in another namespace. Service: allocated `clusterIP`/`clusterIPs` (a headless `None` is kept,
 * it is intent), `ports[].nodePort`, `healthCheckNodePort`.
 */
export function sanitizeInPlace(obj: KubeObject): void {
  if (obj.kind === 'Service' && obj.apiVersion === 'v1' && isRecord(obj.spec)) {
    const spec = obj.spec;
    if (spec.clusterIP !== 'None') delete spec.clusterIP;
    if (!(Array.isArray(spec.clusterIPs) && spec.clusterIPs.length === 1 && spec.clusterIPs[0] === 'None'))
      delete spec.clusterIPs;
    delete spec.healthCheckNodePort;
    if (Array.isArray(spec.ports)) for (const p of spec.ports) if (isRecord(p)) delete p.nodePort;
  }
}

/**
 * Puts an object in the shape the API server returns it, in place, so what we write hashes the same as
 * what we read back: a Secret's `stringData` is folded into `data` (base64, overriding `data` like the
 * server does), `data` values are re-encoded canonically, and a missing `type` becomes `Opaque`.
 */
export function normalizeInPlace(obj: KubeObject): void {
  if (obj.kind !== 'Secret' || obj.apiVersion !== 'v1') return;
  const data: Record<string, string> = {};
  if (isRecord(obj.data)) {
    for (const [k, v] of Object.entries(obj.data))
      if (typeof v === 'string') data[k] = Buffer.from(v, 'base64').toString('base64');
  }
  if (isRecord(obj.stringData)) {
    for (const [k, v] of Object.entries(obj.stringData))
      if (typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64');
  }
  delete obj.stringData;
  if (isRecord(obj.data) || Object.keys(data).length > 0) obj.data = data;
  if (obj.type === undefined || obj.type === '') obj.type = 'Opaque';
}
