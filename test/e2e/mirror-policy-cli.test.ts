import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { planCommand } from '../../src/cli/plan-command.js';
import { statusCommand } from '../../src/cli/status-command.js';
import type { SourceStatusRow } from '../../src/cli/status-report.js';
import type { KubeObject } from '../../src/core/types.js';
import { Harness } from '../helpers/harness.js';
import { expectPolicy, installPolicyCrd, policy } from '../integration/mirror-policy-scenarios.js';

/** `kubemirror plan -f` and `kubemirror status` with MirrorPolicies (SPEC §11), as a user runs them. */
const P = 'kubemirror.io';

async function plan(file: string) {
  let stdout = '';
  let stderr = '';
  const code = await planCommand(['plan', '-f', file], {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
  });
  const mirrors = (parseAllDocuments(stdout) as unknown as Array<{ toJS(): KubeObject | null }>)
    .map((d) => d.toJS())
    .filter((o): o is KubeObject => o !== null);
  return { code, stdout, stderr, mirrors };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubemirror-policy-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('kubemirror plan -f with MirrorPolicies', () => {
  it('plans the objects a policy selects, beside it in the file, with P/policy on every mirror', async () => {
    const r = await plan('examples/mirror-policy.yaml');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const where = r.mirrors.map((m) => `${m.kind}/${m.metadata.namespace}`).sort();
    expect(where).toEqual([
      'ConfigMap/analytics',
      'ConfigMap/squad-orders',
      'ConfigMap/squad-search',
      'Secret/analytics',
      'Secret/squad-orders',
      'Secret/squad-search',
    ]);
    for (const m of r.mirrors) {
      expect(m.metadata.annotations?.[`${P}/policy`]).toBe('pg-credentials');
      expect(m.metadata.labels?.['example.com/copy-in']).toBe(m.metadata.namespace);
    }
    expect(r.stdout).toContain('# Secret databases/app-pg-app (MirrorPolicy pg-credentials) → squad-orders');
  });

  it('an object with its own sync annotation follows it; a second policy selecting an object is told the first governs', async () => {
    const text = await readFile('examples/mirror-policy.yaml', 'utf8');
    const extra = `
---
apiVersion: kubemirror.io/v1alpha1
kind: MirrorPolicy
metadata: {name: second, namespace: databases}
spec:
  resources: [{apiVersion: v1, kind: Secret, names: [app-pg-app]}]
  targetNamespaces: [analytics]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: annotated
  namespace: databases
  labels: {app: pg, ${P}/enabled: "true"}
  annotations: {${P}/sync: "true", ${P}/target-namespaces: squad-orders}
data: {a: b}
`;
    const file = join(dir, 'overlap.yaml');
    await writeFile(file, text + extra);
    const r = await plan(file);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'warning: Secret databases/app-pg-app: selected by MirrorPolicy databases/second too; pg-credentials, earlier in the file, governs it',
    );
    expect(r.stderr).toContain(
      `ConfigMap databases/annotated: selected by MirrorPolicy databases/pg-credentials but governed by its own ${P}/sync annotation`,
    );
    const annotated = r.mirrors.filter((m) => m.metadata.name === 'annotated');
    expect(annotated.map((m) => m.metadata.namespace)).toEqual(['squad-orders']);
    expect(annotated[0]?.metadata.annotations?.[`${P}/policy`]).toBeUndefined();
  });

  it('a policy of a denied kind, or with an invalid spec, is an error (exit 1) naming the problem', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(
      file,
      `apiVersion: v1
kind: Namespace
metadata: {name: t1}
---
apiVersion: kubemirror.io/v1alpha1
kind: MirrorPolicy
metadata: {name: bad, namespace: db}
spec:
  resources:
    - {apiVersion: v1, kind: Pod, names: [p]}
    - {apiVersion: v1, kind: Secret, names: [a], selector: {matchLabels: {a: b}}}
  targetNamespaces: [t1]
`,
    );
    const r = await plan(file);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'MirrorPolicy db/bad: spec.resources[1]: must have exactly one of names or selector',
    );
    expect(r.stderr).toContain('MirrorPolicy db/bad: Pod (v1): Pod is never mirrored');
  });
});

describe('kubemirror status with MirrorPolicies', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ controller: false });
    await installPolicyCrd(h.kube);
    await h.startController();
  });
  afterAll(async () => {
    await h?.stop();
  });

  async function status(...argv: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await statusCommand(['status', '--kubeconfig', h.kubeconfigPath, ...argv], {
      stdout: (s) => (stdout += s),
      stderr: (s) => (stderr += s),
      env: {},
    });
    expect(stdout + stderr).not.toContain('example-only-pg-password');
    return { code, stdout, stderr };
  }

  it('lists the objects a policy governs, naming it, and the policy with its coverage', async () => {
    const text = await readFile('examples/mirror-policy.yaml', 'utf8');
    for (const d of parseAllDocuments(text) as unknown as Array<{ toJS(): KubeObject | null }>) {
      const o = d.toJS();
      if (o) await h.kube.apply(o);
    }
    await expectPolicy(h.kube, 'databases', 'pg-credentials', (_s, r) => r.message === 'Synced 6/6');
    const r = await status();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /secrets\s+databases\/app-pg-app \(policy pg-credentials\)\s+3\s+3\s+0\s+0\s+100%\s+Full/,
    );
    expect(r.stdout).toContain('MirrorPolicies:');
    expect(r.stdout).toMatch(
      /databases\/pg-credentials {2}2 sources {2}6\/6 targets synced \(100%\) {2}Full/,
    );
    const json = JSON.parse((await status('-o', 'json')).stdout) as SourceStatusRow[];
    expect(
      json
        .filter((row) => row.policy === 'databases/pg-credentials')
        .map((row) => row.source)
        .sort(),
    ).toEqual(['databases/app-pg-app', 'databases/pg-endpoints']);
  });

  it('a policy with a problem makes the exit code 1 and says why', async () => {
    await h.kube.namespace('st-bad');
    await h.kube.create(
      policy('st-bad', 'widgets', {
        resources: [{ apiVersion: 'example.com/v1', kind: 'Widget', names: ['w'] }],
        targetNamespaces: ['squad-orders'],
      }),
    );
    const r = await status();
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/st-bad\/widgets {2}None {2}Error: Widget \(example.com\/v1\): not served/);
  });
});
