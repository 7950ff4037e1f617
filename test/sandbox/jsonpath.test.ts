import { describe, expect, it } from 'vitest';
import { goNumberText, parseJsonPath, printJsonPathValue } from '../../src/sandbox/jsonpath.js';

/**
 * kube's JSONPath (k8s.io/client-go/util/jsonpath v0.37.2) as the CRD table convertor runs it: `{path}`, missing
 * keys allowed. The expected values are what `kubectl … -o jsonpath` (v1.32, the same package) prints for the same
 * object, one entry per printed word; `error` where kubectl reports an execution or parse error.
 */
const obj = {
  metadata: { name: 'ab', labels: { zz: '1', '10': 'x', '9': 'y', 'a.b': 'dot' } },
  spec: {
    list: ['a', 'b', 'c'],
    m: { k: { status: 's1' } },
    nul: null,
    conds: [
      { status: 'X' },
      { type: 'Ready', status: 'True', x: 2 },
      { type: 'Other', status: 'False', x: 3 },
    ],
    mixed: [
      { type: 5, status: 'N' },
      { type: 'Ready', status: 'True' },
    ],
  },
};

const first = (path: string): unknown[] => parseJsonPath(`{${path}}`).findResults(obj)[0]!;

describe('JSONPath evaluation (kube semantics)', () => {
  const cases: [string, unknown[] | 'error'][] = [
    // filters: an item without the field is skipped, different kinds of value are an error
    ['.spec.conds[?(@.type=="Ready")].status', ['True']],
    [".spec.conds[?(@.type=='Ready')].x", [2]],
    ['.spec.conds[?(@.type == "Ready")].x', [2]],
    ['.spec.conds[?(@.type!="Ready")].type', ['Other']],
    ['.spec.conds[?(@.type=="Re)ady")].x', []],
    ['.spec.conds[?(@.type)].status', ['True', 'False']],
    ['.spec.conds[?(@.x>2)].type', ['Other']],
    ['.spec.conds[?(@.x==2)].type', ['Ready']],
    ['.spec.conds[?(@.type<"P")].type', ['Other']],
    ['.spec.conds[?(@.x>=2.0)].type', 'error'],
    ['.spec.conds[?(@.x<"a")].x', 'error'],
    ['.spec.conds[?(@.x==true)].x', 'error'],
    ['.spec.mixed[?(@.type=="Ready")].status', 'error'],
    ['.spec.list[?(@=="b")]', ['b']],
    ['.spec.m[?(@.status)]', 'error'],
    ['.spec.missing[?(@.a)]', []],
    // indices and slices
    ['.spec.list[0]', ['a']],
    ['.spec.list[-1]', ['c']],
    ['.spec.list[-2:]', ['b', 'c']],
    ['.spec.list[0:3:2]', ['a', 'c']],
    ['.spec.list[*]', ['a', 'b', 'c']],
    ['.spec.list[0,2]', ['a', 'c']],
    ['.spec.list[3:3]', []],
    ['.spec.list[5]', 'error'],
    ['.spec.list[5:9]', 'error'],
    ['.spec.list[1:0]', 'error'],
    ['.spec.conds[*].type', ['Ready', 'Other']],
    // fields, keys, wildcards
    ['$.spec.list[0]', ['a']],
    ['.spec.missing.deeper', []],
    ['.spec.missing[0]', []],
    ['.spec.list.x', []],
    ['.spec.list[0].x', []],
    ['.spec.nul', [null]],
    ['.', []],
    [".metadata['labels.zz']", ['1']],
    [".metadata.labels['a.b']", []],
    [".metadata.labels['a\\.b']", ['dot']],
    ['.metadata.labels.a\\.b', ['dot']],
    ['.metadata.labels.*', ['x', 'y', 'dot', '1']],
    ['.metadata.name.*', [97, 98]],
    ['.spec.m..status', ['s1']],
  ];
  it.each(cases)('%s', (path, want) => {
    if (want === 'error') expect(() => first(path)).toThrow();
    else expect(first(path)).toEqual(want);
  });

  it('gives one list per action and per text around them', () => {
    expect(parseJsonPath('{.spec.list[0]}{.spec.list[1]}').findResults(obj)).toEqual([['a'], ['b']]);
    expect(parseJsonPath('x{.spec.list[0]}y').findResults(obj)).toEqual([['x'], ['a'], ['y']]);
  });

  it.each([
    '{.spec.list[ 0 ]}',
    '{.spec.list[}',
    '{.spec.list',
    '{.a[?(@.b=="x"}',
    '{.a[?(@.b=="x)]}',
    '{....a}',
    '{.a[x]}',
  ])('refuses to parse %s', (template) => {
    expect(() => parseJsonPath(template)).toThrow();
  });
});

describe('JSONPath printing (PrintResults of one value)', () => {
  it.each([
    [1234567.5, '1.2345675e+06'],
    [123456.5, '123456.5'],
    [0.0001, '0.0001'],
    [0.00001234, '1.234e-05'],
    [2.5e300, '2.5e+300'],
    [-1.5e-7, '-1.5e-07'],
    [1000000, '1000000'],
    [true, 'true'],
    ['<b>&', '<b>&'],
    [null, '<no value>'],
    [['a', 'b'], '["a","b"]'],
    [{ z: 1, a: '<' }, '{"a":"\\u003c","z":1}'],
    [{ b: 3, '9': 2, '10': 1 }, '{"10":1,"9":2,"b":3}'],
  ])('%j prints as %s', (value, text) => {
    expect(printJsonPathValue(value)).toBe(text);
  });

  it('writes an integer in full and a fraction as Go %v does', () => {
    expect(goNumberText(42)).toBe('42');
    expect(goNumberText(-0)).toBe('0');
    expect(goNumberText(3.14)).toBe('3.14');
  });
});

describe('JSONPath quoted strings (UnquoteExtend)', () => {
  it.each([
    ['.spec.q[?(@.v=="a\\"b")].n', [1]],
    [".spec.q[?(@.v=='it\\'s')].n", [2]],
    ['.spec.q[?(@.v=="tab\\there")].n', [3]],
    ['.spec.q[?(@.v=="\\x41\\u00e9\\101")].n', [4]],
  ])('%s', (path, want) => {
    const data = {
      spec: {
        q: [
          { v: 'a"b', n: 1 },
          { v: "it's", n: 2 },
          { v: 'tab\there', n: 3 },
          { v: 'AéA', n: 4 },
        ],
      },
    };
    expect(parseJsonPath(`{${path}}`).findResults(data)[0]).toEqual(want);
  });

  it('refuses an unknown escape', () => {
    expect(() => parseJsonPath('{.a[?(@.v=="\\q")]}')).toThrow();
  });
});
