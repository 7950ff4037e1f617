/**
 * Which metric names the monitoring artefacts (alert rules, Grafana dashboard) use, and whether the controller
 * exports them. The reference is the SPEC §5 list today; `namesInExposition` lets the same check run against a
 * live `/metrics` scrape instead.
 */

/** Metric families SPEC §5 fixes, plus the Node process metrics the dashboard uses and Prometheus's own `up`. */
export const SPEC_METRICS: readonly string[] = [
  'kubemirror_reconcile_total',
  'kubemirror_reconcile_duration_seconds',
  'kubemirror_mirror_resources',
  'kubemirror_sync_errors_total',
  'kubemirror_conflicts_total',
  'kubemirror_drift_corrections_total',
  'kubemirror_fights_total',
  'kubemirror_mirrors_fighting',
  'kubemirror_propagation_duration_seconds',
  'kubemirror_canary_propagation_seconds',
  'kubemirror_canary_success',
  'kubemirror_canary_last_success_timestamp_seconds',
  'kubemirror_canary_rounds_total',
  'kubemirror_api_requests_total',
  'kubemirror_watch_restarts_total',
  'kubemirror_discovered_resource_types',
  'kubemirror_leader',
  'kubemirror_cluster_up',
  'kubemirror_cluster_last_sync_timestamp_seconds',
  'workqueue_depth',
  'workqueue_adds_total',
  'workqueue_retries_total',
  'workqueue_queue_duration_seconds',
  'workqueue_work_duration_seconds',
  'process_resident_memory_bytes',
  'nodejs_heap_size_used_bytes',
  'process_cpu_seconds_total',
];

export const SPEC_HISTOGRAMS: readonly string[] = [
  'kubemirror_reconcile_duration_seconds',
  'kubemirror_propagation_duration_seconds',
  'kubemirror_canary_propagation_seconds',
  'workqueue_queue_duration_seconds',
  'workqueue_work_duration_seconds',
];

/** Series names a scrape shows for these families: histograms add `_bucket`, `_sum` and `_count`. */
export function seriesNames(families: Iterable<string>, histograms: Iterable<string>): Set<string> {
  const names = new Set(families);
  for (const h of histograms) for (const s of ['_bucket', '_sum', '_count']) names.add(h + s);
  return names;
}

/** Series names in a Prometheus text exposition (what `GET /metrics` returns). */
export function namesInExposition(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
    if (m?.[1]) names.add(m[1]);
  }
  return names;
}

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
  'start',
  'end',
]);

/**
 * Metric names referenced by one PromQL expression (also accepts Grafana's `$var`s and `label_values(...)`).
 * Function names, keywords, label names, label values, grouping labels and durations are not metric names.
 */
export function metricNamesInExpr(expr: string): string[] {
  let e = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/label_values\(\s*([^,()]+?)\s*,\s*[a-zA-Z_]\w*\s*\)/g, ' $1 ')
    .replace(/label_values\(\s*[a-zA-Z_]\w*\s*\)/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ');
  e = e.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of e.matchAll(/(?<![\w.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(\s*\()?/g)) {
    const [, name, call] = m;
    if (!name || call || KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names].sort();
}

interface RuleFile {
  groups: { name: string; rules: { record?: string; alert?: string; expr: string }[] }[];
}

/** Metric names a rules file reads, and the names its recording rules define. */
export function metricNamesInRules(rules: RuleFile): { used: string[]; recorded: string[] } {
  const used = new Set<string>();
  const recorded = new Set<string>();
  for (const g of rules.groups) {
    for (const r of g.rules) {
      if (r.record) recorded.add(r.record);
      for (const n of metricNamesInExpr(r.expr)) used.add(n);
    }
  }
  return { used: [...used].sort(), recorded: [...recorded].sort() };
}

/** Every PromQL string of a Grafana dashboard: panel targets (nested rows too) and template variable queries. */
export function dashboardQueries(dashboard: unknown): string[] {
  const out: string[] = [];
  const walk = (node: unknown, key: string): void => {
    if (typeof node === 'string') {
      if (key === 'expr' || key === 'query' || key === 'definition') out.push(node);
      return;
    }
    if (Array.isArray(node)) for (const n of node) walk(n, key);
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) walk(v, k);
    }
  };
  const d = dashboard as { panels?: unknown; templating?: { list?: { type?: string }[] } };
  walk(d.panels, '');
  // a datasource variable's `query` is a plugin id ("prometheus"), not PromQL
  walk(
    (d.templating?.list ?? []).filter((v) => v.type === 'query'),
    '',
  );
  return out;
}

export function metricNamesInDashboard(dashboard: unknown): string[] {
  return [...new Set(dashboardQueries(dashboard).flatMap(metricNamesInExpr))].sort();
}

/** Names in `used` that are neither exported nor recording rules; `up` is Prometheus's own. */
export function unknownMetricNames(
  used: Iterable<string>,
  exported: ReadonlySet<string>,
  recorded: Iterable<string> = [],
): string[] {
  const known = new Set([...exported, ...recorded, 'up']);
  return [...new Set(used)].filter((n) => !known.has(n)).sort();
}
