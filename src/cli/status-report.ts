import { type DecideConfig, decide, predictedOutcome } from '../core/decide.js';
import { type MirrorKeys, withPolicy } from '../core/keys.js';
import { type CoverageLevel, coverageOf, levelOf } from '../core/mirror-policy-status.js';
import { readSourceSpec, type SourceSpec } from '../core/source-spec.js';
import type { TargetPolicy } from '../core/targeting.js';
import type { TransformLimits } from '../core/transform/index.js';
import { newTransformCache, transformFor } from '../core/transform-cache.js';
import type { KubeObject, NamespaceInfo } from '../core/types.js';

export { type CoverageLevel, coverageOf, levelOf };

/** One source as `kubemirror status` prints it; `-o json` prints these objects as they are. */
export interface SourceStatusRow {
  /** plural[.group], e.g. `secrets`, `ingresses.networking.k8s.io` */
  resource: string;
  /** `namespace/name` */
  source: string;
  /** `namespace/name` of the MirrorPolicy that governs this source (SPEC §11); absent for an annotated source */
  policy?: string;
  wanted: number;
  synced: number;
  conflicts: number;
  failed: number;
  /**
   * whole percent of wanted targets synced, rounded down (100 only when all are); 100 when nothing is wanted;
   * null when unknown (level Unknown: see `unknown`)
   */
  coverage: number | null;
  level: CoverageLevel;
  /** why the coverage is unknown: the other clusters it targets that could not be read (level Unknown only) */
  unknown?: string;
  /** a source-level error found here, else the controller's `P/sync-status` when it is not `Synced …`, else '' */
  lastError: string;
  conflictNamespaces: string[];
  /** per registered other cluster (SPEC §8): targets wanted and synced there (absent without remote clusters) */
  clusters?: Record<string, { wanted: number; synced: number; unavailable?: string }>;
  /**
   * wanted targets neither synced nor known to be in conflict: missing, stale, edited, or failing. When the
   * status line counts more conflicts than it names (`+N more`), `failed` is lower than this list is long.
   */
  failedNamespaces: string[];
}

/** Everything about one resource type the report needs; all of it read by the caller beforehand. */
export interface TypeSnapshot {
  resource: string;
  /** every object of the type labelled `P/enabled=true` (with sync on or not: they count as live sources) */
  sources: readonly KubeObject[];
  /** every object of the type labelled `P/mirror=true` */
  mirrors: readonly KubeObject[];
  /** why the controller refuses this type (deny list), or null */
  denied: string | null;
}

/** What one other cluster holds for one resource type (SPEC §8), read by the caller beforehand. */
export interface RemoteSnapshot {
  cluster: string;
  /** why it could not be read (unreachable, refused, type not served); null when read */
  unavailable: string | null;
  namespaces: readonly NamespaceInfo[];
  /** every object of the type labelled `P/mirror=true` there */
  mirrors: readonly KubeObject[];
}

export interface ReportOptions {
  policy: TargetPolicy;
  stripKeys: readonly string[];
  /** globs of namespaces allowed to publish sources; empty = all */
  sourceNamespaces: readonly string[];
  transformLimits: TransformLimits;
  /** this cluster's name, the origin of its mirrors in other clusters (`--cluster-name`) */
  clusterName?: string;
  /**
   * why the registered clusters could not be read at all (the registration Secrets were not listed): a source
   * that may target another cluster is then Unknown, with this reason
   */
  clustersUnreadable?: string;
}

/** The Namespace object as targeting sees it. */
export function namespaceInfoOf(obj: KubeObject): NamespaceInfo {
  const phase = (obj.status as { phase?: string } | undefined)?.phase;
  return {
    name: obj.metadata.name,
    labels: obj.metadata.labels ?? {},
    annotations: obj.metadata.annotations ?? {},
    terminating: phase === 'Terminating' || Boolean(obj.metadata.deletionTimestamp),
  };
}

/**
 * The conflicts a controller's `P/sync-status` line reports (`Partial 10/12: 2 conflicts (app-3, app-4), …`).
 * Objects that are not labelled as mirrors are invisible to a label-filtered list, so this line is the only
 * place such conflicts are known. `count` may exceed `namespaces` when the line lists `+N more`.
 */
export function conflictsInSyncStatus(line: string | undefined): { count: number; namespaces: string[] } {
  const m = /^Partial \d+\/\d+: (\d+) conflicts? \(([^)]*)\)/.exec(line ?? '');
  if (!m) return { count: 0, namespaces: [] };
  const namespaces = m[2]!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '' && !/^\+\d+ more$/.test(s));
  return { count: Number(m[1]), namespaces };
}

/**
 * Per-source coverage, decided by the controller's own `decide` (core/decide.ts) on what the caller listed: a
 * target is synced when the decision for it is "in sync" (a mirror provably of this source, whose recorded
 * hash is the desired one and whose content still matches it), a conflict when the decision says so. Sources
 * with sync off or being deleted are not reported. Rows are sorted by resource, then source.
 */
