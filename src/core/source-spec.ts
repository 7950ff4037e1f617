import { globProblem, isGlob } from './glob.js';
import type { MirrorKeys } from './keys.js';
import { type LabelSelector, parseLabelSelector } from './label-selector.js';
import type { KubeObject } from './types.js';

/** One entry of `P/target-namespaces`. */
export type TargetEntry =
  | { type: 'all' }
  | { type: 'all-labeled' }
  | { type: 'name'; name: string }
  | { type: 'glob'; pattern: string }
  /** `!glob` (or `!name`): removed from the union of includes */
  | { type: 'exclude'; pattern: string };

/** What a source asks for, read from its labels and annotations. Never throws: problems land in `errors`. */
export interface SourceSpec {
  /** label `P/enabled: "true"` */
  enabled: boolean;
  /** annotation `P/sync: "true"` */
  syncAnnotation: boolean;
  /** both of the above: mirroring is on */
  syncEnabled: boolean;
  targets: readonly TargetEntry[];
  /** `P/target-namespace-selector`; null when absent, blank or invalid */
  selector: LabelSelector | null;
  /** `P/transform` text; null when absent or blank */
  transformText: string | null;
  /** `P/transform-strict: "true"` */
  transformStrict: boolean;
  /**
   * `P/target-clusters` (SPEC §8): cluster names or globs, `local` for this cluster; absent or blank = `local`
   */
  targetClusters: readonly string[];
  /** human-readable problems; a spec with errors must not change any mirror */
  errors: readonly string[];
}

// Namespace names are DNS-1123 labels; globs add `*`, `?` and `[...]` classes.
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function parseEntry(raw: string, errors: string[]): TargetEntry | null {
  if (raw === 'all') return { type: 'all' };
  if (raw === 'all-labeled') return { type: 'all-labeled' };
  if (raw.startsWith('!')) {
    const pattern = raw.slice(1).trim();
    const problem = isGlob(pattern)
      ? globProblem(pattern)
      : NAME.test(pattern)
        ? null
        : 'not a namespace name';
    if (problem) {
      errors.push(`invalid exclude entry "${raw}" in target-namespaces: ${problem}`);
      return null;
    }
    return { type: 'exclude', pattern };
  }
  if (isGlob(raw)) {
    const problem = globProblem(raw);
    if (problem) {
      errors.push(`invalid pattern "${raw}" in target-namespaces: ${problem}`);
      return null;
    }
    return { type: 'glob', pattern: raw };
  }
  if (!NAME.test(raw) || raw.length > 63) {
    errors.push(`invalid namespace name "${raw}" in target-namespaces`);
    return null;
  }
  return { type: 'name', name: raw };
}

/** Comma-separated entries, whitespace trimmed, empty entries ignored. */
export function parseTargetEntries(text: string, errors: string[] = []): TargetEntry[] {
  const out: TargetEntry[] = [];
  for (const part of text.split(',')) {
    const raw = part.trim();
    if (raw === '') continue;
    const entry = parseEntry(raw, errors);
    if (entry) out.push(entry);
  }
  return out;
}

/**
 * Reads a source's mirroring spec. Sync is on only when the label `P/enabled` and the annotation `P/sync`
 * are both exactly "true". A blank selector annotation is treated as absent (not as "every namespace").
 */
export function readSourceSpec(obj: KubeObject, keys: MirrorKeys): SourceSpec {
  const labels = obj.metadata.labels ?? {};
  const annotations = obj.metadata.annotations ?? {};
  const errors: string[] = [];

  const enabled = labels[keys.enabled] === 'true';
  const syncAnnotation = annotations[keys.sync] === 'true';
  const targets = parseTargetEntries(annotations[keys.targetNamespaces] ?? '', errors);

  let selector: LabelSelector | null = null;
  const selectorText = annotations[keys.targetNamespaceSelector];
  if (selectorText !== undefined && selectorText.trim() !== '') {
    try {
      selector = parseLabelSelector(selectorText);
    } catch (err) {
      errors.push(`target-namespace-selector: ${(err as Error).message}`);
    }
  }

  const targetClusters = parseTargetClusters(annotations[keys.targetClusters], errors);
  const transformText = annotations[keys.transform];
  return {
    enabled,
    syncAnnotation,
    syncEnabled: enabled && syncAnnotation,
    targets,
    selector,
    transformText: transformText !== undefined && transformText.trim() !== '' ? transformText : null,
    transformStrict: annotations[keys.transformStrict] === 'true',
    targetClusters,
    errors,
  };
}

/** `P/target-clusters`: comma-separated cluster names (DNS labels) or globs; absent or blank = this cluster. */
function parseTargetClusters(text: string | undefined, errors: string[]): string[] {
  const out: string[] = [];
  for (const part of (text ?? '').split(',')) {
    const raw = part.trim();
    if (raw === '') continue;
    const problem = isGlob(raw)
      ? globProblem(raw)
      : NAME.test(raw) && raw.length <= 63
        ? null
        : 'not a cluster name';
    if (problem) errors.push(`invalid entry "${raw}" in target-clusters: ${problem}`);
    else out.push(raw);
  }
  return out.length > 0 ? out : ['local'];
}
