import { describe, expect, it } from 'vitest';
import {
  deleteAt,
  forbiddenReason,
  getAt,
  type PathSegment,
  parsePath,
  setAt,
} from '../../../src/core/transform/transform-path.js';

const P = 'kubemirror.io';

describe('parsePath', () => {
  it.each<[string, PathSegment[]]>([
    ['data', [{ key: 'data' }]],
    ['spec.replicas', [{ key: 'spec' }, { key: 'replicas' }]],
    [
      'spec.template.spec.containers[0].env[1].value',
      [
        { key: 'spec' },
        { key: 'template' },
        { key: 'spec' },
        { key: 'containers' },
        { index: 0 },
        { key: 'env' },
        { index: 1 },
        { key: 'value' },
      ],
    ],
    ['data["config.yaml"]', [{ key: 'data' }, { key: 'config.yaml' }]],
    ["data['config.yaml']", [{ key: 'data' }, { key: 'config.yaml' }]],
    [
      'metadata.labels["app.kubernetes.io/name"]',
      [{ key: 'metadata' }, { key: 'labels' }, { key: 'app.kubernetes.io/name' }],
    ],
    ['data["a\\"b"]', [{ key: 'data' }, { key: 'a"b' }]],
    ['data["a]b"].c', [{ key: 'data' }, { key: 'a]b' }, { key: 'c' }]],
    ['["weird.top"]', [{ key: 'weird.top' }]],
    ['a[10][2]', [{ key: 'a' }, { index: 10 }, { index: 2 }]],
    ['data.constructor', [{ key: 'data' }, { key: 'constructor' }]],
  ])('parses %s', (text, segments) => {
    expect(parsePath(text)).toEqual({ segments });
  });

  it.each([
    ['', /empty/],
    ['a..b', /expected a key/],
    ['a.', /expected a key/],
    ['.a', /expected a key/],
    ['a[', /missing \]/],
    ['a[x]', /array index or a quoted key/],
    ['a[-1]', /array index/],
    ['a[01]', /array index/],
    ['a["x"', /unterminated|expected \]/],
    ['a["x"b]', /expected \] after quoted key/],
    ['a[""]', /empty key/],
    ['a b', /expected \. or \[/],
    ['[0].a', /must start with a key/],
    ['a["x"]b', /expected \. or \[/],
    ['data.__proto__.x', /__proto__ is not allowed/],
    ['data["__proto__"]', /__proto__ is not allowed/],
  ])('rejects %j', (text, message) => {
    const r = parsePath(text);
    expect(r).toHaveProperty('error');
    expect((r as { error: string }).error).toMatch(message);
  });
});

const seg = (text: string) => {
  const r = parsePath(text);
  if ('error' in r) throw new Error(r.error);
  return r.segments;
};

describe('forbiddenReason', () => {
  it.each([
    'apiVersion',
    'kind',
    'metadata',
    'metadata.name',
    'metadata.namespace',
    'metadata["namespace"]',
    'metadata.uid',
    'metadata.resourceVersion',
    'metadata.ownerReferences',
    'metadata.ownerReferences[0].uid',
    'metadata.finalizers',
    'metadata.finalizers[0]',
    'metadata.managedFields',
    'metadata.generation',
    'metadata.creationTimestamp',
    'metadata.deletionTimestamp',
    'metadata.labels["kubemirror.io/mirror"]',
    'metadata.annotations["kubemirror.io/source-uid"]',
  ])('refuses %s', (path) => {
    expect(forbiddenReason(seg(path), P)).toMatch(/controlled by kubemirror/);
  });

  it('uses the configured prefix for P/* keys', () => {
    expect(forbiddenReason(seg('metadata.labels["mirror.example/x"]'), 'mirror.example')).toBeDefined();
    expect(forbiddenReason(seg('metadata.labels["kubemirror.io/x"]'), 'mirror.example')).toBeUndefined();
  });

  it('refuses whole labels/annotations maps that would bring P/* keys, allows others', () => {
    expect(forbiddenReason(seg('metadata.labels'), P, { a: 'b', 'kubemirror.io/mirror': 'x' })).toMatch(
      /kubemirror.io\/mirror/,
    );
    expect(forbiddenReason(seg('metadata.annotations'), P, { 'kubemirror.io/sync': 'x' })).toBeDefined();
    expect(forbiddenReason(seg('metadata.labels'), P, { a: 'b' })).toBeUndefined();
  });

  it.each([
    'data.x',
    'spec.template.spec.containers[0].image',
    'metadata.labels.team',
    'metadata.annotations["example.com/x"]',
    'kindly',
    'metadata.nameSuffix',
  ])('allows %s', (path) => {
    expect(forbiddenReason(seg(path), P)).toBeUndefined();
  });
});

describe('setAt / getAt / deleteAt', () => {
  const obj = () => ({
    spec: { containers: [{ name: 'a', env: [{ name: 'X', value: '1' }] }] },
    data: { k: 'v' },
  });

  it('creates missing maps on the way', () => {
    const o: Record<string, unknown> = obj();
    setAt(o, seg('spec.a.b.c'), 1);
    expect(o.spec).toMatchObject({ a: { b: { c: 1 } } });
  });

  it('writes through array indexes', () => {
    const o = obj();
    setAt(o, seg('spec.containers[0].env[0].value'), '2');
    expect(o.spec.containers[0]!.env[0]!.value).toBe('2');
  });

  it.each([
    ['spec.containers[1].name', /index \[1\] out of range: spec.containers has 1 items/],
    ['spec.containers[0].env[5]', /index \[5\] out of range/],
    ['spec.missing[0].x', /spec.missing does not exist, so index \[0\] is out of range/],
    ['spec.new.list[0]', /does not exist, so index \[0\]/],
    ['data.k.x', /data.k is a string/],
    ['data[0]', /data is not a list/],
    ['spec.containers.name', /spec.containers is not a map/],
  ])('refuses %s without changing anything', (path, message) => {
    const o = obj();
    const before = structuredClone(o);
    expect(() => setAt(o, seg(path), 'x')).toThrow(message);
    expect(o).toEqual(before);
  });

  it('reads own properties only, never the prototype chain', () => {
    expect(getAt(obj(), seg('data.constructor'))).toBeUndefined();
    expect(getAt(obj(), seg('data.toString'))).toBeUndefined();
  });

  it('deletes a key; a missing key is a no-op', () => {
    const o: Record<string, unknown> = obj();
    deleteAt(o, seg('data.k'));
    deleteAt(o, seg('data.nothing'));
    deleteAt(o, seg('nothing.at.all'));
    expect(o.data).toEqual({});
    expect(o).not.toHaveProperty('nothing');
  });

  it('deletes an array element; out of range is an error', () => {
    const o = obj();
    deleteAt(o, seg('spec.containers[0].env[0]'));
    expect(o.spec.containers[0]!.env).toEqual([]);
    expect(() => deleteAt(o, seg('spec.containers[3]'))).toThrow(/out of range/);
  });
});
