import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { planCommand } from '../../src/cli/plan-command.js';
import { statusCommand } from '../../src/cli/status-command.js';
import type { SourceStatusRow } from '../../src/cli/status-report.js';
import { mirrorKeys } from '../../src/core/keys.js';
import type { KubeObject } from '../../src/core/types.js';
import { type ControllerHarness as Harness, startAnyHarness } from '../helpers/any-harness.js';
import { configMap } from './scenarios.js';

/**
 * One scenario through the controller, `kubemirror plan` and `kubemirror status`: all three run the same
 * decision (core/decide.ts), so they must agree target by target — synced, conflict, error — and reason by
 * reason. agree-a is mirrored; agree-b holds an unmanaged object of the source's name; agree-c fails a
 * strict transform rule.
 */

const keys = mirrorKeys();
const TARGETS = ['agree-a', 'agree-b', 'agree-c'];
let h: Harness;

const source = configMap(
  'agree-src',
  'shared',
  {
    [keys.targetNamespaces]: 'agree-*',
    [keys.transformStrict]: 'true',
    [keys.transform]: 'rules:\n- path: data.list[3]\n  value: x\n  namespacePattern: agree-c\n',
  },
  { k: 'v' },
);
const unmanaged: KubeObject = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'shared', namespace: 'agree-b' },
  data: { mine: 'not yours' },
};

beforeAll(async () => {
  h = await startAnyHarness();
  for (const ns of ['agree-src', ...TARGETS]) await h.kube.namespace(ns);
  await h.kube.create(unmanaged);
  await h.kube.create(source);
});

afterAll(async () => {
  await h?.stop();
});

describe('controller, plan and status decide alike', () => {
  it('agree target by target', async () => {
    // the controller
    const line = await h.expectStatus('v1', 'ConfigMap', 'agree-src', 'shared', (l) =>
      l.startsWith('Partial 1/3'),
    );
    expect(line).toMatch(/1 conflict \(agree-b\)/);
    expect(line).toMatch(/1 error \(agree-c: /);
    await h.expectMirrorsIn('v1', 'ConfigMap', 'shared', ['agree-a']);
    expect((await h.kube.get('v1', 'ConfigMap', 'agree-b', 'shared'))?.data).toEqual({ mine: 'not yours' });

    // kubemirror status, on the same cluster
    let out = '';
    const code = await statusCommand(['status', '-o', 'json', '--resource-types', 'ConfigMap.v1'], {
      stdout: (s) => (out += s),
      stderr: () => {},
      env: { KUBECONFIG: h.kubeconfigPath },
    });
    expect(code).toBe(1); // not Full
    const rows = JSON.parse(out) as SourceStatusRow[];
    const row = rows.find((r) => r.source === 'agree-src/shared')!;
    expect(row).toMatchObject({ wanted: 3, synced: 1, conflicts: 1, failed: 1 });
    expect(row.conflictNamespaces).toEqual(['agree-b']);
    expect(row.failedNamespaces).toEqual(['agree-c']);

    // kubemirror plan, from a file holding what the cluster holds
    const file = join(h.tmpDir, 'agree.yaml');
    const namespaces = ['agree-src', ...TARGETS].map((n) => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: n },
    }));
    writeFileSync(file, [...namespaces, unmanaged, source].map((o) => stringify(o)).join('---\n'));
    let planned = '';
    let problems = '';
    const planCode = await planCommand(['plan', '-f', file], {
      stdout: (s) => (planned += s),
      stderr: (s) => (problems += s),
    });
    expect(planCode).toBe(1); // the agree-c error
    const mirrored = [...planned.matchAll(/^# ConfigMap agree-src\/shared → (\S+)$/gm)].map((m) => m[1]);
    expect(mirrored).toEqual([]); // with an error, nothing is printed…
    expect(problems).toMatch(/1 mirror\(s\) planned for the targets without errors/); // …but agree-a is planned
    expect(problems).toMatch(/ConfigMap agree-src\/shared → agree-b: not mirrored, conflict: /);
    expect(problems).toMatch(
      /error: ConfigMap agree-src\/shared → agree-c: .*\(strict mode: this target fails\)/,
    );
    expect(problems).not.toMatch(/agree-b\/shared/); // the unmanaged object is not taken for a second source
  });
});
