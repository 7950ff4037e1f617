import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusCommand } from '../../src/cli/status-command.js';
import { type ControllerHarness as Harness, startAnyHarness } from '../helpers/any-harness.js';
import { waitFor } from '../helpers/wait.js';
import { configMap } from './scenarios.js';

/** `kubemirror status --controller-url`: freshness from the running controller's /status, or a plain warning. */
let h: Harness;

async function status(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await statusCommand(argv, {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    env: {},
  });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  h = await startAnyHarness();
  for (const ns of ['fr-src', 'fr-a']) await h.kube.namespace(ns);
  await h.kube.create(
    configMap('fr-src', 'fresh', { 'kubemirror.io/target-namespaces': 'fr-a' }, { v: '1' }),
  );
  await h.expectStatus('v1', 'ConfigMap', 'fr-src', 'fresh', (l) => l === 'Synced 1/1');
  // a change of content: its propagation is measured
  await h.kube.mergePatch('v1', 'ConfigMap', 'fr-src', 'fresh', { data: { v: '2' } });
});

afterAll(async () => {
  await h?.stop();
});

describe('kubemirror status --controller-url', () => {
  it('adds the last sync time and propagation of each source from the controller', async () => {
    const url = `http://${h.running!.http.probeAddress}`;
    const args = [
      '--kubeconfig',
      h.kubeconfigPath,
      '--resource-types',
      'ConfigMap.v1',
      '--controller-url',
      url,
    ];
    const r = await waitFor(
      'the propagation of the change in the controller /status',
      () => status(...args, '-o', 'json'),
      (x) =>
        JSON.parse(x.stdout).some((row: { lastPropagationSeconds?: number }) => row.lastPropagationSeconds),
    );
    const rows = JSON.parse(r.stdout) as { source: string }[];
    expect(rows.map((x) => x.source)).not.toContain('fr-src/probe');
    const row = rows.find((x) => x.source === 'fr-src/fresh') as {
      lastSyncTime?: string;
      lastPropagationSeconds?: number;
    };
    expect(row?.lastSyncTime).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(row?.lastPropagationSeconds).toBeGreaterThan(0);
    const table = await status(
      '--kubeconfig',
      h.kubeconfigPath,
      '--resource-types',
      'ConfigMap.v1',
      '--controller-url',
      url,
    );
    expect(table.stdout).toContain(`Freshness (from the controller at ${url}):`);
    expect(table.stdout).toMatch(
      /configmaps {2}fr-src\/fresh {2}last propagation \d+\.\d\d s {2}last sync \d{4}-/,
    );
  });

  it('says so when the controller cannot be reached, and still reports coverage', async () => {
    const r = await status(
      '--kubeconfig',
      h.kubeconfigPath,
      '--resource-types',
      'ConfigMap.v1',
      '--controller-url',
      'http://127.0.0.1:1',
    );
    expect(r.stderr).toMatch(
      /warning: cannot reach the controller at http:\/\/127\.0\.0\.1:1 .*propagation figures not shown/,
    );
    expect(r.stdout).toContain('fr-src/fresh');
    expect(r.code).toBe(0);
  });
});
