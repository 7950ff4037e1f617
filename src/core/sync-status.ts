export interface SyncSummary {
  /** number of target namespaces */
  wanted: number;
  /** targets that hold an in-sync mirror */
  synced: number;
  /** namespaces where a foreign object holds the name */
  conflicts: readonly string[];
  errors: ReadonlyArray<{ namespace: string; reason: string }>;
  /** the source as a whole failed (invalid spec, too many targets, refused kind) */
  fatal?: string;
  /** non-strict transform rules skipped across all targets (SPEC §3: never silent) */
  skipped?: number;
  /** mirrors fighting another writer, as `ns (manager)` */
  fighting?: readonly string[];
}

const MAX_LISTED = 3;
const MAX_REASON = 60;
const MAX_FATAL = 200;

/** One line, no control characters, bounded length. Reasons are ours (API reasons, transform errors). */
function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function list(items: readonly string[]): string {
  const shown = items.slice(0, MAX_LISTED).join(', ');
  return items.length > MAX_LISTED ? `${shown}, +${items.length - MAX_LISTED} more` : shown;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The `P/sync-status` line: `Synced 12/12`, `Partial 10/12: 1 conflict (app-3), 1 error (app-7: forbidden)`,
 * `Error: 140 targets exceed max-targets 100`, `Synced 3/3, 1 rule skipped`, `Fighting: app-1 (rev-bot); Partial 2/3`. Namespace lists are capped (first 3, then `+N more`) and
 * reasons clipped so the line stays short. Deterministic for a given summary (namespaces are sorted).
 */
export function formatSyncStatus(summary: SyncSummary): string {
  if (summary.fatal !== undefined) return `Error: ${clip(summary.fatal, MAX_FATAL)}`;
  const fighting = [...(summary.fighting ?? [])].sort();
  const line = syncLine(summary);
  return fighting.length > 0 ? `Fighting: ${list(fighting.map((f) => clip(f, MAX_REASON)))}; ${line}` : line;
}

function syncLine(summary: SyncSummary): string {
  const counts = `${summary.synced}/${summary.wanted}`;
  const conflicts = [...summary.conflicts].sort();
  const errors = [...summary.errors].sort((a, b) =>
    a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0,
  );
  const skipped = summary.skipped ? `, ${plural(summary.skipped, 'rule')} skipped` : '';
  if (conflicts.length === 0 && errors.length === 0 && summary.synced >= summary.wanted)
    return `Synced ${counts}${skipped}`;
  const parts: string[] = [];
  if (conflicts.length > 0) parts.push(`${plural(conflicts.length, 'conflict')} (${list(conflicts)})`);
  if (errors.length > 0)
    parts.push(
      `${plural(errors.length, 'error')} (${list(errors.map((e) => `${e.namespace}: ${clip(e.reason, MAX_REASON)}`))})`,
    );
  return parts.length > 0
    ? `Partial ${counts}: ${parts.join(', ')}${skipped}`
    : `Partial ${counts}${skipped}`;
}
