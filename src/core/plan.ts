import type { DesiredMirror } from './desired-mirror.js';
import type { FightState } from './fights.js';
import type { MirrorKeys } from './keys.js';
import { type DriftVerdict, liveDrift, NO_DRIFT } from './live-drift.js';
import { isAsWritten, liveContentHash } from './mirror-summary.js';
import { classifyExisting, isProvablyMirrorOf, type Ownership, writtenByKubemirror } from './ownership.js';
import type { TargetResult } from './targeting.js';
import type { KubeObject } from './types.js';

/** One decision about one target namespace, with the reason that goes into logs, Events and status. */
export type Action =
  | { type: 'create'; namespace: string; desired: KubeObject; hash: string; reason: string }
  | {
      type: 'update';
      namespace: string;
      desired: KubeObject;
      hash: string;
      live: KubeObject;
      /** the live mirror was edited by someone else (counted as a drift correction once written) */
      drift: boolean;
      /** what differs and who changed it, when `drift` */
      verdict: DriftVerdict;
      reason: string;
    }
  /** drifted, but the mirror is fighting another writer and its next repair waits until `retryAt` */
  | {
      type: 'fight';
      namespace: string;
      live: KubeObject;
      fight: FightState;
      verdict: DriftVerdict;
      /** epoch ms */
      retryAt: number;
      reason: string;
    }
  /** delete the live mirror (uid precondition), then create the desired one */
  | {
      type: 'recreate';
      namespace: string;
      desired: KubeObject;
      hash: string;
      live: KubeObject;
      reason: string;
    }
  | { type: 'delete'; namespace: string; live: KubeObject; reason: string }
  | {
      type: 'conflict';
      namespace: string;
      live: KubeObject;
      ownership: Extract<Ownership, 'foreign-unmanaged' | 'foreign-other-source' | 'foreign-unproven'>;
      reason: string;
    }
  | { type: 'noop'; namespace: string; live?: KubeObject; reason: string }
  /** `code` is the machine reason for metrics (TransformFailed, InvalidMirror) */
  | { type: 'error'; namespace: string; reason: string; code?: string };

export type DesiredResult = DesiredMirror | { error: string; code?: string };

export interface PlanInput {
  source: KubeObject;
  /** resolved targets (sorted or not), or the whole TargetResult; a refused result plans nothing */
  targets: readonly string[] | TargetResult;
  /** the desired mirror per target namespace; may return an error (e.g. strict transform) or throw */
  desired: (namespace: string) => DesiredResult;
  /**
   * live objects named like the source that the controller knows of, in any namespace: the mirror cache,
   * possibly plus an unlabelled object learned from a 409. Objects with another name are ignored.
   */
  existingMirrors: readonly KubeObject[];
  /**
   * any other object known to hold the source's name in a target namespace (a mirror of another source, an
   * unmanaged object learned from an AlreadyExists): planned as a conflict without a write
   */
  occupant?: (namespace: string) => KubeObject | undefined;
  keys: MirrorKeys;
  isSourceLive: (ns: string, name: string, uid: string) => boolean;
  /**
   * the resourceVersion the server gave kubemirror's last write of the mirror in this namespace: a live mirror
   * still at it is in sync whatever the server changed on the way in (defaults, pruning, a webhook). Unknown
   * after a restart: then liveDrift judges.
   */
  lastWrite?: (namespace: string) => { resourceVersion: string } | undefined;
  /** the desired hash the API server last refused (400/422) in this namespace, and why: not sent again */
  refused?: (namespace: string) => { hash: string; reason: string } | undefined;
  /** the mirror's fight state (core/fights.ts), if it has one */
  fight?: (namespace: string) => FightState | undefined;
  /** epoch ms, against which fight holds are judged */
  now?: number;
}

const short = (h: string | undefined) => (h ? h.slice(0, 12) : 'none');

