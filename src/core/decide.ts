import { buildDesiredMirror } from './desired-mirror.js';
import { InvalidMirrorError } from './desired-validity.js';
import { fightLabel } from './fights.js';
import { globMatch } from './glob.js';
import { type MirrorKeys, withOrigin } from './keys.js';
import { isProvablyMirrorOf, writtenByKubemirror } from './ownership.js';
import { type Action, type PlanInput, planSource } from './plan.js';
import { neverMirrorReason } from './sanitize.js';
import { readSourceSpec, type SourceSpec } from './source-spec.js';
import { formatSyncStatus, type SyncSummary } from './sync-status.js';
import { resolveTargets, type TargetPolicy } from './targeting.js';
import { type TransformProgram, transformContextFor } from './transform/index.js';
import type { KubeObject, NamespaceInfo } from './types.js';

/**
 * The one decision for one source, shared by the controller, `kubemirror plan` and `kubemirror status`:
 * gather (each caller, from its caches, a file or the cluster) → `decide(snapshot)` (here, pure) → act (the
 * controller's executor; plan prints, status counts). Whatever differs between the three is in what they
 * gather, never in how they decide.
 */

/** The controller settings a decision depends on. */
export interface DecideConfig {
  keys: MirrorKeys;
  policy: TargetPolicy;
  /** globs of namespaces that may publish sources; empty = any */
  sourceNamespaces: readonly string[];
  /** keep `P/finalizer` on sources */
  finalizers: boolean;
  stripKeys: readonly string[];
  /** this cluster's name (`--cluster-name`): `local` and it both name this cluster in `P/target-clusters` */
  clusterName?: string;
}

/** The compiled `P/transform` of the source (compiled by the caller, which may cache it). */
export type CompiledTransform = { ok: true; program: TransformProgram | null } | { ok: false; error: string };

/** Everything a decision reads, gathered before deciding; nothing is fetched while deciding. */
export interface SourceSnapshot {
  source: KubeObject;
  /** non-null when the kind is refused (deny list); the reason */
  denied: string | null;
  /** the source's spec; read from the source when absent */
  spec?: SourceSpec;
  transform: CompiledTransform;
  /** every namespace that exists, with labels and annotations */
  namespaces: Iterable<NamespaceInfo>;
  namespace: (name: string) => NamespaceInfo | undefined;
  /** the live mirrors that name this source, in any namespace */
  live: readonly KubeObject[];
  /** any other object the caller knows of that holds the source's name in a namespace */
  occupant?: (namespace: string) => KubeObject | undefined;
  /** whether a source with this uid currently exists (tells an adoptable mirror from another source's) */
  isSourceLive: (namespace: string, name: string, uid: string) => boolean;
  config: DecideConfig;
  now: () => Date;
  /** see PlanInput.lastWrite */
  lastWrite?: PlanInput['lastWrite'];
  /** see PlanInput.fight */
  fight?: PlanInput['fight'];
  /** see PlanInput.refused */
  refused?: PlanInput['refused'];
  /** the other registered clusters (SPEC §8), each gathered like the local fields above */
  remotes?: readonly RemoteTargets[];
}

/**
 * What one other cluster holds, for a decision (SPEC §8): its namespaces and this source's mirrors there, from
 * that cluster's caches. A target is a (cluster, namespace) pair; the local fields of SourceSnapshot are the
 * pairs of this cluster.
 */
export interface RemoteTargets {
  cluster: string;
  /** why the cluster cannot be planned now (unreachable, caches not synced, kind not served); null = ready */
  unavailable: string | null;
  /** the kind is not served there: no mirror can exist, so a cleanup does not wait for it */
  holdsNoMirrors?: boolean;
  namespaces: Iterable<NamespaceInfo>;
  namespace: (name: string) => NamespaceInfo | undefined;
  /** the mirrors there that name this source */
  live: readonly KubeObject[];
  occupant?: (namespace: string) => KubeObject | undefined;
  lastWrite?: PlanInput['lastWrite'];
  fight?: PlanInput['fight'];
  refused?: PlanInput['refused'];
}

