/** Counts API requests per audit verb and resource, e.g. "update secrets", "watch namespaces". */
export interface RequestCounts {
  /** key `${verb} ${resource}` → number of requests received (including failed ones) */
  counts(): Record<string, number>;
  total(filter?: { verbs?: string[]; resources?: string[] }): number;
  reset(): void;
}

export class RequestAccounting implements RequestCounts {
  private map = new Map<string, number>();

  record(verb: string, resource: string): void {
    const key = `${verb} ${resource}`;
    this.map.set(key, (this.map.get(key) ?? 0) + 1);
  }

  counts(): Record<string, number> {
    return Object.fromEntries(this.map);
  }

  total(filter: { verbs?: string[]; resources?: string[] } = {}): number {
    return totalOf(this.map, filter);
  }

  reset(): void {
    this.map = new Map();
  }
}

/** The sum of `verb resource` counts matching the filter (any verb / any resource when not given). */
export function totalOf(
  counts: Iterable<[string, number]>,
  filter: { verbs?: string[]; resources?: string[] } = {},
): number {
  let sum = 0;
  for (const [key, n] of counts) {
    const [verb, resource] = key.split(' ') as [string, string];
    if (filter.verbs && !filter.verbs.includes(verb)) continue;
    if (filter.resources && !filter.resources.includes(resource)) continue;
    sum += n;
  }
  return sum;
}
