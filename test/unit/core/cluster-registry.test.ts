import { describe, expect, it } from 'vitest';
import { clusterRegistry } from '../../../src/core/cluster-registry.js';
import { mirrorKeys } from '../../../src/core/keys.js';
import type { KubeObject } from '../../../src/core/types.js';

const keys = mirrorKeys();
const KC = 'apiVersion: v1\nkind: Config\nclusters:\n- name: w\n  cluster:\n    server: https://west:6443\n';

function secret(
  name: string,
  opts: { clusterName?: string; kubeconfig?: string; label?: string; rv?: string } = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace: 'kubemirror-system',
      resourceVersion: opts.rv ?? '1',
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

  it('two Secrets naming one cluster reject both', () => {
    const v = clusterRegistry(
      [secret('a', { clusterName: 'west' }), secret('b', { clusterName: 'west' })],
      keys,
      'home',
    );
    expect(v.clusters).toEqual([]);
    expect(v.rejected).toHaveLength(2);
    expect(v.rejected[0]!.reason).toContain('registered by 2 Secrets');
  });
});
