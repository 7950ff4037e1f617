import { globMatch, matchesAny } from './glob.js';
import type { MirrorKeys } from './keys.js';
import { selectorMatches } from './label-selector.js';
import type { SourceSpec } from './source-spec.js';
import type { KubeObject, NamespaceInfo } from './types.js';

/** The controller's namespace policy, taken from Config. */
export interface TargetPolicy {
  keys: MirrorKeys;
  /** globs */
  excludedNamespaces: readonly string[];
  /** globs; empty = all */
  includedNamespaces: readonly string[];
  systemNamespaces: readonly string[];
  /** more targets than this refuses the whole source; 0 or less = no limit */
  maxTargets: number;
  /**
   * the namespaces are another cluster's (SPEC §8): the one named like the source's namespace is a target like
   * any other there (it is not the source's own namespace)
   */
  otherCluster?: boolean;
}

export type TargetResult =
  | { ok: true; targets: string[] }
  | { ok: false; reason: 'TooManyTargets' | 'InvalidSpec'; message: string; count?: number };

/** Why a namespace can never be a target of this source, whatever the spec says; null when it can be. */
function hardExclusion(sourceNs: string | undefined, ns: NamespaceInfo, policy: TargetPolicy): string | null {
  if (ns.name === sourceNs && !policy.otherCluster) return 'source namespace';
  if (ns.terminating) return 'terminating';
  if (matchesAny(policy.excludedNamespaces, ns.name)) return 'excluded by controller';
  if (policy.includedNamespaces.length > 0 && !matchesAny(policy.includedNamespaces, ns.name))
    return 'outside included namespaces';
  const from = ns.annotations[policy.keys.allowMirrorsFrom];
  if (from !== undefined) {
    // Present but blank means "nobody": the namespace owner asked for a restriction.
    const globs = from
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (sourceNs === undefined || !matchesAny(globs, sourceNs))
      return 'allow-mirrors-from does not allow source';
  }
  return null;
}

/**
 * One namespace against one source: the same rules as resolveTargets (minus maxTargets). Used by the
 * namespace → sources index. False for a spec with errors.
 */
export function sourceWantsNamespace(
  source: KubeObject,
  spec: SourceSpec,
  ns: NamespaceInfo,
  policy: TargetPolicy,
): boolean {
  if (spec.errors.length > 0) return false;
  if (hardExclusion(source.metadata.namespace, ns, policy) !== null) return false;
  if (spec.targets.some((e) => e.type === 'exclude' && globMatch(e.pattern, ns.name))) return false;

  if (spec.targets.some((e) => e.type === 'name' && e.name === ns.name)) return true;

  // Wildcard forms (all, all-labeled, globs, selector) never reach system namespaces.
  if (policy.systemNamespaces.includes(ns.name)) return false;
  const optIn = ns.labels[policy.keys.allowMirrors];
  if (optIn === 'true' && spec.targets.some((e) => e.type === 'all-labeled')) return true;
  if (optIn === 'false') return false;
  if (spec.targets.some((e) => e.type === 'all')) return true;
  if (spec.targets.some((e) => e.type === 'glob' && globMatch(e.pattern, ns.name))) return true;
  if (spec.selector && selectorMatches(spec.selector, ns.labels)) return true;
  return false;
}

/**
 * The namespaces a source mirrors into, sorted, among the namespaces that exist. Refuses (ok: false) a spec
 * with errors or more targets than maxTargets; callers must then leave every existing mirror untouched.
 */
export function resolveTargets(
  source: KubeObject,
  spec: SourceSpec,
  namespaces: Iterable<NamespaceInfo>,
  policy: TargetPolicy,
): TargetResult {
  if (spec.errors.length > 0) return { ok: false, reason: 'InvalidSpec', message: spec.errors.join('; ') };
  const targets: string[] = [];
  const seen = new Set<string>();
  for (const ns of namespaces) {
    if (seen.has(ns.name)) continue;
    seen.add(ns.name);
    if (sourceWantsNamespace(source, spec, ns, policy)) targets.push(ns.name);
  }
  targets.sort();
  if (policy.maxTargets > 0 && targets.length > policy.maxTargets) {
    return {
      ok: false,
      reason: 'TooManyTargets',
      count: targets.length,
      message: `${targets.length} targets exceed max-targets ${policy.maxTargets}`,
    };
  }
  return { ok: true, targets };
}
