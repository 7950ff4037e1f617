import { readCases } from './cases-read.js';
import { specialCases } from './cases-special.js';
import { writeCases } from './cases-write.js';
import { KINDS } from './kinds.js';
import type { Case } from './types.js';

/**
 * The request catalogue of SPEC §10: every kind of kinds.ts crossed with the verbs and bodies of cases-write.ts and
 * the reads of cases-read.ts, plus kubectl's requests and what only Events and custom resources have
 * (cases-special.ts). Ids are unique; each case runs in a namespace derived from its id (runner.ts).
 */
export function catalogue(): Case[] {
  const cases = [...KINDS.flatMap((k) => [...writeCases(k), ...readCases(k)]), ...specialCases()];
  const seen = new Set<string>();
  for (const c of cases) {
    if (seen.has(c.id)) throw new Error(`duplicate case id ${c.id}`);
    seen.add(c.id);
  }
  return cases;
}
