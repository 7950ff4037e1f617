import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mainJs, repoRoot, type SandboxCli, startSandboxCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

/**
 * `npm run start:clusters` as the README walks a newcomer through it: `kubemirror sandbox --clusters east,west`
 * with the cross-cluster example seeded, west registered in east by the sandbox, and the real kubectl reading
 * both contexts. A Service and its endpoints appear in west; an endpoint change follows; deleting the source
 * removes both.
 */
let sb: SandboxCli;

beforeAll(async () => {
  sb = await startSandboxCli([
    '--clusters',
    'east,west',
    '--seed',
    'examples/quickstart.yaml',
    '--seed',
    'examples/cross-cluster/east.yaml',
    '--seed',
    'west=examples/cross-cluster/west.yaml',
  ]);
});
afterAll(async () => {
  await sb?.stop();
});

interface Slice {
  metadata: { labels?: Record<string, string> };
  endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[];
  ports?: { name?: string; port?: number }[];
}

const westSlice = () =>
  sb.kubectl.json<Slice>(['--context', 'west', '-n', 'shop', 'get', 'endpointslice', 'web-east']);

describe('npm run start:clusters (east → west)', () => {
  it('says west is registered in east', () => {
    expect(sb.process.lines.join('\n')).toContain('registered west in east');
  });

  it('west gets the Service selectorless with the same ports, and a slice with the ready endpoints only', async () => {
    const slice = await waitFor('slice web-east in west', westSlice, (s) => Boolean(s.endpoints));
    expect(slice.metadata.labels).toMatchObject({
      'kubernetes.io/service-name': 'web',
      'endpointslice.kubernetes.io/managed-by': 'kubemirror.io',
      'kubemirror.io/source-cluster': 'east',
    });
    expect(slice.endpoints?.map((e) => e.addresses[0])).toEqual(['10.1.0.11']);
    const svc = await sb.kubectl.json<{
      metadata: { annotations: Record<string, string> };
      spec: { selector?: unknown; ports: { port: number }[] };
    }>(['--context', 'west', '-n', 'shop', 'get', 'service', 'web']);
    expect(svc.spec.selector).toBeUndefined();
    expect(svc.spec.ports.map((p) => p.port)).toEqual([80]);
    expect(svc.metadata.annotations['kubemirror.io/source-cluster']).toBe('east');
    const cm = await sb.kubectl.json<{ data: Record<string, string> }>([
      '--context',
      'west',
      '-n',
      'shop',
      'get',
      'configmap',
      'shop-settings',
    ]);
    expect(cm.data).toEqual({ currency: 'EUR' });
  });

  it('an endpoint turning ready in east reaches west', async () => {
    await sb.kubectl.ok([
      '--context',
      'east',
      '-n',
      'shop',
      'patch',
      'endpointslice',
      'web-abcde',
      '--type=json',
      '-p',
      '[{"op":"replace","path":"/endpoints/1/conditions/ready","value":true}]',
    ]);
    await waitFor(
      'both endpoints in west',
      async () => (await westSlice()).endpoints?.map((e) => e.addresses[0]).join(','),
      (v) => v === '10.1.0.11,10.1.0.12',
    );
  });

  it('kubemirror status counts the (cluster, namespace) pairs in west, with the registration Secrets', async () => {
    const args = [
      'status',
      '--kubeconfig',
      sb.kubeconfig,
      '--remote-clusters-namespace',
      'kubemirror-system',
    ];
    const run = (extra: string[]) =>
      new Promise<{ code: number; stdout: string }>((resolve) =>
        execFile(process.execPath, [mainJs, ...args, ...extra], { cwd: repoRoot }, (err, stdout) =>
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout }),
        ),
      );
    const out = await waitFor(
      'status Full with west counted',
      () => run(['--cluster-name', 'east']),
      (r) => r.code === 0 && r.stdout.includes('west  2/2 targets synced'),
    );
    expect(out.stdout).toMatch(/services\s+shop\/web\s+1\s+1/);
    // with the wrong --cluster-name the mirrors in west are not this cluster's: nothing there counts as synced
    const wrong = await run(['--cluster-name', 'elsewhere']);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain('west  0/2 targets synced');
    expect(out.stdout + wrong.stdout).not.toMatch(/token|BEGIN CERTIFICATE/);
  });

  it('deleting the Service in east removes the Service and its slice from west', async () => {
    await sb.kubectl.ok(['--context', 'east', '-n', 'shop', 'delete', 'service', 'web']);
    await waitFor(
      'west has neither',
      async () =>
        (
          await sb.kubectl.run([
            '--context',
            'west',
            '-n',
            'shop',
            'get',
            'service,endpointslice',
            '-o',
            'name',
          ])
        ).stdout,
      (out) => out.trim() === '',
    );
  });
});
