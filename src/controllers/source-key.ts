/** Queue keys name objects, never events: `<typeId>|<namespace>/<name>`. */
export interface SourceRef {
  typeId: string;
  namespace: string;
  name: string;
}

export function sourceKey(typeId: string, namespace: string, name: string): string {
  return `${typeId}|${namespace}/${name}`;
}

export function parseSourceKey(key: string): SourceRef {
  const bar = key.indexOf('|');
  const slash = key.indexOf('/', bar + 1);
  return { typeId: key.slice(0, bar), namespace: key.slice(bar + 1, slash), name: key.slice(slash + 1) };
}

export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/**
 * Keys of MirrorPolicy work (SPEC §11). `policy:<ns>/<policy>` is the policy itself (its finalizer, watches and
 * status: the policy queue); `policy:<ns>/<policy>/<typeId>/<name>` is one object it selects, a source decided
 * by the source reconciler like an annotated one (the source queue).
 */
export interface PolicyRef {
  namespace: string;
  policy: string;
}

export interface PolicySourceRef extends PolicyRef {
  typeId: string;
  name: string;
}

const POLICY = 'policy:';

export function policyKey(namespace: string, policy: string): string {
  return `${POLICY}${namespace}/${policy}`;
}

export function policySourceKey(namespace: string, policy: string, typeId: string, name: string): string {
  return `${POLICY}${namespace}/${policy}/${typeId}/${name}`;
}

export function isPolicyKey(key: string): boolean {
  return key.startsWith(POLICY);
}

/** A policy key (2 parts) or a policy source key (4 parts); null for anything else. */
export function parsePolicyKey(key: string): PolicyRef | PolicySourceRef | null {
  if (!key.startsWith(POLICY)) return null;
  const parts = key.slice(POLICY.length).split('/');
  if (parts.length === 2) return { namespace: parts[0]!, policy: parts[1]! };
  if (parts.length === 4)
    return { namespace: parts[0]!, policy: parts[1]!, typeId: parts[2]!, name: parts[3]! };
  return null;
}

export function isPolicySourceRef(ref: PolicyRef | PolicySourceRef): ref is PolicySourceRef {
  return 'typeId' in ref;
}