/** One other cluster's share of a sync decision. */
export type RemotePlan =
  | { cluster: string; actions: Action[] }
  /** targeted but not plannable now: nothing there is written or deleted; retried when it comes back */
  | { cluster: string; unavailable: string };

/** One other cluster's share of a cleanup. */
export interface RemoteCleanup {
  cluster: string;
  deletes: KubeObject[];
}

/** A non-strict transform rule that was skipped for one target. */
export interface SkippedRule {
  namespace: string;
  rule: number;
  path: string;
  message: string;
}

/** `ns: rule N (path): message`, as the status Event and the log say it. */
export const skippedText = (r: SkippedRule): string =>
  `${r.namespace}: rule ${r.rule} (${r.path}): ${r.message}`;

export type Decision =
  /** sync off or source being deleted: delete every mirror provably ours, then drop the finalizer */
  | {
      type: 'cleanup';
      why: string;
      deletes: KubeObject[];
      /** the mirrors to delete in other clusters */
      remote: RemoteCleanup[];
      /** registered clusters that cannot be reached now and may hold mirrors: the finalizer waits for them */
      waitingFor: string[];
      removeFinalizer: boolean;
    }
  /** the source as a whole is not mirrored; nothing is written or deleted (a config error never deletes) */
  | { type: 'fail'; reason: string; message: string }
  | {
      type: 'sync';
      /** add `P/finalizer` before the first mirror is written */
      addFinalizer: boolean;
      wanted: number;
      actions: Action[];
      /** the (cluster, namespace) targets in other clusters, per cluster */
      remote: RemotePlan[];
      /** non-strict transform rules skipped, per target */
      skipped: SkippedRule[];
    };

/** Source-level refusals: deny-listed kind, Secret types never mirrored, the source-namespace policy. */
export function refusalOf(
  source: KubeObject,
  denied: string | null,
  sourceNamespaces: readonly string[],
): string | null {
  if (denied) return denied;
  const never = neverMirrorReason(source);
  if (never) return never;
  const ns = source.metadata.namespace ?? '';
  if (sourceNamespaces.length > 0 && !sourceNamespaces.some((p) => globMatch(p, ns)))
    return `namespace ${ns} may not publish sources (controller source-namespaces: ${sourceNamespaces.join(',')})`;
  return null;
}

/** Whether `cluster` is named by the source's `P/target-clusters` (names or globs; `local` = this cluster). */
export function targetsCluster(patterns: readonly string[], cluster: string, isLocal: boolean): boolean {
  return patterns.some((p) => globMatch(p, cluster) || (isLocal && p === 'local'));
}

