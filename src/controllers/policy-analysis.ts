import type { Config } from '../config/config.js';
import type { CompiledTransform } from '../core/decide.js';
import { globMatch } from '../core/glob.js';
import { type MirrorPolicyView, readMirrorPolicy } from '../core/mirror-policy.js';
import type { PolicyProblem } from '../core/mirror-policy-status.js';
import { resourceDenyReason } from '../core/resource-policy.js';
import { type TransformCache, transformFor } from '../core/transform-cache.js';
import type { KubeObject } from '../core/types.js';
import type { ResolvedSelection } from './policy-selections.js';
import { transformLimits } from './target-policy.js';
import type { WatchedType } from './watched-type.js';

/** What a policy asks for, checked against the types the controller watches. */
export interface PolicyAnalysis {
  view: MirrorPolicyView;
  resolved: ResolvedSelection[];
  problems: PolicyProblem[];
  transform: CompiledTransform;
}

/**
 * What a MirrorPolicy asks for, checked against the controller's configuration and the types it watches: each
 * selection resolved to a watched type, or a problem (invalid spec, a namespace that may not publish, a denied or
 * unserved kind, a transform that does not compile). A policy with a problem writes and deletes nothing.
 */
export function analyzePolicy(
  policy: KubeObject,
  ctx: { config: Config; watchedTypes: WatchedType[]; prefix: string; transforms: TransformCache },
): PolicyAnalysis {
  const cfg = ctx.config;
  const view = readMirrorPolicy(policy);
  const problems: PolicyProblem[] = view.errors.map((message) => ({ reason: 'InvalidSpec', message }));
  const resolved: ResolvedSelection[] = [];
  const ns = policy.metadata.namespace ?? '';
  const mayPublish = cfg.sourceNamespaces.length === 0 || cfg.sourceNamespaces.some((p) => globMatch(p, ns));
  if (!mayPublish)
    problems.unshift({
      reason: 'Refused',
      message: `namespace ${ns} may not publish sources (controller source-namespaces: ${cfg.sourceNamespaces.join(',')})`,
    });
  for (const s of view.selections) {
    const named = `${s.kind} (${s.apiVersion})`;
    const candidates = ctx.watchedTypes.filter((w) => w.type.group === s.group && w.type.kind === s.kind);
    const w = candidates.find((c) => c.type.version === s.version) ?? candidates[0];
    const denied = w ? w.denied : resourceDenyReason({ group: s.group, kind: s.kind }, false);
    if (denied) problems.unshift({ reason: 'Refused', message: `${named}: ${denied}` });
    else if (!w)
      problems.push({
        reason: 'KindNotServed',
        message: `${named} is not served by the API server, or not among the controller's resource types`,
      });
    else if (mayPublish) resolved.push({ typeId: w.id, type: w.type, selection: s });
  }
  const transform = transformFor(ctx.transforms, view.spec, transformLimits(cfg), ctx.prefix);
  if (!transform.ok) problems.push({ reason: 'TransformFailed', message: transform.error });
  return { view, resolved, problems, transform };
}
