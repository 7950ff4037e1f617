import type { Difference } from './compare.js';
import type { CaseResult } from './runner.js';

export interface Figure {
  agree: number;
  total: number;
}

export function figure(results: CaseResult[]): Figure {
  return { agree: results.filter((r) => r.differences.length === 0).length, total: results.length };
}

export function figureLine(f: Figure, kubernetesVersion: string): string {
  return `sandbox agrees with kube-apiserver ${kubernetesVersion} on ${f.agree} of ${f.total} cases`;
}

/** A list index in a path does not make another cause: `items[3].x` and `items[0].x` are one. */
const generalPath = (p: string | undefined) => (p ?? '').replace(/\[\d+\]/g, '[]');

/**
 * The cause a difference stands for: what differs (code, message, a body path…) on which kind and step. A case is
 * filed under its first difference, since later ones usually follow from it (a 201 where a 422 was due makes every
 * read-back differ too).
 */
export function causeOf(r: CaseResult, d: Difference): string {
  const where = `${r.case.kind} ${d.step}`;
  switch (d.aspect) {
    case 'code':
      return `${where}: code kube-apiserver ${d.real}, sandbox ${d.sandbox}`;
    case 'body':
    case 'events':
    case 'details':
    case 'causes':
      return `${where}: ${d.aspect} differ at ${generalPath(d.path) || '(root)'}`;
    default:
      return `${where}: ${d.aspect} differ`;
  }
}

export interface Group {
  cause: string;
  cases: CaseResult[];
}

export function groupDisagreements(results: CaseResult[]): Group[] {
  const groups = new Map<string, CaseResult[]>();
  for (const r of results) {
    if (r.differences.length === 0) continue;
    // the sandbox answering 5xx where kube-apiserver refused with 4xx is its own cause, whatever the step
    const fiveHundred = r.differences.find(
      (d) => d.aspect === 'code' && /^4/.test(d.real) && /^5/.test(d.sandbox),
    );
    const cause = fiveHundred
      ? `sandbox ${fiveHundred.sandbox} where kube-apiserver ${fiveHundred.real}: ${r.case.kind} ${fiveHundred.step}`
      : causeOf(r, r.differences[0]!);
    groups.set(cause, [...(groups.get(cause) ?? []), r]);
  }
  return [...groups.entries()]
    .map(([cause, cases]) => ({ cause, cases }))
    .sort((a, b) => b.cases.length - a.cases.length || a.cause.localeCompare(b.cause));
}

/** The figure line, then each cause with its count, up to three case ids and the first difference of the first. */
export function formatReport(results: CaseResult[], kubernetesVersion: string, maxExamples = 3): string {
  const lines = [figureLine(figure(results), kubernetesVersion)];
  const groups = groupDisagreements(results);
  if (groups.length > 0) lines.push(`disagreements by cause (${groups.length}):`);
  for (const g of groups) {
    lines.push(`  [${g.cases.length}] ${g.cause}`);
    lines.push(
      `      e.g. ${g.cases
        .slice(0, maxExamples)
        .map((c) => c.case.id)
        .join(', ')}`,
    );
    const d = g.cases[0]!.differences[0]!;
    lines.push(`      kube-apiserver: ${d.real}`);
    lines.push(`      sandbox:        ${d.sandbox}`);
  }
  return lines.join('\n');
}
