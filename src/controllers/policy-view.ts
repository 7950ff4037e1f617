import type { CompiledTransform } from '../core/decide.js';
import { type MirrorKeys, withPolicy } from '../core/keys.js';
import { governanceOf, type PolicyRef } from '../core/mirror-policy.js';
import type { SourceSpec } from '../core/source-spec.js';
import type { KubeObject } from '../core/types.js';
import type { PolicyAnalysis } from './policy-analysis.js';
import type { PolicySourceRef } from './source-key.js';

/** What the source reconciler may do with one object a policy selects (SPEC §11). */
export type PolicySourceView =
  /** the caches cannot tell yet (policies or their selections not listed, finalizer not on): a later event brings it back */
  | { state: 'wait'; why: string }
  /** the policy has a problem (invalid, refused or unserved kind, bad transform): nothing is written or deleted */
  | { state: 'frozen'; policy: KubeObject; why: string }
  /** this policy governs the object: decided with `spec` and `keys` (which mark its mirrors `P/policy`) */
  | {
      state: 'governed';
      policy: KubeObject;
      object: KubeObject;
      spec: SourceSpec;
      keys: MirrorKeys;
      transform: CompiledTransform;
    }
  /**
   * this policy does not (or no longer) govern the object: the mirrors it made of it are removed. `skipped` when
   * it still selects the object (its own annotations or an older policy govern it): reported, never an error.
   */
  | {
      state: 'released';
      policy?: KubeObject;
      object?: KubeObject;
      keys: MirrorKeys;
      why: string;
      lastSeenUid?: string;
      skipped?: { why: string; olderPolicy?: string };
    };

/** What policySourceView reads from the caches, for one selected object. */
export interface PolicyViewInputs {
  keys: MirrorKeys;
  /** whether the controller puts its finalizer on sources (a governed policy must carry it first) */
  finalizers: boolean;
  policiesListed: boolean;
  policy: KubeObject | undefined;
  analyze: (policy: KubeObject) => PolicyAnalysis;
  /** whether every policy of the object's namespace has listed its selections */
  namespaceListed: () => boolean;
  /** the object as this policy's selection sees it, if it selects it */
  selected: () => KubeObject | undefined;
  /** the policies of the namespace that select the object now */
  selecting: () => PolicyRef[];
  lastSeenUid: string | undefined;
}

/**
 * Who governs one object a policy selects (SPEC §11), from the caches only: the object's own annotations first,
 * then the oldest policy selecting it. A deleted, deleting or no-longer-selecting policy releases its mirrors; a
 * policy with a problem freezes them; what the caches cannot tell yet waits for the event that will.
 */
export function policySourceView(ref: PolicySourceRef, c: PolicyViewInputs): PolicySourceView {
  const keys = withPolicy(c.keys, ref.policy);
  const seen = c.lastSeenUid ? { lastSeenUid: c.lastSeenUid } : {};
  if (!c.policiesListed) return { state: 'wait', why: 'MirrorPolicies not listed yet' };
  const policy = c.policy;
  if (!policy) return { state: 'released', keys, why: 'policy deleted', ...seen };
  if (policy.metadata.deletionTimestamp) {
    // with our finalizer on, the policy reconciler deletes every mirror of it before letting it go: deleting
    // them here too would send each DELETE twice
    if ((policy.metadata.finalizers ?? []).includes(c.keys.finalizer))
      return { state: 'wait', why: 'policy being deleted: its own cleanup removes the mirrors' };
    return { state: 'released', policy, keys, why: 'policy being deleted', ...seen };
  }
  const analysis = c.analyze(policy);
  if (analysis.problems.length > 0)
    return { state: 'frozen', policy, why: analysis.problems[0]?.message ?? 'invalid' };
  // who governs is decided on what every policy of the namespace selects: one not listed yet may be the older
  if (!c.namespaceListed()) return { state: 'wait', why: 'selections not listed yet' };
  const object = c.selected();
  if (!object) return { state: 'released', policy, keys, why: 'no longer selected', ...seen };
  const gov = governanceOf(object, c.selecting(), c.keys);
  if (gov.governor === 'annotations')
    return {
      state: 'released',
      policy,
      object,
      keys,
      why: 'governed by its own annotations',
      ...seen,
      skipped: { why: `governed by its own ${c.keys.sync} annotation` },
    };
  if (gov.governor === 'policy' && gov.policy !== ref.policy)
    return {
      state: 'released',
      policy,
      object,
      keys,
      why: `governed by the older MirrorPolicy ${gov.policy}`,
      ...seen,
      skipped: {
        why: `also selected by the older MirrorPolicy ${gov.policy}, which governs it`,
        olderPolicy: gov.policy,
      },
    };
  if (c.finalizers && !(policy.metadata.finalizers ?? []).includes(c.keys.finalizer))
    return { state: 'wait', why: 'policy finalizer not added yet' };
  return { state: 'governed', policy, object, spec: analysis.view.spec, keys, transform: analysis.transform };
}