function desiredFor(input: PlanInput, ns: string): DesiredResult {
  try {
    return input.desired(ns);
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * Whether a mirror whose recorded hash is the desired one was changed by someone else, cheapest test first:
 * still the resourceVersion (or content) the server stored on our last write; content exactly as recorded;
 * else liveDrift, which tells the server's own changes (defaults, webhooks) from someone else's edits. When the
 * source changed, the write restores everything anyway and is not counted as drift.
 */
function driftOf(
  input: PlanInput,
  ns: string,
  live: KubeObject,
  desired: KubeObject,
  recorded: string | undefined,
): DriftVerdict {
  const memo = input.lastWrite?.(ns);
  if (memo?.resourceVersion === live.metadata.resourceVersion || isAsWritten(live)) return NO_DRIFT;
  const actual = liveContentHash(live, input.keys);
  if (actual === recorded) return NO_DRIFT;
  return liveDrift(desired, live, input.keys);
}

function planTarget(input: PlanInput, ns: string, live: KubeObject | undefined): Action {
  const { source, keys } = input;
  let ownership: Ownership | undefined;
  if (live) {
    ownership = classifyExisting(live, source, keys, input.isSourceLive);
    if (ownership === 'foreign-unmanaged')
      return {
        type: 'conflict',
        namespace: ns,
        live,
        ownership,
        reason: 'an object not managed by kubemirror exists',
      };
    if (ownership === 'foreign-unproven') {
      const a = live.metadata.annotations ?? {};
      return {
        type: 'conflict',
        namespace: ns,
        live,
        ownership,
        reason: `labelled as a mirror of ${a[keys.sourceNamespace]}/${a[keys.sourceName]} (uid ${a[keys.sourceUid]}) but not written by kubemirror`,
      };
    }
    if (ownership === 'foreign-other-source') {
      const a = live.metadata.annotations ?? {};
      const from = a[keys.sourceCluster];
      const other = `${a[keys.sourceNamespace]}/${a[keys.sourceName]}${from ? ` of cluster ${from}` : ''}`;
      return { type: 'conflict', namespace: ns, live, ownership, reason: `already a mirror of ${other}` };
    }
    if (live.metadata.deletionTimestamp)
      return {
        type: 'noop',
        namespace: ns,
        live,
        reason: 'mirror is being deleted; it is recreated once gone',
      };
  }

  const d = desiredFor(input, ns);
  if ('error' in d)
    return { type: 'error', namespace: ns, reason: d.error, ...(d.code ? { code: d.code } : {}) };
  const refused = input.refused?.(ns);
  if (refused && refused.hash === d.hash)
    return {
      type: 'error',
      namespace: ns,
      reason: refusedReason(refused.reason),
      code: 'Invalid',
    };
  if (!live)
    return { type: 'create', namespace: ns, desired: d.mirror, hash: d.hash, reason: 'mirror missing' };

  const recorded = live.metadata.annotations?.[keys.contentHash];
  const adopt = ownership === 'adoptable';
  const changed = recorded !== d.hash;
  const verdict = changed ? NO_DRIFT : driftOf(input, ns, live, d.mirror, recorded);
  const drift = verdict.drift;
  if (!drift && !changed && !adopt) return { type: 'noop', namespace: ns, live, reason: 'in sync' };
  const fight = input.fight?.(ns);
  if (drift && !changed && !adopt && fight?.fighting && (input.now ?? 0) < fight.holdUntil) {
    const wait = Math.ceil((fight.holdUntil - (input.now ?? 0)) / 1000);
    return {
      type: 'fight',
      namespace: ns,
      live,
      fight,
      verdict,
      retryAt: fight.holdUntil,
      reason: `fighting ${verdict.managers.join(', ') || 'another writer'} over ${verdict.fields.slice(0, 5).join(', ')}; next repair in ${wait}s`,
    };
  }

  const why: string[] = [];
  if (adopt) {
    const a = live.metadata.annotations ?? {};
    const previous = a[keys.policy] ? `MirrorPolicy ${a[keys.policy]}` : 'its annotations';
    why.push(
      a[keys.sourceUid] === source.metadata.uid
        ? `taking over the mirror made under ${previous}`
        : `adopting mirror of a source that no longer exists (${a[keys.sourceNamespace]}/${a[keys.sourceName]} uid ${a[keys.sourceUid]})`,
    );
  }
  if (changed) why.push(`source changed (hash ${short(recorded)} → ${short(d.hash)})`);
  if (drift)
    why.push(
      `mirror edited by ${verdict.managers.join(', ') || 'someone else'} (${verdict.fields.slice(0, 5).join(', ')})`,
    );
  const reason = why.join('; ');

  if (source.kind === 'Secret' && (live.type ?? 'Opaque') !== (d.mirror.type ?? 'Opaque'))
    return {
      type: 'recreate',
      namespace: ns,
      desired: d.mirror,
      hash: d.hash,
      live,
      reason: `Secret type is immutable (${String(live.type)} → ${String(d.mirror.type)}); ${reason}`,
    };
  if (live.immutable === true)
    return {
      type: 'recreate',
      namespace: ns,
      desired: d.mirror,
      hash: d.hash,
      live,
      reason: `mirror is immutable; ${reason}`,
    };
  return {
    type: 'update',
    namespace: ns,
    desired: d.mirror,
    hash: d.hash,
    live,
    drift,
    verdict,
    reason,
  };
}

/**
 * Decides, for one source, what to do in every namespace that is targeted or holds a mirror of it. Pure:
 * the same input gives the same actions, sorted by namespace. Never deletes or writes an object that is
 * not provably this source's (or an adoptable) mirror; a refused TargetResult plans nothing at all (a
 * configuration error never deletes). A target whose name is held by an object the caller does not know
 * of comes out as `create`; the caller turns the 409 into a conflict.
 */
export function planSource(input: PlanInput): Action[] {
  const { source, keys } = input;
  const srcNs = source.metadata.namespace ?? '';
  const srcUid = source.metadata.uid ?? '';
  const live = new Map<string, KubeObject>();
  for (const obj of input.existingMirrors) {
    if (obj.metadata.name !== source.metadata.name || !obj.metadata.namespace) continue;
    live.set(obj.metadata.namespace, obj);
  }
  const ours = (obj: KubeObject) => isProvablyMirrorOf(obj, srcNs, source.metadata.name, srcUid, keys);

  const actions: Action[] = [];
  let targets: readonly string[];
  if (Array.isArray(input.targets)) targets = input.targets as readonly string[];
  else {
    const r = input.targets as TargetResult;
    if (!r.ok) return [];
    targets = r.targets;
  }
  const wanted = new Set(targets);
  const occupant = (ns: string) => {
    const o = input.occupant?.(ns);
    return o && o.metadata.name === source.metadata.name ? o : undefined;
  };
  for (const ns of wanted) actions.push(planTarget(input, ns, live.get(ns) ?? occupant(ns)));
  for (const [ns, obj] of live) {
    if (wanted.has(ns) || !ours(obj)) continue;
    // labels and annotations are copied by `kubectl get -o yaml | kubectl apply`: only what kubemirror wrote
    // (its managedFields) is deleted; a copy of a mirror where no mirror is wanted is someone else's
    if (writtenByKubemirror(obj, keys))
      actions.push({ type: 'delete', namespace: ns, live: obj, reason: 'namespace no longer targeted' });
    else
      actions.push({
        type: 'conflict',
        namespace: ns,
        live: obj,
        ownership: 'foreign-unproven',
        reason:
          "a copy of this source's mirror (not written by kubemirror) in a namespace it does not target: left alone",
      });
  }
  return sortByNamespace(actions);
}

function sortByNamespace(actions: Action[]): Action[] {
  return actions.sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0));
}

/**
 * The status-line reason of a mirror body the API server refused (400/422): the same words when the refusal
 * is first met and when a later decision remembers it, so the status does not change (nor get written again)
 * between the two.
 */
export function refusedReason(short: string): string {
  return `refused by the API server: ${short} (not retried until the source or the namespace changes)`;
}