export function decide(s: SourceSnapshot): Decision {
  const { source, config } = s;
  const { keys } = config;
  const spec = s.spec ?? readSourceSpec(source, keys);
  const localName = config.clusterName ?? 'local';
  const remoteKeys = withOrigin(keys, localName);
  const remotes = s.remotes ?? [];
  const deleting = Boolean(source.metadata.deletionTimestamp);
  if (deleting || !spec.syncEnabled) {
    const ns = source.metadata.namespace ?? '';
    const uid = source.metadata.uid ?? '';
    const ours = (k: MirrorKeys) => (m: KubeObject) =>
      isProvablyMirrorOf(m, ns, source.metadata.name, uid, k);
    // an unreachable cluster may hold mirrors: the finalizer stays until it can be cleaned (or is unregistered)
    const waitingFor = remotes
      .filter((r) => r.unavailable !== null && !r.holdsNoMirrors)
      .map((r) => r.cluster);
    return {
      type: 'cleanup',
      why: deleting ? 'source deleted' : 'sync turned off',
      deletes: s.live.filter(ours(keys)),
      remote: remotes
        .filter((r) => r.unavailable === null)
        .map((r) => ({ cluster: r.cluster, deletes: r.live.filter(ours(remoteKeys)) }))
        .filter((r) => r.deletes.length > 0),
      waitingFor,
      removeFinalizer: waitingFor.length === 0 && (source.metadata.finalizers ?? []).includes(keys.finalizer),
    };
  }
  const refusal = refusalOf(source, s.denied, config.sourceNamespaces);
  if (refusal) return { type: 'fail', reason: 'Refused', message: refusal };
  if (spec.errors.length > 0) return { type: 'fail', reason: 'InvalidSpec', message: spec.errors.join('; ') };
  // max-targets counts every (cluster, namespace) pair: resolved per cluster without the limit, then summed
  const unlimited = { ...config.policy, maxTargets: 0 };
  const wantsLocal = targetsCluster(spec.targetClusters, localName, true);
  const local = resolveTargets(source, spec, wantsLocal ? s.namespaces : [], unlimited);
  if (!local.ok) return { type: 'fail', reason: local.reason, message: local.message };
  const perRemote = new Map<string, string[]>();
  for (const r of remotes) {
    if (r.unavailable !== null) continue;
    const wanted = targetsCluster(spec.targetClusters, r.cluster, false);
    const t = resolveTargets(source, spec, wanted ? r.namespaces : [], { ...unlimited, otherCluster: true });
    perRemote.set(r.cluster, t.ok ? t.targets : []);
  }
  let total = local.targets.length;
  for (const t of perRemote.values()) total += t.length;
  const max = config.policy.maxTargets;
  if (max > 0 && total > max)
    return {
      type: 'fail',
      reason: 'TooManyTargets',
      message:
        remotes.length > 0
          ? `${total} targets across clusters exceed max-targets ${max}`
          : `${total} targets exceed max-targets ${max}`,
    };
  const transform = s.transform;
  if (!transform.ok) return { type: 'fail', reason: 'TransformFailed', message: transform.error };

  const skipped: SkippedRule[] = [];
  const program = transform.program;
  const planIn = (
    cluster: string | null,
    k: MirrorKeys,
    targets: string[],
    t: Pick<RemoteTargets, 'namespace' | 'live' | 'occupant' | 'lastWrite' | 'fight' | 'refused'>,
  ): Action[] => {
    // Without a transform every target of a cluster gets the same content (the hash covers neither name nor
    // namespace): build it once and only change the namespace.
    let shared: { mirror: KubeObject; hash: string } | null = null;
    const build = { keys: k, stripKeys: config.stripKeys, now: s.now };
    const where = (ns: string) => (cluster === null ? ns : `${cluster}/${ns}`);
    return planSource({
      source,
      targets,
      keys: k,
      existingMirrors: t.live,
      ...(t.occupant ? { occupant: t.occupant } : {}),
      isSourceLive: s.isSourceLive,
      ...(t.lastWrite ? { lastWrite: t.lastWrite } : {}),
      ...(t.fight ? { fight: t.fight } : {}),
      ...(t.refused ? { refused: t.refused } : {}),
      now: s.now().getTime(),
      desired: (ns) => {
        try {
          if (program) {
            const ctx = transformContextFor(source, ns, t.namespace(ns), keys.prefix);
            return buildDesiredMirror(source, ns, {
              ...build,
              transform: (obj) => {
                const out = program.apply(obj, ctx, { strict: spec.transformStrict });
                for (const r of out.skipped)
                  skipped.push({ namespace: where(ns), rule: r.rule, path: r.path, message: r.message });
                return out.object;
              },
            });
          }
          shared ??= buildDesiredMirror(source, ns, build);
          return {
            hash: shared.hash,
            mirror: { ...shared.mirror, metadata: { ...shared.mirror.metadata, namespace: ns } },
          };
        } catch (err) {
          if (err instanceof InvalidMirrorError) return { error: err.message, code: err.reason };
          return { error: err instanceof Error ? err.message : String(err), code: 'TransformFailed' };
        }
      },
    });
  };
  const actions = planIn(null, keys, local.targets, s);
  const remote: RemotePlan[] = [];
  for (const r of remotes) {
    const targets = perRemote.get(r.cluster);
    if (targets) remote.push({ cluster: r.cluster, actions: planIn(r.cluster, remoteKeys, targets, r) });
    else if (targetsCluster(spec.targetClusters, r.cluster, false))
      remote.push({ cluster: r.cluster, unavailable: r.unavailable ?? 'not available' });
  }
  const addFinalizer = config.finalizers && !(source.metadata.finalizers ?? []).includes(keys.finalizer);
  return { type: 'sync', addFinalizer, wanted: total, actions, remote, skipped };
}

