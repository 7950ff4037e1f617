import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sandboxCommand } from '../../src/cli/sandbox-command.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/sandbox.js';
import { applySeeds, loadManifests } from '../../src/sandbox/seed.js';

const dir = mkdtempSync(join(tmpdir(), 'kubemirror-seed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('seeding', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  it('applies a directory of multi-document YAML with namespaces and CRDs before the objects that need them', async () => {
    const seedDir = mkdtempSync(join(dir, 'seeds-'));
    // the custom resource and the namespaced objects come first on purpose
    writeFileSync(
      join(seedDir, 'a-objects.yaml'),
      'apiVersion: example.com/v1\nkind: Gizmo\nmetadata: {name: g, namespace: seeded}\nspec: {n: 1}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: seeded}\ndata: {a: "1"}\n',
    );
    writeFileSync(
      join(seedDir, 'b-infra.yaml'),
      'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: gizmos.example.com}\nspec:\n  group: example.com\n  scope: Namespaced\n  names: {plural: gizmos, kind: Gizmo}\n  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}]\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: seeded}\n',
    );
    expect(await applySeeds(sandbox, [seedDir])).toBe(4);
    const kc = new KubeConfig();
    kc.loadFromString(sandbox.kubeconfigYaml());
    expect(
      (await kc.makeApiClient(CoreV1Api).readNamespacedConfigMap({ namespace: 'seeded', name: 'c' })).data,
    ).toEqual({ a: '1' });
    const g = await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
      group: 'example.com',
      version: 'v1',
      namespace: 'seeded',
      plural: 'gizmos',
      name: 'g',
    });
    expect((g as { spec: object }).spec).toEqual({ n: 1 });
  });

  it('loads the quickstart example: six namespaces and three sources with stringData folded', async () => {
    const quickstart = resolve(import.meta.dirname, '../../examples/quickstart.yaml');
    const manifests = await loadManifests(quickstart);
    expect(manifests.filter((m) => m.kind === 'Namespace').map((m) => m.metadata?.name)).toEqual([
      'platform',
      'app-frontend',
      'app-backend',
      'team-a',
      'team-b',
      'sandbox-opted-in',
    ]);
    await applySeeds(sandbox, [quickstart]);
    const kc = new KubeConfig();
    kc.loadFromString(sandbox.kubeconfigYaml());
    const secret = await kc
      .makeApiClient(CoreV1Api)
      .readNamespacedSecret({ namespace: 'platform', name: 'db-credentials' });
    expect(secret.stringData).toBeUndefined();
    expect(Object.keys(secret.data ?? {}).sort()).toEqual(['password', 'username']);
    expect(secret.metadata?.annotations?.['kubemirror.io/target-namespaces']).toBe('team-a,team-b');
  });

  it('reports which seed object the API rejected', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Not_Valid, namespace: default}\n');
    await expect(applySeeds(sandbox, [bad])).rejects.toThrow(/ConfigMap default\/Not_Valid/);
  });
});

describe('kubemirror sandbox command', () => {
  let stop: (() => void) | undefined;
  afterEach(() => stop?.());

  it('writes a kubeconfig, applies seeds, passes unknown flags to the controller and exits 0 when stopped', async () => {
    const kubeconfig = join(dir, 'cmd.kubeconfig');
    const seed = join(dir, 'cmd-seed.yaml');
    writeFileSync(seed, 'apiVersion: v1\nkind: Namespace\nmetadata: {name: from-seed}\n');
    const lines: string[] = [];
    const stopped = new Promise<void>((r) => {
      stop = r;
    });
    const controllerCalls: { argv: string[]; kubeconfigPath: string }[] = [];
    let controllerStopped = false;
    const exit = sandboxCommand(
      [
        '--port',
        '0',
        '--kubeconfig',
        kubeconfig,
        '--seed',
        seed,
        '--max-targets',
        '5',
        '--history-window=10',
      ],
      {
        print: (l) => lines.push(l),
        untilStopped: () => stopped,
        startController: async (o) => {
          controllerCalls.push({ argv: o.argv, kubeconfigPath: o.kubeconfigPath });
          return {
            stop: async () => {
              controllerStopped = true;
            },
          };
        },
      },
    );
    await waitForLine(lines, /Ctrl-C/);
    expect(existsSync(kubeconfig)).toBe(true);
    expect(lines.join('\n')).toContain(`export KUBECONFIG=${kubeconfig}`);
    const kc = new KubeConfig();
    kc.loadFromString(readFileSync(kubeconfig, 'utf8'));
    const names = (await kc.makeApiClient(CoreV1Api).listNamespace()).items.map((n) => n.metadata?.name);
    expect(names).toContain('from-seed');
    expect(controllerCalls).toEqual([{ argv: ['--max-targets', '5'], kubeconfigPath: kubeconfig }]);
    stop!();
    expect(await exit).toBe(0);
    expect(controllerStopped).toBe(true);
    await expect(kc.makeApiClient(CoreV1Api).listNamespace()).rejects.toThrow();
  });

  it('does not start the controller with --no-controller', async () => {
    const lines: string[] = [];
    let called = false;
    const exit = sandboxCommand(['--no-controller', '--kubeconfig', join(dir, 'nc.kubeconfig')], {
      print: (l) => lines.push(l),
      untilStopped: () => waitForLine(lines, /Ctrl-C/).then(() => undefined),
      startController: async () => {
        called = true;
        return { stop: async () => {} };
      },
    });
    expect(await exit).toBe(0);
    expect(called).toBe(false);
  });
});

async function waitForLine(lines: string[], re: RegExp): Promise<string> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const hit = lines.find((l) => re.test(l));
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`no line matching ${re}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
