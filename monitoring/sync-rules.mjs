#!/usr/bin/env node
// Regenerates the copies of rules/kubemirror-rules.yaml (the source of truth):
//   monitoring/prometheusrule.yaml                  the PrometheusRule object for prometheus-operator
//   charts/kubemirror/files/kubemirror-rules.yaml   what the chart's PrometheusRule template includes
// Run `node monitoring/sync-rules.mjs` after editing the rules; test/packaging/monitoring.test.ts checks the copies.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, 'rules', 'kubemirror-rules.yaml');
const text = readFileSync(source, 'utf8');
const body = text.slice(text.search(/^groups:/m));
const indented = body
  .split('\n')
  .map((line) => (line === '' ? line : `  ${line}`))
  .join('\n');

const header = `# Generated from monitoring/rules/kubemirror-rules.yaml by monitoring/sync-rules.mjs: edit that file, not this one.
# The kubemirror alerts and recording rules for the prometheus-operator. The operator's Prometheus selects rules
# by label (ruleSelector): add yours (e.g. release: kube-prometheus-stack) before applying.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: kubemirror
  namespace: kubemirror-system
  labels:
    app.kubernetes.io/name: kubemirror
    app.kubernetes.io/part-of: kubemirror
spec:
`;
writeFileSync(join(here, 'prometheusrule.yaml'), header + indented);
copyFileSync(source, join(here, '..', 'charts', 'kubemirror', 'files', 'kubemirror-rules.yaml'));