/** What the source left behind when it left the label-filtered cache. */
export interface GoneSnapshot {
  ref: { namespace: string; name: string };
  /** the mirrors that name this source */
  mirrors: readonly KubeObject[];
  /** the source as read once from the API (null: deleted), when it was read */
  live: KubeObject | null;
  /** the uid the cache last saw under this name */
  lastSeenUid: string | undefined;
  /** the uid of a new incarnation now in the cache, if any */
  cachedUid: string | undefined;
  keys: MirrorKeys;
  /** this cluster's name (the origin of its mirrors in other clusters) */
  clusterName?: string;
  /** the mirrors that name this source in other clusters; an unavailable cluster's are unknown */
  remote?: ReadonlyArray<{
    cluster: string;
    mirrors: readonly KubeObject[];
    unavailable: string | null;
    holdsNoMirrors?: boolean;
  }>;
}

export interface GoneDecision {
  /** the source still exists as a source (the cache will see it again): nothing to do */
  stillSource: boolean;
  deletes: Array<{
    mirror: KubeObject;
    why: 'mirror of a deleted source deleted' | 'orphaned mirror deleted';
    /** the other cluster it is in; absent: this cluster */
    cluster?: string;
  }>;
  /** labelled as this source's mirror but not provably written by kubemirror: left alone, reported */
  leftAlone: Array<{ mirror: KubeObject; cluster?: string }>;
  /** drop our finalizer from the live object */
  removeFinalizer: boolean;
  /** registered clusters that cannot be reached now: the finalizer waits for them */
  waitingFor: string[];
}

/**
 * The source left the cache: deleted, or its `P/enabled` label removed. A mirror is this source's when it
 * names the uid of the source (live, or last seen in the cache); one naming another uid is collected only
 * with proof that kubemirror wrote it (an orphan of an earlier incarnation, e.g. after downtime), otherwise
 * it is someone's copy or a forgery: left alone and reported.
 */
export function decideGone(g: GoneSnapshot): GoneDecision {
  const { keys } = g;
  const stillSource =
    g.live?.metadata.labels?.[keys.enabled] === 'true' && !g.live.metadata.deletionTimestamp;
  if (stillSource) return { stillSource, deletes: [], leftAlone: [], removeFinalizer: false, waitingFor: [] };
  const knownUid = g.live?.metadata.uid ?? g.lastSeenUid;
  const deletes: GoneDecision['deletes'] = [];
  const leftAlone: GoneDecision['leftAlone'] = [];
  const judge = (mirrors: readonly KubeObject[], k: MirrorKeys, cluster?: string) => {
    for (const m of mirrors) {
      const uid = m.metadata.annotations?.[k.sourceUid] ?? '';
      if (!isProvablyMirrorOf(m, g.ref.namespace, g.ref.name, uid, k)) continue;
      if (g.cachedUid === uid) continue; // a new incarnation owns it now
      if (uid !== knownUid && !writtenByKubemirror(m, k))
        leftAlone.push({ mirror: m, ...(cluster ? { cluster } : {}) });
      else
        deletes.push({
          mirror: m,
          why: uid === knownUid ? 'mirror of a deleted source deleted' : 'orphaned mirror deleted',
          ...(cluster ? { cluster } : {}),
        });
    }
  };
  judge(g.mirrors, keys);
  const remoteKeys = withOrigin(keys, g.clusterName ?? 'local');
  const waitingFor: string[] = [];
  for (const r of g.remote ?? []) {
    if (r.unavailable === null) judge(r.mirrors, remoteKeys, r.cluster);
    else if (!r.holdsNoMirrors) waitingFor.push(r.cluster);
  }
  const removeFinalizer =
    waitingFor.length === 0 && (g.live?.metadata.finalizers ?? []).includes(keys.finalizer);
  return { stillSource, deletes, leftAlone, removeFinalizer, waitingFor };
}

/** A target that could not be mirrored: `reason` is short (status line), `detail` whole (Events, logs). */
export interface TargetFailure {
  namespace: string;
  reason: string;
  detail: string;
  /** retried with backoff (5xx, throttling): shown in status, not an Event a person must act on */
  retrying: boolean;
}

