import { describe, expect, it } from 'vitest';
import { jsonPatch, mergePatch } from '../../src/sandbox/json-patches.js';
import { strategicMerge } from '../../src/sandbox/strategic-merge.js';

describe('strategic merge patch (what kubectl apply sends)', () => {
  const live = {
    metadata: { labels: { a: '1', b: '2' }, finalizers: ['x/one'] },
    spec: {
      containers: [
        {
          name: 'web',
          image: 'web:1',
          env: [
            { name: 'A', value: '1' },
            { name: 'B', value: '2' },
          ],
          ports: [{ containerPort: 80 }],
        },
        { name: 'side', image: 'side:1' },
      ],
      tolerations: [{ key: 'k' }],
    },
  };

  it('merges containers and env by name and replaces lists without a merge key', () => {
    const out = strategicMerge(live as never, {
      spec: {
        containers: [
          { name: 'side', image: 'side:2' },
          { name: 'web', env: [{ name: 'B', value: '3' }] },
        ],
        tolerations: [{ key: 'z' }],
      },
    }) as typeof live;
    expect(out.spec.containers.map((c) => `${c.name}=${c.image}`)).toEqual(['web=web:1', 'side=side:2']);
    expect(out.spec.containers[0]!.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '3' },
    ]);
    expect(out.spec.tolerations).toEqual([{ key: 'z' }]);
  });

  it('deletes with null and $patch: delete, orders with $setElementOrder', () => {
    const out = strategicMerge(
      live as never,
      {
        metadata: { labels: { a: null } },
        spec: {
          '$setElementOrder/containers': [{ name: 'web' }],
          containers: [
            { name: 'side', $patch: 'delete' },
            { name: 'web', '$setElementOrder/env': [{ name: 'B' }, { name: 'A' }] },
          ],
        },
      } as never,
    ) as typeof live;
    expect(out.metadata.labels).toEqual({ b: '2' });
    expect(out.spec.containers.map((c) => c.name)).toEqual(['web']);
    expect(out.spec.containers[0]!.env!.map((e) => e.name)).toEqual(['B', 'A']);
  });

  it('unions finalizers and removes with $deleteFromPrimitiveList', () => {
    const added = strategicMerge(live as never, { metadata: { finalizers: ['x/two'] } }) as typeof live;
    expect(added.metadata.finalizers).toEqual(['x/one', 'x/two']);
    const removed = strategicMerge(added as never, {
      metadata: { '$deleteFromPrimitiveList/finalizers': ['x/one'] },
    }) as typeof live;
    expect(removed.metadata.finalizers).toEqual(['x/two']);
  });
});

describe('JSON merge and JSON patch', () => {
  it('merge patch replaces lists and deletes null keys', () => {
    expect(mergePatch({ a: [1, 2], b: { c: 1, d: 2 } }, { a: [3], b: { c: null } })).toEqual({
      a: [3],
      b: { d: 2 },
    });
  });

  it('json patch applies add/replace/remove/move/copy/test and fails a failed test with 422', () => {
    const out = jsonPatch({ a: { b: 1 }, l: [1, 2] }, [
      { op: 'add', path: '/a/c', value: 2 },
      { op: 'replace', path: '/a/b', value: 5 },
      { op: 'add', path: '/l/-', value: 3 },
      { op: 'remove', path: '/l/0' },
      { op: 'copy', from: '/a/b', path: '/x' },
      { op: 'move', from: '/x', path: '/y' },
      { op: 'test', path: '/y', value: 5 },
    ]);
    expect(out).toEqual({ a: { b: 5, c: 2 }, l: [2, 3], y: 5 });
    expect(() => jsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }])).toThrow(
      expect.objectContaining({ code: 422 }),
    );
    expect(() => jsonPatch({ a: 1 }, [{ op: 'remove', path: '/missing' }])).toThrow(
      expect.objectContaining({ code: 422 }),
    );
  });
});
