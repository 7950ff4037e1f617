import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { startHttpServers } from '../../src/observability/http-server.js';
import { createMetrics } from '../../src/observability/metrics.js';
import {
  metricNamesInDashboard,
  metricNamesInExpr,
  metricNamesInRules,
  namesInExposition,
  SPEC_HISTOGRAMS,
  SPEC_METRICS,
  seriesNames,
  unknownMetricNames,
} from './metric-names.js';

const root = resolve(import.meta.dirname, '..', '..');
const mon = join(root, 'monitoring');
const rulesPath = join(mon, 'rules', 'kubemirror-rules.yaml');
const rulesText = readFileSync(rulesPath, 'utf8');

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; rules: Rule[] }[];
}
const rules = parse(rulesText) as RuleFile;
const alerts = rules.groups.flatMap((g) => g.rules).filter((r) => r.alert);

function promtool(...args: string[]): { status: number | null; out: string } {
  const res = spawnSync('promtool', args, { encoding: 'utf8', cwd: root });
  if (res.error)
    throw new Error(`promtool not runnable (apt-get install -y prometheus): ${res.error.message}`);
  return { status: res.status, out: res.stdout + res.stderr };
}

describe('alert and recording rules', () => {
  it('pass promtool check rules', () => {
    const res = promtool('check', 'rules', rulesPath);
    expect(res.status, res.out).toBe(0);
  });

  it('pass their promtool unit tests', () => {
    const res = promtool('test', 'rules', join(mon, 'tests', 'kubemirror-rules.test.yaml'));
    expect(res.status, res.out).toBe(0);
  });

  it('have an alert for every failure the SPEC names', () => {
    const names = alerts.map((a) => a.alert);
    for (const a of [
      'KubemirrorSyncErrors',
      'KubemirrorConflicts',
      'KubemirrorWatchStalled',
      'KubemirrorWatchRestarting',
      'KubemirrorQueueDepthHigh',
      'KubemirrorReconcileSlow',
      'KubemirrorNoLeader',
      'KubemirrorDown',
      'KubemirrorCanaryFailing',
      'KubemirrorPropagationSlow',
      'KubemirrorRemoteClusterDown',
    ]) {
      expect(names).toContain(a);
    }
    expect(rules.groups.flatMap((g) => g.rules).filter((r) => r.record).length).toBeGreaterThan(0);
  });

  it('give every alert a severity, a summary, a description and a runbook section that exists', () => {
    const runbooks = readFileSync(join(root, 'docs', 'runbooks.md'), 'utf8');
    const anchors = new Set(
      [...runbooks.matchAll(/^#+\s+(.+)$/gm)].map((m) =>
        m[1]!
          .trim()
          .toLowerCase()
          .replace(/[^\w\- ]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    for (const a of alerts) {
      expect(['critical', 'warning', 'info'], a.alert).toContain(a.labels?.severity);
      expect(a.annotations?.summary, a.alert).toBeTruthy();
      expect(a.annotations?.description, a.alert).toBeTruthy();
      const url = a.annotations?.runbook_url ?? '';
      expect(url, a.alert).toMatch(
        /^https:\/\/github\.com\/kubemirror\/kubemirror\/blob\/main\/docs\/runbooks\.md#/,
      );
      expect(anchors, `${a.alert} → ${url}`).toContain(url.split('#')[1]);
    }
  });

  it('test every alert both firing and staying silent', () => {
    const tests = parse(readFileSync(join(mon, 'tests', 'kubemirror-rules.test.yaml'), 'utf8')) as {
      tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
    };
    const cases = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const a of alerts) {
      const mine = cases.filter((c) => c.alertname === a.alert);
      expect(
        mine.some((c) => (c.exp_alerts ?? []).length > 0),
        `${a.alert} has no firing case`,
      ).toBe(true);
      expect(
        mine.some((c) => (c.exp_alerts ?? []).length === 0),
        `${a.alert} has no silent case`,
      ).toBe(true);
    }
  });
});

describe('copies of the rules', () => {
  it('the chart ships the rules file byte for byte', () => {
    const chartCopy = readFileSync(
      join(root, 'charts', 'kubemirror', 'files', 'kubemirror-rules.yaml'),
      'utf8',
    );
    expect(chartCopy, 'run `node monitoring/sync-rules.mjs`').toBe(rulesText);
  });

  it('monitoring/prometheusrule.yaml holds the same groups, and promtool accepts them', () => {
    const docs = parseAllDocuments(readFileSync(join(mon, 'prometheusrule.yaml'), 'utf8')).map((d) =>
      d.toJS(),
    );
    expect(docs).toHaveLength(1);
    const pr = docs[0] as { apiVersion: string; kind: string; spec: RuleFile };
    expect(pr.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(pr.kind).toBe('PrometheusRule');
    expect(pr.spec, 'run `node monitoring/sync-rules.mjs`').toEqual(rules);

    const dir = mkdtempSync(join(tmpdir(), 'kubemirror-rules-'));
    try {
      const file = join(dir, 'rules.yaml');
      writeFileSync(file, JSON.stringify(pr.spec));
      const res = promtool('check', 'rules', file);
      expect(res.status, res.out).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the ServiceMonitor scrapes the metrics port of the kustomize Service with job="kubemirror"', () => {
    const sm = parse(readFileSync(join(mon, 'servicemonitor.yaml'), 'utf8')) as {
      kind: string;
      spec: {
        jobLabel: string;
        selector: { matchLabels: Record<string, string> };
        endpoints: { port: string }[];
      };
    };
    const svc = parse(readFileSync(join(root, 'deploy', 'service.yaml'), 'utf8')) as {
      spec: { ports: { name: string }[] };
    };
    expect(sm.kind).toBe('ServiceMonitor');
    expect(sm.spec.endpoints.map((e) => e.port)).toEqual(['metrics']);
    expect(svc.spec.ports.map((p) => p.name)).toContain('metrics');
    expect(sm.spec.jobLabel).toBe('app.kubernetes.io/part-of');
  });
});

describe('metric names', () => {
  const exported = seriesNames(SPEC_METRICS, SPEC_HISTOGRAMS);
  const { used, recorded } = metricNamesInRules(rules);

  it('are extracted from PromQL without functions, labels, keywords or Grafana variables', () => {
    expect(
      metricNamesInExpr(
        'sum by (namespace, le) (rate(a_bucket{job=~".*x.*", pod=~"$pod"}[$__rate_interval])) / on (pod) group_left(name) b > bool 0 unless c offset 5m',
      ),
    ).toEqual(['a_bucket', 'b', 'c']);
    expect(metricNamesInExpr('label_values(kubemirror_leader{namespace=~"$namespace"}, pod)')).toEqual([
      'kubemirror_leader',
    ]);
    expect(metricNamesInExpr('histogram_quantile(0.99, sum(rate(x:y:rate5m[5m]))) or vector(0)')).toEqual([
      'x:y:rate5m',
    ]);
    expect(namesInExposition('# HELP up x\n# TYPE a counter\na_total{x="1"} 3\nb 1\n')).toEqual(
      new Set(['a_total', 'b']),
    );
  });

  it('flags a name the controller does not export', () => {
    expect(unknownMetricNames(['kubemirror_leader', 'kubemirror_made_up_total'], exported)).toEqual([
      'kubemirror_made_up_total',
    ]);
  });

  it('used by the rules are all exported by the controller (or recorded by the rules)', () => {
    expect(used.length).toBeGreaterThan(5);
    expect(unknownMetricNames(used, exported, recorded)).toEqual([]);
  });

  it('used by the Grafana dashboard are all exported by the controller (or recorded by the rules)', () => {
    const dashboard = JSON.parse(readFileSync(join(mon, 'grafana-dashboard.json'), 'utf8')) as unknown;
    const names = metricNamesInDashboard(dashboard);
    expect(names).toContain('kubemirror_mirror_resources');
    expect(unknownMetricNames(names, exported, recorded)).toEqual([]);
  });
});

describe('remote cluster monitoring (SPEC §8)', () => {
  it('KubemirrorRemoteClusterDown is per cluster and only fires when no replica reaches the cluster', () => {
    const alert = alerts.find((a) => a.alert === 'KubemirrorRemoteClusterDown')!;
    expect(alert.expr.trim()).toBe('max by (namespace, cluster) (kubemirror_cluster_up) == 0');
    expect(alert.for).toBe('5m');
    expect(alert.labels?.severity).toBe('warning');
    expect(alert.annotations?.summary).toContain('{{ $labels.cluster }}');
  });
});

// Grafana's own variable syntax, not a JS template
const GRAFANA_DATASOURCE_VAR = ['$', '{datasource}'].join('');

describe('Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(join(mon, 'grafana-dashboard.json'), 'utf8')) as {
    uid: string;
    templating: { list: { name: string; type: string }[] };
    panels: { type: string; title: string; datasource?: { uid: string }; targets?: { expr: string }[] }[];
  };

  it('has datasource, namespace and pod variables, and every query panel uses the datasource variable', () => {
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'namespace', 'pod']);
    const queryPanels = dashboard.panels.filter((p) => p.type !== 'row');
    for (const p of queryPanels) expect(p.datasource?.uid, p.title).toBe(GRAFANA_DATASOURCE_VAR);
  });

  it('has a "Remote clusters" row with per-cluster reachability and seconds since the last sync', () => {
    const row = dashboard.panels.findIndex((p) => p.type === 'row' && p.title === 'Remote clusters');
    expect(row).toBeGreaterThanOrEqual(0);
    const next = dashboard.panels.slice(row + 1).findIndex((p) => p.type === 'row');
    const inRow = dashboard.panels.slice(row + 1, next < 0 ? undefined : row + 1 + next);
    const exprs = inRow.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(exprs).toEqual([
      expect.stringMatching(/^max by \(cluster\) \(kubemirror_cluster_up\{/),
      expect.stringMatching(
        /^time\(\) - max by \(cluster\) \(kubemirror_cluster_last_sync_timestamp_seconds\{.*\} > 0\)$/,
      ),
    ]);
    const legends = inRow.flatMap((p) =>
      (p.targets ?? []).map((t) => (t as { legendFormat?: string }).legendFormat),
    );
    expect(legends).toEqual(['{{cluster}}', '{{cluster}}']);
  });

  it('has panels for mirrors, sync rate, errors, conflicts, queues, latency, watches, API requests and memory', () => {
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).join('\n');
    for (const metric of [
      'kubemirror_mirror_resources',
      'kubemirror_reconcile_total',
      'kubemirror_sync_errors_total',
      'kubemirror_conflicts_total',
      'workqueue_depth',
      'kubemirror_reconcile_duration_seconds_bucket',
      'kubemirror_watch_restarts_total',
      'kubemirror_api_requests_total',
      'process_resident_memory_bytes',
      'kubemirror_propagation_duration_seconds_bucket',
      'kubemirror_canary_propagation_seconds_bucket',
      'kubemirror_canary_success',
      'kubemirror_canary_last_success_timestamp_seconds',
      'kubemirror_cluster_up',
      'kubemirror_cluster_last_sync_timestamp_seconds',
    ]) {
      expect(exprs).toContain(metric);
    }
    // every series is filtered by the namespace and pod variables
    for (const p of dashboard.panels) {
      for (const t of p.targets ?? [])
        expect(t.expr, p.title).toMatch(/namespace=~"\$namespace", pod=~"\$pod"/);
    }
  });
});

describe('metric names against a live /metrics', () => {
  it("every name the rules and the dashboard use is served by the controller's metrics endpoint", async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry);
    // what a running controller does before the first scrape: watch a type, talk to the API server
    metrics.initResource('secrets');
    metrics.apiRequest('list', 'secrets', 200);
    // and, with cross-cluster mirroring on, a registered remote cluster (its series exist per cluster only)
    metrics.setClusterUp('west', true);
    metrics.clusterSynced('west', Date.now());
    const ok = () => ({ ok: true });
    const servers = await startHttpServers({
      metricsAddress: '127.0.0.1:0',
      probeAddress: '0',
      registry,
      health: ok,
      ready: ok,
      leader: () => 'Follower',
      status: () => ({}),
    });
    try {
      const res = await fetch(`http://${servers.metricsAddress}/metrics`);
      expect(res.status).toBe(200);
      const served = namesInExposition(await res.text());
      const { used, recorded } = metricNamesInRules(rules);
      const dashboard = JSON.parse(readFileSync(join(mon, 'grafana-dashboard.json'), 'utf8')) as unknown;
      expect(unknownMetricNames(used, served, recorded)).toEqual([]);
      expect(unknownMetricNames(metricNamesInDashboard(dashboard), served, recorded)).toEqual([]);
    } finally {
      await servers.close();
    }
  });
});