export function sourceStatusRows(
  snapshot: TypeSnapshot,
  namespaces: readonly NamespaceInfo[],
  opts: ReportOptions,
  remotes: readonly RemoteSnapshot[] = [],
): SourceStatusRow[] {
  const ctx = reportContext(snapshot, namespaces, opts, remotes);
  const rows: SourceStatusRow[] = [];
  for (const source of snapshot.sources) {
    const spec = readSourceSpec(source, opts.policy.keys);
    if (!spec.syncEnabled || source.metadata.deletionTimestamp) continue;
    const row = sourceRow(ctx, source, spec, opts.policy.keys);
    if (row) rows.push(row);
  }
  return rows.sort(compareRows);
}

/** The objects one MirrorPolicy governs, of one resource type (SPEC §11), as the caller found them. */
export interface PolicySources {
  /** the policy's namespace (its objects') */
  namespace: string;
  name: string;
  /** the spec its objects are decided with (core/mirror-policy.ts readMirrorPolicy) */
  spec: SourceSpec;
  objects: readonly KubeObject[];
}

/**
 * Per-source coverage of the objects MirrorPolicies govern, decided by the same `decide` as annotated sources,
 * with the policy's spec and keys (its mirrors carry `P/policy`). Rows name the policy.
 */
export function policySourceStatusRows(
  snapshot: TypeSnapshot,
  governed: readonly PolicySources[],
  namespaces: readonly NamespaceInfo[],
  opts: ReportOptions,
  remotes: readonly RemoteSnapshot[] = [],
): SourceStatusRow[] {
  const ctx = reportContext(snapshot, namespaces, opts, remotes);
  const rows: SourceStatusRow[] = [];
  for (const p of governed)
    for (const source of p.objects) {
      if (source.metadata.deletionTimestamp) continue;
      const row = sourceRow(ctx, source, p.spec, withPolicy(opts.policy.keys, p.name));
      if (row) rows.push({ ...row, policy: `${p.namespace}/${p.name}` });
    }
  return rows.sort(compareRows);
}

/** What every row of one resource type is decided against, indexed once. */
function reportContext(
  snapshot: TypeSnapshot,
  namespaces: readonly NamespaceInfo[],
  opts: ReportOptions,
  remotes: readonly RemoteSnapshot[],
) {
  return {
    snapshot,
    namespaces,
    opts,
    remotes,
    liveUids: new Map(
      snapshot.sources.map((s) => [`${s.metadata.namespace ?? ''}/${s.metadata.name}`, s.metadata.uid ?? '']),
    ),
    mirrors: new Map(snapshot.mirrors.map((m) => [`${m.metadata.namespace ?? ''}/${m.metadata.name}`, m])),
    nsByName: new Map(namespaces.map((n) => [n.name, n])),
    transforms: newTransformCache(),
    remoteIndex: remotes.map((r) => ({
      ...r,
      byName: new Map(r.mirrors.map((m) => [`${m.metadata.namespace ?? ''}/${m.metadata.name}`, m])),
      nsByName: new Map(r.namespaces.map((n) => [n.name, n])),
    })),
  };
}