/** What acting on a sync decision came to, target by target. */
export interface SyncOutcome {
  synced: number;
  conflicts: string[];
  errors: TargetFailure[];
  /** mirrors fighting another writer (core/fights.ts): who, and over which fields */
  fighting?: FightReport[];
}

export interface FightReport {
  namespace: string;
  managers: string[];
  fields: string[];
  /** this round found the fight (the Event is recorded once, then) */
  started?: boolean;
}

export interface StatusEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** Failed targets named one Event each (the first ones); the SyncPartial Event counts them all. */
const MAX_TARGET_EVENTS = 10;

export interface StatusReport {
  summary: SyncSummary & { errors: TargetFailure[] };
  /** the `P/sync-status` line */
  line: string;
  /** what a person must act on, with the whole reasons; recorded only when the line changes */
  events: StatusEvent[];
}

/** The status of a source after a failed decision (nothing written). */
export function failedReport(message: string): StatusReport {
  const summary = { wanted: 0, synced: 0, conflicts: [], errors: [], fatal: message };
  return {
    summary,
    line: formatSyncStatus(summary),
    events: [{ type: 'Warning', reason: 'SyncFailed', message }],
  };
}

/** The status of a source after its sync decision was carried out. */
export function syncReport(
  wanted: number,
  outcome: SyncOutcome,
  skipped: readonly SkippedRule[],
): StatusReport {
  const summary = {
    wanted,
    synced: outcome.synced,
    conflicts: outcome.conflicts,
    errors: outcome.errors,
    skipped: skipped.length,
    fighting: (outcome.fighting ?? []).map((f) => fightLabel(f.namespace, f)),
  };
  const line = formatSyncStatus(summary);
  const events: StatusEvent[] = [];
  for (const f of outcome.fighting ?? [])
    if (f.started)
      events.push({
        type: 'Warning',
        reason: 'MirrorFight',
        message: `mirror in ${f.namespace} keeps being changed by ${f.managers.join(', ') || 'another writer'} right after kubemirror writes it (fields: ${f.fields.join(', ')}); repairs now back off up to the resync period. Stop the other writer, or exclude the namespace or the field from mirroring`,
      });
  if (outcome.errors.length > 0 || outcome.conflicts.length > 0)
    events.push({ type: 'Warning', reason: 'SyncPartial', message: line });
  for (const e of outcome.errors.filter((x) => !x.retrying).slice(0, MAX_TARGET_EVENTS))
    events.push({
      type: 'Warning',
      reason: 'MirrorFailed',
      message: `not mirrored to ${e.namespace}: ${e.detail}`,
    });
  if (skipped.length > 0) {
    const n = skipped.length;
    events.push({
      type: 'Warning',
      reason: 'TransformRuleSkipped',
      message: `${n} transform rule${n === 1 ? '' : 's'} skipped: ${skipped.map(skippedText).join('; ')}`,
    });
  }
  return { summary, line, events };
}

/**
 * The outcome the plan alone predicts, before any write: what `kubemirror plan` and `kubemirror status`
 * report, and what the controller reports when every write succeeds. In sync = `noop` in sync; a write still
 * to do (create/update/recreate) is not synced yet; conflicts and per-target errors as planned.
 */
export function predictedOutcome(actions: readonly Action[]): SyncOutcome & { pending: string[] } {
  const out: SyncOutcome & { pending: string[] } = { synced: 0, conflicts: [], errors: [], pending: [] };
  for (const a of actions) {
    if (a.type === 'noop' && a.reason === 'in sync') out.synced++;
    else if (a.type === 'conflict') out.conflicts.push(a.namespace);
    else if (a.type === 'error')
      out.errors.push({ namespace: a.namespace, reason: a.reason, detail: a.reason, retrying: false });
    else if (a.type === 'fight') {
      out.fighting ??= [];
      out.fighting.push({ namespace: a.namespace, managers: a.verdict.managers, fields: a.verdict.fields });
    } else if (a.type !== 'delete') out.pending.push(a.namespace);
  }
  return out;
}
