import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxCommand } from '../../src/cli/sandbox-command.js';
import {
  clusterNameProblems,
  type SandboxClusters,
  startSandboxClusters,
} from '../../src/sandbox/clusters.js';
import { sandboxKubeconfig } from '../../src/sandbox/kubeconfig.js';
import { Kubectl, rejection, waitFor } from './helpers.js';

let sandboxes: SandboxClusters;
let kubectl: Kubectl;

/** A client-node CoreV1Api for one context of the shared kubeconfig. */
function core(context: string): CoreV1Api {
  const kc = new KubeConfig();
  kc.loadFromString(sandboxes.kubeconfigYaml());
  kc.setCurrentContext(context);
  return kc.makeApiClient(CoreV1Api);
}

beforeAll(async () => {
  // no token: kubectl (client-go clientcmd/client_config.go) sends user credentials only over TLS
  sandboxes = await startSandboxClusters(['east', 'west']);
  kubectl = new Kubectl();
  await sandboxes.writeKubeconfig(kubectl.kubeconfig);
});
afterAll(async () => {
  await sandboxes.stop();
  kubectl.cleanup();
});

describe('several sandbox clusters in one process', () => {
  it('serves each cluster on its own port, with a context per cluster and the first one current', async () => {
    expect([...sandboxes.clusters.keys()]).toEqual(['east', 'west']);
    expect(sandboxes.cluster('east').url).not.toBe(sandboxes.cluster('west').url);
    expect((await kubectl.ok(['config', 'current-context'])).trim()).toBe('east');
    expect((await kubectl.ok(['config', 'get-contexts', '-o', 'name'])).trim().split('\n').sort()).toEqual([
      'east',
      'west',
    ]);
    expect(() => sandboxes.cluster('north')).toThrow(/north/);
  });

  it('keeps stores apart: an object created in east is absent in west (real kubectl, --context)', async () => {
    await kubectl.ok(['--context', 'east', 'create', 'namespace', 'only-east']);
    await kubectl.ok([
      '--context',
      'east',
      'create',
      'configmap',
      'c',
      '-n',
      'default',
      '--from-literal=a=1',
    ]);
    expect(await kubectl.ok(['--context', 'east', 'get', 'ns', 'only-east', '-o', 'name'])).toContain(
      'namespace/only-east',
    );
    const west = await kubectl.run(['--context', 'west', 'get', 'ns', 'only-east']);
    expect(west.code).not.toBe(0);
    expect(west.stderr).toContain('NotFound');
    const westCm = await kubectl.run(['--context', 'west', 'get', 'configmap', 'c', '-n', 'default']);
    expect(westCm.stderr).toContain('NotFound');
    // the current context (no --context) is east
    expect(await kubectl.ok(['get', 'configmap', 'c', '-o', 'jsonpath={.data.a}'])).toBe('1');
  });

  it('works with client-node KubeConfig for each context', async () => {
    await core('west').createNamespace({ body: { metadata: { name: 'only-west' } } });
    const westNames = (await core('west').listNamespace()).items.map((n) => n.metadata?.name);
    const eastNames = (await core('east').listNamespace()).items.map((n) => n.metadata?.name);
    expect(westNames).toContain('only-west');
    expect(westNames).not.toContain('only-east');
    expect(eastNames).toContain('only-east');
    expect(eastNames).not.toContain('only-west');
  });

  it('injects faults into one cluster only', async () => {
    const remove = sandboxes.cluster('east').faults.failRequests({ fraction: 1, code: 503, verbs: ['list'] });
    try {
      expect((await rejection(core('east').listNamespace())).code).toBe(503);
      expect((await core('west').listNamespace()).items.length).toBeGreaterThan(0);
      const west = await kubectl.run(['--context', 'west', 'get', 'ns']);
      expect(west.code).toBe(0);
    } finally {
      remove();
    }
    expect((await core('east').listNamespace()).items.length).toBeGreaterThan(0);
  });

  it('counts requests per cluster', async () => {
    const east = sandboxes.cluster('east').requests;
    const west = sandboxes.cluster('west').requests;
    east.reset();
    west.reset();
    await core('east').listNamespace();
    await core('east').listNamespace();
    await core('west').readNamespace({ name: 'default' });
    expect(east.total({ verbs: ['list'], resources: ['namespaces'] })).toBe(2);
    expect(east.total({ verbs: ['get'] })).toBe(0);
    expect(west.total({ verbs: ['list'] })).toBe(0);
    expect(west.total({ verbs: ['get'], resources: ['namespaces'] })).toBe(1);
  });
});

describe('token auth per cluster', () => {
  it('gives each cluster its own token: one cluster refuses the credential of another', async () => {
    const secured = await startSandboxClusters(['east', 'west'], { token: 'tok' });
    try {
      const kc = new KubeConfig();
      kc.loadFromString(secured.kubeconfigYaml());
      const eastToken = kc.getUser('east')?.token;
      expect(eastToken).toBeTruthy();
      expect(eastToken).not.toBe(kc.getUser('west')?.token);
      for (const name of ['east', 'west']) {
        kc.setCurrentContext(name);
        expect((await kc.makeApiClient(CoreV1Api).listNamespace()).items.length).toBeGreaterThan(0);
      }
      const crossed = new KubeConfig();
      crossed.loadFromString(
        sandboxKubeconfig(secured.cluster('west').url, { token: eastToken!, context: 'crossed' }),
      );
      expect((await rejection(crossed.makeApiClient(CoreV1Api).listNamespace())).code).toBe(401);
    } finally {
      await secured.stop();
    }
  });
});

