import { formatSyncStatus, type SyncSummary } from './sync-status.js';

/**
 * The status of a MirrorPolicy (SPEC §11) from what its selected objects' decisions came to: counts, coverage and
 * level (health-mirror's scores, as `kubemirror status` gives them per source) and a `Ready` condition whose
 * message is the sync-status line an annotated source would carry. Pure; the controller writes it only when it
 * changes.
 */

/** Unknown: some targets are in another cluster that could not be read, so nothing is claimed about them. */
export type CoverageLevel = 'None' | 'Partial' | 'Full' | 'Unknown';

/** Whole percent of wanted targets synced, rounded down (100 only when all are); 100 when nothing is wanted. */
export function coverageOf(wanted: number, synced: number): number {
  return wanted === 0 ? 100 : Math.floor((synced * 100) / wanted);
}

export function levelOf(wanted: number, synced: number, fatal: boolean): CoverageLevel {
  if (fatal || (wanted > 0 && synced === 0)) return 'None';
  return synced >= wanted ? 'Full' : 'Partial';
}

/** What one selected object's last reconcile came to, as the policy reports it. */
export type PolicyObjectResult =
  /** governed by this policy and decided: the summary its sync-status line would say */
  | { kind: string; name: string; state: 'decided'; summary: SyncSummary }
  /** governed by this policy, but the decision refused it as a whole (nothing written) */
  | { kind: string; name: string; state: 'failed'; reason: string; message: string }
  /** selected, but not governed by this policy: its own annotations, or an older policy */
  | { kind: string; name: string; state: 'skipped'; why: string };

/** A problem of the policy itself: nothing of it is written or deleted while one is there. */
export interface PolicyProblem {
  /** InvalidSpec, Refused, KindNotServed, TransformFailed */
  reason: string;
  message: string;
}

export interface ReadyCondition {
  type: 'Ready';
  status: 'True' | 'False';
  reason: string;
  message: string;
  observedGeneration: number;
  lastTransitionTime: string;
}

export interface MirrorPolicyStatus {
  observedGeneration: number;
  conditions: ReadyCondition[];
  /** selected objects this policy governs */
  sources: number;
  /** (cluster, namespace) targets wanted over all of them */
  targets: number;
  synced: number;
  conflicts: number;
  failed: number;
  /** selected objects governed elsewhere (their own annotations, an older policy) */
  skipped: number;
  coverage: number;
  level: Exclude<CoverageLevel, 'Unknown'>;
}

const MAX_MESSAGE = 1024;
const MAX_LISTED = 3;

const clip = (s: string, max: number) => {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

function listed(items: readonly string[]): string {
  const shown = items.slice(0, MAX_LISTED).join('; ');
  return items.length > MAX_LISTED ? `${shown}; +${items.length - MAX_LISTED} more` : shown;
}

/**
 * The policy's status. `previous` is the Ready condition it has now: its `lastTransitionTime` is kept unless the
 * condition's status changes. Results are sorted here, so the same inputs give the same status.
 */
export function policyStatus(input: {
  generation: number;
  problems: readonly PolicyProblem[];
  results: readonly PolicyObjectResult[];
  previous?: Partial<ReadyCondition>;
  now: Date;
}): MirrorPolicyStatus {
  const results = [...input.results].sort((a, b) =>
    `${a.kind}/${a.name}` < `${b.kind}/${b.name}`
      ? -1
      : `${a.kind}/${a.name}` > `${b.kind}/${b.name}`
        ? 1
        : 0,
  );
  const skipped = results.filter((r) => r.state === 'skipped');
  const failed = results.filter((r) => r.state === 'failed');
  const decided = results.filter((r) => r.state === 'decided');
  const sum: SyncSummary & { errors: { namespace: string; reason: string }[] } = {
    wanted: 0,
    synced: 0,
    conflicts: [],
    errors: [],
    skipped: 0,
    fighting: [],
  };
  const conflicts: string[] = [];
  const fighting: string[] = [];
  for (const r of decided) {
    const one = results.length > 1 ? (ns: string) => `${r.name}→${ns}` : (ns: string) => ns;
    sum.wanted += r.summary.wanted;
    sum.synced += r.summary.synced;
    conflicts.push(...r.summary.conflicts.map(one));
    sum.errors.push(...r.summary.errors.map((e) => ({ ...e, namespace: one(e.namespace) })));
    sum.skipped = (sum.skipped ?? 0) + (r.summary.skipped ?? 0);
    fighting.push(...(r.summary.fighting ?? []).map(one));
  }
  sum.conflicts = conflicts;
  sum.fighting = fighting;

  let status: 'True' | 'False';
  let reason: string;
  let message: string;
  const fatal = input.problems.length > 0 || failed.length > 0;
  if (input.problems.length > 0) {
    status = 'False';
    reason = input.problems[0]!.reason;
    message = `Error: ${listed(input.problems.map((p) => p.message))}`;
  } else if (failed.length > 0) {
    status = 'False';
    reason = failed[0]!.state === 'failed' ? failed[0]!.reason : 'Failed';
    message = `Error: ${listed(failed.map((f) => `${f.kind} ${f.name}: ${f.state === 'failed' ? f.message : ''}`))}`;
  } else {
    message = formatSyncStatus(sum);
    const inSync = sum.conflicts.length === 0 && sum.errors.length === 0 && sum.synced >= sum.wanted;
    status = inSync && fighting.length === 0 ? 'True' : 'False';
    reason = fighting.length > 0 ? 'Fighting' : inSync ? 'Synced' : 'Partial';
  }
  if (skipped.length > 0)
    message += `; ${skipped.length} skipped (${listed(skipped.map((s) => `${s.kind} ${s.name}: ${s.state === 'skipped' ? s.why : ''}`))})`;

  const previous = input.previous;
  const lastTransitionTime =
    previous?.status === status && previous.lastTransitionTime
      ? previous.lastTransitionTime
      : input.now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const targets = fatal ? 0 : sum.wanted;
  const synced = fatal ? 0 : sum.synced;
  return {
    observedGeneration: input.generation,
    conditions: [
      {
        type: 'Ready',
        status,
        reason,
        message: clip(message, MAX_MESSAGE),
        observedGeneration: input.generation,
        lastTransitionTime,
      },
    ],
    sources: decided.length + failed.length,
    targets,
    synced,
    conflicts: fatal ? 0 : sum.conflicts.length,
    failed: fatal ? 0 : sum.errors.length,
    skipped: skipped.length,
    coverage: fatal ? 0 : coverageOf(targets, synced),
    level: levelOf(targets, synced, fatal) as Exclude<CoverageLevel, 'Unknown'>,
  };
}

/** Whether two statuses say the same (the transition time aside): a status is written only when it changes. */
export function sameStatus(a: unknown, b: MirrorPolicyStatus): boolean {
  const strip = (s: unknown) => {
    if (typeof s !== 'object' || s === null) return s;
    const o = s as Record<string, unknown>;
    const conditions = Array.isArray(o.conditions)
      ? o.conditions.map((c) => {
          const { lastTransitionTime: _t, ...rest } = c as Record<string, unknown>;
          return rest;
        })
      : o.conditions;
    return { ...o, conditions };
  };
  return canonical(strip(a)) === canonical(strip(b));
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([p], [q]) => (p < q ? -1 : 1)))
      : x,
  );
}
