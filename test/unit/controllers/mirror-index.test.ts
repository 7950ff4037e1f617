import { describe, expect, it } from 'vitest';
import { MirrorIndex } from '../../../src/controllers/mirror-index.js';
import { SourceStatusStore } from '../../../src/controllers/source-status.js';
import { mirrorKeys } from '../../../src/core/keys.js';
import type { KubeObject } from '../../../src/core/types.js';

const keys = mirrorKeys();

function mirror(ns: string, srcNs: string, srcName: string, name = srcName): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace: ns,
      labels: { [keys.mirror]: 'true' },
      annotations: { [keys.sourceNamespace]: srcNs, [keys.sourceName]: srcName },
    },
  };
}

describe('MirrorIndex', () => {
  it('answers the mirrors of a source per type without mixing types', () => {
    const idx = new MirrorIndex(keys);
    idx.upsert('ConfigMap.v1', undefined, mirror('a', 'platform', 'cfg'));
    idx.upsert('ConfigMap.v1', undefined, mirror('b', 'platform', 'cfg'));
    idx.upsert('Secret.v1', undefined, mirror('a', 'platform', 'cfg'));
    expect(
      idx
        .mirrorsOf('ConfigMap.v1', 'platform', 'cfg')
        .map((m) => m.metadata.namespace)
        .sort(),
    ).toEqual(['a', 'b']);
    expect(idx.count('ConfigMap.v1')).toBe(2);
    expect(idx.count('Secret.v1')).toBe(1);
    expect(idx.sourcesWithMirrorIn('ConfigMap.v1', 'b')).toEqual(['platform/cfg']);
  });

  it('moves a mirror when an update changes the source it claims', () => {
    const idx = new MirrorIndex(keys);
    const old = mirror('a', 'platform', 'cfg');
    idx.upsert('ConfigMap.v1', undefined, old);
    idx.upsert('ConfigMap.v1', old, mirror('a', 'other', 'cfg'));
    expect(idx.mirrorsOf('ConfigMap.v1', 'platform', 'cfg')).toEqual([]);
    expect(idx.mirrorsOf('ConfigMap.v1', 'other', 'cfg')).toHaveLength(1);
  });

  it('ignores objects that do not name a source and forgets removed mirrors and dropped types', () => {
    const idx = new MirrorIndex(keys);
    const bare = mirror('a', 'platform', 'cfg');
    bare.metadata.annotations = {};
    idx.upsert('ConfigMap.v1', undefined, bare);
    expect(idx.sources('ConfigMap.v1')).toEqual([]);
    const m = mirror('a', 'platform', 'cfg');
    idx.upsert('ConfigMap.v1', undefined, m);
    idx.remove('ConfigMap.v1', m);
    expect(idx.sources('ConfigMap.v1')).toEqual([]);
    idx.upsert('ConfigMap.v1', undefined, m);
    idx.dropType('ConfigMap.v1');
    expect(idx.count('ConfigMap.v1')).toBe(0);
  });
});

describe('SourceStatusStore', () => {
  it('computes coverage and finds sources whose status names a namespace', () => {
    const st = new SourceStatusStore();
    st.set(
      'ConfigMap.v1',
      'configmaps',
      { namespace: 'p', name: 'a' },
      {
        wanted: 4,
        synced: 3,
        conflicts: ['x'],
        errors: [],
        skipped: 0,
        line: 'Partial 3/4: 1 conflict (x)',
      },
    );
    st.set(
      'Secret.v1',
      'secrets',
      { namespace: 'p', name: 'b' },
      {
        wanted: 0,
        synced: 0,
        conflicts: [],
        errors: [],
        fatal: 'Error: 5 targets exceed max-targets 3',
        skipped: 0,
        line: 'Error: 5 targets exceed max-targets 3',
      },
    );
    const [a, b] = st.snapshot();
    expect(a?.coverage).toBe(75);
    expect(b?.coverage).toBe(0);
    expect(st.mentioning('x')).toEqual([{ typeId: 'ConfigMap.v1', namespace: 'p', name: 'a' }]);
    expect(st.mentioning('y')).toEqual([]);
  });
});