describe('cluster names', () => {
  it('reports every bad name at once: not DNS-1123 labels, empty, duplicated', () => {
    const problems = clusterNameProblems(['East', '', 'a_b', 'west', 'west', 'x'.repeat(64)]);
    expect(problems.some((p) => p.includes('"East"') && p.includes('RFC 1123 label'))).toBe(true);
    expect(problems.some((p) => p.includes('"a_b"'))).toBe(true);
    expect(problems).toContain('cluster names must not be empty');
    expect(problems).toContain('cluster name "west" is given more than once');
    expect(problems.some((p) => p.includes('no more than 63 characters'))).toBe(true);
    expect(clusterNameProblems([])).toEqual(['at least one cluster name is needed']);
    expect(clusterNameProblems(['east', 'west-2'])).toEqual([]);
  });

  it('refuses to start with a bad name, and starts nothing', async () => {
    await expect(startSandboxClusters(['ok', 'Bad'], {})).rejects.toThrow(/"Bad"/);
  });
});

describe('one-cluster kubeconfig', () => {
  it('keeps sandboxKubeconfig output as before', () => {
    expect(sandboxKubeconfig('http://127.0.0.1:1', { token: 't' })).toBe(
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '  - name: kubemirror-sandbox',
        '    cluster:',
        '      server: http://127.0.0.1:1',
        '      insecure-skip-tls-verify: true',
        'users:',
        '  - name: kubemirror-sandbox',
        '    user:',
        '      token: t',
        'contexts:',
        '  - name: kubemirror-sandbox',
        '    context:',
        '      cluster: kubemirror-sandbox',
        '      user: kubemirror-sandbox',
        '      namespace: default',
        'current-context: kubemirror-sandbox',
        'preferences: {}',
        '',
      ].join('\n'),
    );
  });
});

describe('kubemirror sandbox --clusters', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubemirror-clusters-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports every bad --clusters and --seed NAME= problem in one error, exit 2, nothing written', async () => {
    const kubeconfig = join(dir, 'bad.kubeconfig');
    let err = '';
    const exit = await sandboxCommand(
      [
        '--clusters',
        'East,,west,west',
        '--seed',
        'north=x.yaml',
        '--kubeconfig',
        kubeconfig,
        '--no-controller',
      ],
      { stderr: (s) => (err += s), print: () => {} },
    );
    expect(exit).toBe(2);
    expect(err).toContain('--clusters: cluster name "East"');
    expect(err).toContain('--clusters: cluster names must not be empty');
    expect(err).toContain('--clusters: cluster name "west" is given more than once');
    expect(err).toContain('--seed north=x.yaml: no cluster "north" in --clusters');
    expect(err).toContain('x.yaml'); // the missing seed file is reported too
    expect(existsSync(kubeconfig)).toBe(false);
  });

  it('refuses --clusters without names and given twice', async () => {
    let err = '';
    const opts = { stderr: (s: string) => (err += s), print: () => {} };
    expect(await sandboxCommand(['--clusters', '--no-controller'], opts)).toBe(2);
    expect(err).toContain('--clusters needs a comma-separated list of cluster names');
    err = '';
    expect(await sandboxCommand(['--clusters=a', '--clusters=b'], opts)).toBe(2);
    expect(err).toContain('--clusters is given more than once');
  });

  it('starts one API server per cluster, seeds by name, prints each URL and context, controller on the first', async () => {
    const kubeconfig = join(dir, 'multi.kubeconfig');
    const toFirst = join(dir, 'first.yaml');
    const toWest = join(dir, 'west.yaml');
    writeFileSync(toFirst, 'apiVersion: v1\nkind: Namespace\nmetadata: {name: seeded-first}\n');
    writeFileSync(toWest, 'apiVersion: v1\nkind: Namespace\nmetadata: {name: seeded-west}\n');
    const lines: string[] = [];
    let stop!: () => void;
    const stopped = new Promise<void>((r) => {
      stop = r;
    });
    const controllerCalls: string[] = [];
    const exit = sandboxCommand(
      ['--clusters', 'east,west', '--kubeconfig', kubeconfig, '--seed', toFirst, '--seed', `west=${toWest}`],
      {
        print: (l) => lines.push(l),
        untilStopped: () => stopped,
        startController: async (o) => {
          controllerCalls.push(o.kubeconfigPath);
          return { stop: async () => {} };
        },
      },
    );
    await waitFor(() => lines.some((l) => /Ctrl-C/.test(l)), 10_000, 'the sandbox to be ready');
    const kc = new KubeConfig();
    kc.loadFromString(readFileSync(kubeconfig, 'utf8'));
    expect(kc.getCurrentContext()).toBe('east');
    const urls = new Map(kc.getClusters().map((c) => [c.name, c.server]));
    const out = lines.join('\n');
    expect(out).toContain(`  east  ${urls.get('east')}  (context east, current)`);
    expect(out).toContain(`  west  ${urls.get('west')}  (context west)`);
    expect(out).toContain(`applied 1 seed object(s) to east from ${toFirst}`);
    expect(out).toContain(`applied 1 seed object(s) to west from ${toWest}`);
    expect(out).toContain('kubectl --context west get namespaces');
    expect(out).toContain('controller running inside the sandbox against context east');
    expect(controllerCalls).toEqual([kubeconfig]);
    const names = async (context: string) => {
      kc.setCurrentContext(context);
      return (await kc.makeApiClient(CoreV1Api).listNamespace()).items.map((n) => n.metadata?.name);
    };
    expect(await names('east')).toContain('seeded-first');
    expect(await names('east')).not.toContain('seeded-west');
    expect(await names('west')).toContain('seeded-west');
    expect(await names('west')).not.toContain('seeded-first');
    stop();
    expect(await exit).toBe(0);
    await expect(names('west')).rejects.toThrow();
  });
});