/** One source's row: `decide` on what was listed, with `spec` and `keys` (a policy's, for its objects). */
function sourceRow(
  ctx: ReturnType<typeof reportContext>,
  source: KubeObject,
  spec: SourceSpec,
  keys: MirrorKeys,
): SourceStatusRow | null {
  const { snapshot, namespaces, opts, remotes, liveUids, mirrors, nsByName, transforms, remoteIndex } = ctx;
  const config: DecideConfig = {
    keys,
    policy: { ...opts.policy, keys },
    sourceNamespaces: opts.sourceNamespaces,
    finalizers: false, // a report adds nothing
    stripKeys: opts.stripKeys,
    ...(opts.clusterName ? { clusterName: opts.clusterName } : {}),
  };
  const sourceNs = source.metadata.namespace ?? '';
  // a policy's object carries no status line of kubemirror's (one left from its annotations says nothing now)
  const syncStatus = keys.viaPolicy ? undefined : source.metadata.annotations?.[keys.syncStatus];
  const base = { resource: snapshot.resource, source: `${sourceNs}/${source.metadata.name}` };
  const namesThis = (m: KubeObject) => {
    const a = m.metadata.annotations ?? {};
    return (
      m.metadata.name === source.metadata.name &&
      a[keys.sourceNamespace] === sourceNs &&
      a[keys.sourceName] === source.metadata.name
    );
  };
  const decision = decide({
    source,
    denied: snapshot.denied,
    spec,
    transform: transformFor(transforms, spec, opts.transformLimits, keys.prefix),
    namespaces,
    namespace: (name) => nsByName.get(name),
    live: snapshot.mirrors.filter(namesThis),
    remotes: remoteIndex.map((r) => ({
      cluster: r.cluster,
      unavailable: r.unavailable,
      namespaces: r.namespaces,
      namespace: (name) => r.nsByName.get(name),
      live: r.mirrors.filter(namesThis),
      occupant: (ns) => r.byName.get(`${ns}/${source.metadata.name}`),
    })),
    occupant: (ns) => mirrors.get(`${ns}/${source.metadata.name}`),
    isSourceLive: (ns, name, uid) => liveUids.get(`${ns}/${name}`) === uid,
    config,
    now: () => new Date(0),
  });
  if (decision.type !== 'sync') {
    if (decision.type !== 'fail') return null;
    return {
      ...base,
      ...{ wanted: 0, synced: 0, conflicts: 0, failed: 0, coverage: 0, level: 'None' as const },
      lastError: decision.message,
      conflictNamespaces: [],
      failedNamespaces: [],
    };
  }
  // every (cluster, namespace) pair: another cluster's namespaces are named `cluster/namespace`
  const actions = [
    ...decision.actions,
    ...decision.remote.flatMap((p) =>
      'actions' in p ? p.actions.map((a) => ({ ...a, namespace: `${p.cluster}/${a.namespace}` })) : [],
    ),
  ];
  const predicted = predictedOutcome(actions);
  const synced = actions.filter((a) => a.type === 'noop' && a.reason === 'in sync').map((a) => a.namespace);
  let clusters: SourceStatusRow['clusters'];
  if (remotes.length > 0) {
    clusters = {};
    for (const p of decision.remote) {
      if (!('actions' in p)) {
        clusters[p.cluster] = { wanted: 0, synced: 0, unavailable: p.unavailable };
        continue;
      }
      const wantedThere = p.actions.filter((a) => a.type !== 'delete');
      if (wantedThere.length === 0) continue;
      clusters[p.cluster] = {
        wanted: wantedThere.length,
        synced: wantedThere.filter((a) => a.type === 'noop' && a.reason === 'in sync').length,
      };
    }
  }
  const conflicting = new Set(predicted.conflicts);
  const targetError = predicted.errors[0]
    ? `${predicted.errors[0].namespace}: ${predicted.errors[0].reason}`
    : '';

  // Conflicts with objects not labelled as mirrors are known only from the controller's status line.
  const targets = actions.filter((a) => a.type !== 'delete').map((a) => a.namespace);
  const unsynced = targets.filter((t) => !synced.includes(t));
  const reported = conflictsInSyncStatus(syncStatus);
  for (const ns of reported.namespaces) if (unsynced.includes(ns)) conflicting.add(ns);
  const unnamed = Math.max(0, reported.count - reported.namespaces.length);
  const failedNamespaces = unsynced.filter((t) => !conflicting.has(t));
  const conflicts = conflicting.size + Math.min(unnamed, failedNamespaces.length);

  // targets in a cluster that could not be read are neither counted nor claimed: the coverage is unknown
  const localName = opts.clusterName ?? 'local';
  const unknown = [
    ...(opts.clustersUnreadable && spec.targetClusters.some((p) => p !== 'local' && p !== localName)
      ? [`other clusters not read: ${opts.clustersUnreadable}`]
      : []),
    ...decision.remote.flatMap((p) => ('actions' in p ? [] : [`${p.cluster} not read: ${p.unavailable}`])),
  ].join('; ');
  const wanted = decision.wanted;
  const lastError = syncStatus !== undefined && !syncStatus.startsWith('Synced') ? syncStatus : targetError;
  return {
    ...base,
    wanted,
    synced: synced.length,
    conflicts,
    failed: wanted - synced.length - conflicts,
    coverage: unknown ? null : coverageOf(wanted, synced.length),
    level: unknown ? 'Unknown' : levelOf(wanted, synced.length, false),
    ...(unknown ? { unknown } : {}),
    lastError: lastError || unknown,
    conflictNamespaces: [...conflicting].sort(),
    failedNamespaces,
    ...(clusters ? { clusters } : {}),
  };
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** By resource, then source: the order the table and the JSON use. */
export function compareRows(a: SourceStatusRow, b: SourceStatusRow): number {
  return a.resource === b.resource ? compare(a.source, b.source) : compare(a.resource, b.resource);
}

const COLUMNS = [
  'RESOURCE',
  'SOURCE',
  'WANTED',
  'SYNCED',
  'CONFLICTS',
  'FAILED',
  'COVERAGE',
  'LEVEL',
  'LAST-ERROR',
] as const;

/** kubectl-style columns, padded to the widest cell; the last column is not padded. */
export function formatStatusTable(rows: readonly SourceStatusRow[]): string {
  const cells = rows.map((r) => [
    r.resource,
    // an object a MirrorPolicy governs names it: the same object may also be listed as an annotated source
    r.policy ? `${r.source} (policy ${r.policy.slice(r.policy.indexOf('/') + 1)})` : r.source,
    String(r.wanted),
    String(r.synced),
    String(r.conflicts),
    String(r.failed),
    r.coverage === null ? '?' : `${r.coverage}%`,
    r.level,
    // The status line is annotation text anyone with write access can set: no control characters reach a terminal.
    r.lastError === '' ? '-' : r.lastError.replace(/\s+/g, ' ').replace(/\p{Cc}/gu, '?'),
  ]);
  const all = [[...COLUMNS], ...cells];
  const widths = COLUMNS.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  return all
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join('   ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}
