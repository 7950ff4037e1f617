import { describe, expect, it } from 'vitest';
import { clusterRegistry } from '../../../src/core/cluster-registry.js';
import { mirrorKeys } from '../../../src/core/keys.js';
import type { KubeObject } from '../../../src/core/types.js';

const keys = mirrorKeys();
const KC = 'apiVersion: v1\nkind: Config\nclusters:\n- name: w\n  cluster:\n    server: https://west:6443\n';

function secret(
  name: string,
  opts: { clusterName?: string; kubeconfig?: string; label?: string; rv?: string; created?: string } = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace: 'kubemirror-system',
      resourceVersion: opts.rv ?? '1',
      creationTimestamp: opts.created ?? '2024-05-01T10:00:00Z',
      labels: { 'kubemirror.io/cluster': opts.label ?? 'true' },
      ...(opts.clusterName ? { annotations: { 'kubemirror.io/cluster-name': opts.clusterName } } : {}),
    },
    data:
      opts.kubeconfig === undefined
        ? { kubeconfig: Buffer.from(KC).toString('base64') }
        : { kubeconfig: opts.kubeconfig },
  };
}

describe('clusterRegistry', () => {
  it('names clusters by annotation, else by Secret name, and keeps the version for rotation', () => {
    const v = clusterRegistry(
      [secret('kubemirror-cluster-west', { clusterName: 'west', rv: '7' }), secret('east')],
      keys,
      'home',
    );
    expect(v.clusters.map((c) => [c.name, c.secret, c.version])).toEqual([
      ['east', 'kubemirror-system/east', '1'],
      ['west', 'kubemirror-system/kubemirror-cluster-west', '7'],
    ]);
    expect(v.clusters[0]!.kubeconfig).toContain('https://west:6443');
    expect(v.rejected).toEqual([]);
  });

  it('rejects unusable Secrets with the reason and never their content', () => {
    const v = clusterRegistry(
      [
        secret('bad', { kubeconfig: Buffer.from('token: s3cr3t').toString('base64') }),
        secret('x', { clusterName: 'Not_A_Label' }),
        secret('y', { clusterName: 'local' }),
        secret('z', { clusterName: 'home' }),
        secret('off', { label: 'false' }),
      ],
      keys,
      'home',
    );
    expect(v.clusters).toEqual([]);
    expect(v.rejected.map((r) => r.secret)).toEqual([
      'kubemirror-system/bad',
      'kubemirror-system/x',
      'kubemirror-system/y',
      'kubemirror-system/z',
    ]);
    expect(JSON.stringify(v.rejected)).not.toContain('s3cr3t');
  });

  it('two Secrets naming one cluster: the older registers it, the newer is refused naming the one in use', () => {
    const v = clusterRegistry(
      [
        secret('a-newer', { clusterName: 'west', created: '2024-05-02T08:00:00Z' }),
        secret('z-older', { clusterName: 'west', created: '2024-05-01T08:00:00Z' }),
      ],
      keys,
      'home',
    );
    expect(v.clusters.map((c) => [c.name, c.secret])).toEqual([['west', 'kubemirror-system/z-older']]);
    expect(v.rejected).toEqual([
      {
        secret: 'kubemirror-system/a-newer',
        cluster: 'west',
        reason:
          'cluster "west" is already registered by Secret kubemirror-system/z-older; delete that Secret to register it with this one',
      },
    ]);
  });

  it('two Secrets created in the same second: the first name wins, whatever the order they are listed in', () => {
    const at = '2024-05-01T08:00:00Z';
    const pair = [
      secret('b', { clusterName: 'west', created: at }),
      secret('a', { clusterName: 'west', created: at }),
    ];
    for (const list of [pair, [...pair].reverse()])
      expect(clusterRegistry(list, keys, 'home').clusters.map((c) => c.secret)).toEqual([
        'kubemirror-system/a',
      ]);
  });

  it('the Secret in use keeps its cluster against an older one that became usable later', () => {
    const older = secret('old', { clusterName: 'west', created: '2024-01-01T00:00:00Z' });
    const inUse = secret('current', { clusterName: 'west', created: '2024-06-01T00:00:00Z' });
    const v = clusterRegistry([older, inUse], keys, 'home', {
      inUse: new Map([['west', 'kubemirror-system/current']]),
    });
    expect(v.clusters.map((c) => c.secret)).toEqual(['kubemirror-system/current']);
    expect(v.rejected.map((r) => r.secret)).toEqual(['kubemirror-system/old']);
  });

  it('an unusable Secret never takes a cluster from a usable one; the `usable` check refuses with its reason', () => {
    const v = clusterRegistry(
      [
        secret('broken', {
          clusterName: 'west',
          created: '2024-01-01T00:00:00Z',
          kubeconfig: Buffer.from(`${KC}current-context: gone\n`).toString('base64'),
        }),
        secret('fine', { clusterName: 'west', created: '2024-06-01T00:00:00Z' }),
      ],
      keys,
      'home',
      { usable: (kc) => (kc.includes('current-context: gone') ? 'not a usable kubeconfig' : null) },
    );
    expect(v.clusters.map((c) => c.secret)).toEqual(['kubemirror-system/fine']);
    expect(v.rejected).toEqual([{ secret: 'kubemirror-system/broken', reason: 'not a usable kubeconfig' }]);
  });
});
