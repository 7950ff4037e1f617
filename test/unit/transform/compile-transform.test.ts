import { describe, expect, it } from 'vitest';
import { KubemirrorError } from '../../../src/core/errors.js';
import {
  benchTransform,
  compileTransform,
  type TransformContext,
  TransformError,
  type TransformProgram,
} from '../../../src/core/transform/index.js';
import type { KubeObject } from '../../../src/core/types.js';

const P = 'kubemirror.io';

function aConfigMap(data: Record<string, string> = { 'config.yaml': 'a: 1', keep: 'k' }): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'app-config',
      namespace: 'platform',
      labels: { app: 'web' },
      annotations: { note: 'n' },
    },
    data,
  };
}

function aSecret(
  data: Record<string, string> = { user: Buffer.from('admin').toString('base64') },
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: { name: 'creds', namespace: 'platform' },
    data,
  };
}

function aDeployment(): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'platform' },
    spec: {
      replicas: 1,
      template: {
        spec: {
          containers: [
            {
              name: 'web',
              image: 'web:1',
              env: [
                { name: 'A', value: 'a' },
                { name: 'ENV', value: 'dev' },
              ],
            },
            { name: 'sidecar', image: 'proxy:1' },
          ],
        },
      },
    },
  };
}

function ctx(targetNamespace = 'prod-eu', over: Partial<TransformContext> = {}): TransformContext {
  return {
    targetNamespace,
    sourceNamespace: 'platform',
    sourceName: 'app-config',
    targetName: 'app-config',
    labels: { app: 'web' },
    annotations: {},
    targetLabels: { team: 'payments', region: 'eu' },
    targetAnnotations: {},
    ...over,
  };
}

function compile(yaml: string, limits?: Parameters<typeof compileTransform>[1]['limits']): TransformProgram {
  const r = compileTransform(yaml, { prefix: P, ...(limits ? { limits } : {}) });
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.program;
}

function errorsOf(yaml: string, limits?: Parameters<typeof compileTransform>[1]['limits']): string[] {
  const r = compileTransform(yaml, { prefix: P, ...(limits ? { limits } : {}) });
  if (r.ok) throw new Error('expected compile errors');
  return r.errors;
}

const run = (yaml: string, obj: KubeObject, c = ctx(), strict = true) =>
  compile(yaml).apply(obj, c, { strict });
const rule = (body: string) => `rules:\n  - ${body.trim().split('\n').join('\n    ')}\n`;

describe('rule types', () => {
  it.each<[string, string, unknown]>([
    ['a string value', 'path: data.x\nvalue: hello', 'hello'],
    ['a number value', 'path: spec.n\nvalue: 3', 3],
    ['a boolean value', 'path: spec.b\nvalue: true', true],
    ['a null value', 'path: spec.z\nvalue: null', null],
    ['a list value', 'path: spec.l\nvalue: [1, "two"]', [1, 'two']],
    ['a map value', 'path: spec.m\nvalue: {a: {b: 1}}', { a: { b: 1 } }],
    ['a template', 'path: data.x\ntemplate: "{{TargetNamespace}}-{{TargetLabels.team}}"', 'prod-eu-payments'],
    [
      'a value that looks like a template (not rendered)',
      'path: data.x\nvalue: "{{TargetNamespace}}"',
      '{{TargetNamespace}}',
    ],
  ])('writes %s', (_name, body, expected) => {
    const { object } = run(rule(body), aConfigMap());
    const [top, key] = body.split('\n')[0]!.slice('path: '.length).split('.');
    expect((object[top!] as Record<string, unknown>)[key!]).toEqual(expected);
  });

  it('merges a map deeply into the map at path, templating string values at any depth', () => {
    const { object } = run(
      rule(`
path: metadata.annotations
merge:
  owner: "{{TargetLabels.team}}"
  plain: literal`),
      aConfigMap(),
    );
    expect(object.metadata.annotations).toEqual({ note: 'n', owner: 'payments', plain: 'literal' });
    const { object: d } = run(
      rule(`
path: spec.template
merge:
  metadata:
    labels:
      env: "{{trimPrefix TargetNamespace \\"prod-\\"}}"
  spec:
    serviceAccountName: sa-{{TargetNamespace}}`),
      aDeployment(),
    );
    const tpl = (d.spec as { template: Record<string, unknown> }).template;
    expect(tpl.metadata).toEqual({ labels: { env: 'eu' } });
    expect((tpl.spec as Record<string, unknown>).serviceAccountName).toBe('sa-prod-eu');
    expect((tpl.spec as { containers: unknown[] }).containers).toHaveLength(2);
  });

  it('merge creates the map when the path is missing', () => {
    const { object } = run(rule('path: spec.extra\nmerge: {a: "{{SourceName}}"}'), aConfigMap());
    expect(object.spec).toEqual({ extra: { a: 'app-config' } });
  });

  it('deletes a key and an array element', () => {
    const { object } = run(
      `rules:
  - path: data.keep
    delete: true
  - path: metadata.labels.app
    delete: true
`,
      aConfigMap(),
    );
    expect(object.data).toEqual({ 'config.yaml': 'a: 1' });
    expect(object.metadata.labels).toEqual({});
    const { object: d } = run(rule('path: spec.template.spec.containers[1]\ndelete: true'), aDeployment());
    expect(
      (d.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers,
    ).toHaveLength(1);
  });

  it('writes through array indexes and bracketed keys', () => {
    const { object } = run(
      `rules:
  - path: spec.template.spec.containers[0].env[1].value
    template: "{{TargetNamespace}}"
  - path: spec.template.spec.containers[1].image
    value: proxy:2
  - path: metadata.labels["app.kubernetes.io/name"]
    value: web
  - path: metadata.annotations['example.com/team']
    template: "{{TargetLabels.team}}"
`,
      aDeployment(),
    );
    const containers = (object.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } })
      .template.spec.containers;
    expect(containers[0]!.env).toEqual([
      { name: 'A', value: 'a' },
      { name: 'ENV', value: 'prod-eu' },
    ]);
    expect(containers[1]!.image).toBe('proxy:2');
    expect(object.metadata.labels).toEqual({ 'app.kubernetes.io/name': 'web' });
    expect(object.metadata.annotations).toEqual({ 'example.com/team': 'payments' });
  });

  it('applies rules in order, later rules seeing earlier writes', () => {
    const { object } = run(
      `rules:
  - path: data.x
    value: first
  - path: data.x
    template: "{{TargetNamespace}}"
`,
      aConfigMap(),
    );
    expect((object.data as Record<string, string>).x).toBe('prod-eu');
  });
});

describe("KubeMirror's Go-template spelling", () => {
  it('applies the Go-spelled templates in template and merge rules, unchanged from a KubeMirror annotation', () => {
    const { object } = run(
      `rules:
  - path: data.API_URL
    template: "https://{{.TargetNamespace}}.api.example.com"
  - path: data.DB
    template: '{{replace .TargetNamespace "-" "_"}}'
  - path: data.TIER
    template: '{{ .TargetLabels.tier | default "standard" }}'
  - path: data.MODE
    template: '{{ if hasPrefix .TargetNamespace "prod" }}live{{ else }}test{{ end }}'
  - path: metadata.labels
    merge:
      owner: '{{ .SourceNamespace | upper }}'
`,
      aConfigMap({}),
    );
    expect(object.data).toEqual({
      API_URL: 'https://prod-eu.api.example.com',
      DB: 'prod_eu',
      TIER: 'standard',
      MODE: 'live',
    });
    expect(object.metadata.labels?.owner).toBe(ctx().sourceNamespace.toUpperCase());
  });
});

describe('namespacePattern', () => {
  const yaml = `rules:
  - path: data.tier
    value: prod
    namespacePattern: "prod-*"
  - path: data.exact
    value: yes-exact
    namespacePattern: dev-1
  - path: data.all
    value: everywhere
  - path: data.empty
    value: every-target
    namespacePattern: ""
`;
  it.each([
    ['prod-eu', { tier: 'prod', all: 'everywhere', empty: 'every-target' }],
    ['dev-1', { exact: 'yes-exact', all: 'everywhere', empty: 'every-target' }],
    ['dev-2', { all: 'everywhere', empty: 'every-target' }],
    ['preprod-x', { all: 'everywhere', empty: 'every-target' }],
  ])('in %s applies only the matching rules', (ns, expected) => {
    const { object } = run(yaml, aConfigMap({}), ctx(ns));
    expect(object.data).toEqual(expected);
  });
});

describe('Secret data', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const dataOf = (o: KubeObject) => o.data as Record<string, string>;

  it('base64-encodes value, template and merge writes into data', () => {
    const { object } = run(
      `rules:
  - path: data.password
    value: s3cr3t
  - path: data["db.host"]
    template: "db.{{TargetNamespace}}.svc"
  - path: data
    merge:
      region: "{{TargetLabels.region}}"
      port: 5432
`,
      aSecret(),
    );
    expect(dataOf(object)).toEqual({
      user: b64('admin'),
      password: b64('s3cr3t'),
      'db.host': b64('db.prod-eu.svc'),
      region: b64('eu'),
      port: b64('5432'),
    });
  });

  it('encodes every entry when the whole data map is written', () => {
    const { object } = run(rule('path: data\nvalue: {a: x, b: y}'), aSecret());
    expect(dataOf(object)).toEqual({ a: b64('x'), b: b64('y') });
  });

  it('does not encode outside data, nor in a ConfigMap', () => {
    const s = run(rule('path: stringData.x\nvalue: plain'), aSecret()).object;
    expect(s.stringData).toEqual({ x: 'plain' });
    const c = run(rule('path: data.x\nvalue: plain'), aConfigMap()).object;
    expect(dataOf(c).x).toBe('plain');
  });

  it.each([
    ['a map under a data key', 'path: data.x\nvalue: {a: 1}', /Secret data values must be strings/],
    ['a path below a data value', 'path: data.x.y\nvalue: a', /path goes below one/],
    ['a template as the whole data', 'path: data\ntemplate: x', /must be a map of strings/],
  ])('refuses %s', (_name, body, message) => {
    expect(() => run(rule(body), aSecret())).toThrow(message);
  });
});

describe('deep copy', () => {
  it('never mutates the input object', () => {
    const input = aDeployment();
    const snapshot = structuredClone(input);
    run(
      `rules:
  - path: spec.template.spec.containers[0].image
    value: web:2
  - path: spec.template.spec.containers[1]
    delete: true
  - path: spec.template
    merge: {metadata: {labels: {a: b}}}
`,
      input,
    );
    expect(input).toEqual(snapshot);
  });

  it('works on a deeply frozen input', () => {
    const input = aConfigMap();
    Object.freeze(input.data);
    Object.freeze(input.metadata);
    Object.freeze(input);
    expect(run(rule('path: data.x\nvalue: 1'), input).object.data).toMatchObject({ x: 1 });
  });

  it('hands out fresh copies of rule literals, so editing one output cannot leak into the next', () => {
    const p = compile(rule('path: spec.m\nvalue: {list: [1]}'));
    const first = p.apply(aConfigMap(), ctx(), { strict: true }).object;
    ((first.spec as { m: { list: number[] } }).m.list as number[]).push(2);
    const second = p.apply(aConfigMap(), ctx(), { strict: true }).object;
    expect(second.spec).toEqual({ m: { list: [1] } });
  });
});

describe('strict and non-strict', () => {
  const yaml = `rules:
  - path: data.a
    value: one
  - path: spec.containers[3].image
    value: x
  - path: data.c
    template: "{{b64dec TargetNamespace}}"
  - path: data.d
    value: four
`;
  it('strict: the first failing rule throws a TransformFailed error naming rule index and path', () => {
    let err: unknown;
    try {
      run(yaml, aConfigMap());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TransformError);
    expect(err).toBeInstanceOf(KubemirrorError);
    const te = err as TransformError;
    expect(te.reason).toBe('TransformFailed');
    expect(te.rule).toBe(1);
    expect(te.path).toBe('spec.containers[3].image');
    expect(te.message).toMatch(
      /^transform rules\[1\] \(path spec.containers\[3\].image\): spec.containers does not exist/,
    );
  });

  it('non-strict: failing rules are skipped without effect and reported, the others applied', () => {
    const { object, skipped } = run(yaml, aConfigMap({}), ctx(), false);
    expect(object.data).toEqual({ a: 'one', d: 'four' });
    expect(object).not.toHaveProperty('spec');
    expect(skipped).toEqual([
      { rule: 1, path: 'spec.containers[3].image', message: expect.stringMatching(/out of range/) },
      { rule: 2, path: 'data.c', message: expect.stringMatching(/not valid base64/) },
    ]);
  });

  it('non-strict: a merge that fails half-way leaves nothing behind', () => {
    const { object, skipped } = run(
      rule('path: spec.x\nmerge: {a: ok, b: "{{b64dec \\"!!\\"}}"}'),
      aConfigMap(),
      ctx(),
      false,
    );
    expect(skipped).toHaveLength(1);
    expect(object).not.toHaveProperty('spec');
  });

  it('a merge into something that is not a map is a rule failure', () => {
    expect(() => run(rule('path: data.keep\nmerge: {a: b}'), aConfigMap())).toThrow(
      /merge needs a map at data.keep/,
    );
  });
});

describe('validation: every problem, with its rule index', () => {
  it.each<[string, string, RegExp]>([
    ['not YAML', 'rules: [', /invalid YAML/],
    ['not a map', '- a', /must be a YAML map with a rules: list/],
    ['rules missing', 'other: 1', /rules: must be a list/],
    ['rules not a list', 'rules: {a: 1}', /rules: must be a list/],
    ['duplicate keys', 'rules: []\nrules: []', /invalid YAML/],
    ['rule not a map', 'rules: ["x"]', /^rules\[0\]: must be a map/],
    ['unknown rule key', rule('path: data.x\nvalue: 1\nvaleu: 2'), /^rules\[0\]: unknown key "valeu"/],
    ['missing path', rule('value: 1'), /^rules\[0\]: path is required/],
    ['bad path', rule('path: "a..b"\nvalue: 1'), /^rules\[0\]: invalid path "a..b"/],
    [
      'no action',
      rule('path: data.x'),
      /^rules\[0\]: needs exactly one of value, template, merge, delete; found none/,
    ],
    ['two actions', rule('path: data.x\nvalue: 1\ndelete: true'), /found value, delete/],
    ['delete: false', rule('path: data.x\ndelete: false'), /delete must be true/],
    ['template not a string', rule('path: data.x\ntemplate: [1]'), /template must be a string/],
    ['merge not a map', rule('path: data.x\nmerge: [1]'), /merge must be a map/],
    [
      'unknown helper',
      rule('path: data.x\ntemplate: "{{shell 1}}"'),
      /^rules\[0\]: template: 1:3: function "shell" not defined/,
    ],
    [
      'unknown function in a Go-spelled template',
      rule('path: data.x\ntemplate: "https://{{ .TargetNamespace | foo }}"'),
      /^rules\[0\]: template: 1:31: function "foo" not defined/,
    ],
    [
      'Go-spelled syntax error in merge',
      rule('path: data\nmerge: {a: "{{ if .SourceName }}x"}'),
      /^rules\[0\]: merge.a: template: 1:4: unexpected EOF: \{\{if\}\} has no \{\{end\}\}/,
    ],
    [
      'template in merge',
      rule('path: data\nmerge: {a: {b: "{{> p}}"}}'),
      /^rules\[0\]: merge.a.b: template: 1:1: partials are not allowed/,
    ],
    [
      'non-string namespacePattern',
      rule('path: data.x\nvalue: 1\nnamespacePattern: 3'),
      /namespacePattern must be a string/,
    ],
    ['__proto__ in a value', rule('path: data\nvalue: {__proto__: {polluted: 1}}'), /__proto__/],
    ['__proto__ in a merge', rule('path: data\nmerge: {__proto__: {polluted: 1}}'), /__proto__/],
    ['non-string label', rule('path: metadata.labels.x\nvalue: 1'), /must be a string/],
    ['non-string labels map', rule('path: metadata.labels\nvalue: {a: 1}'), /must be a map of strings/],
    ['non-string merge into annotations', rule('path: metadata.annotations\nmerge: {a: 1}'), /strings only/],
  ])('%s', (_name, yaml, message) => {
    const errors = errorsOf(yaml);
    expect(errors.some((e) => message.test(e))).toBe(true);
  });

  it.each([
    'apiVersion',
    'kind',
    'metadata',
    'metadata.name',
    'metadata.namespace',
    'metadata.uid',
    'metadata.resourceVersion',
    'metadata.ownerReferences',
    'metadata.ownerReferences[0]',
    'metadata.finalizers',
    'metadata.labels["kubemirror.io/mirror"]',
    'metadata.annotations["kubemirror.io/source-content-hash"]',
  ])('refuses the forbidden path %s for every action', (path) => {
    for (const action of ['value: x', 'template: x', 'merge: {a: b}', 'delete: true']) {
      expect(errorsOf(rule(`path: '${path}'\n${action}`))).toEqual([
        expect.stringMatching(/^rules\[0\]: path .* is forbidden/),
      ]);
    }
  });

  it('refuses P/* keys brought in by a whole labels/annotations map, by value or by merge', () => {
    expect(errorsOf(rule('path: metadata.labels\nvalue: {"kubemirror.io/mirror": "x"}'))[0]).toMatch(
      /forbidden/,
    );
    expect(errorsOf(rule('path: metadata.annotations\nmerge: {"kubemirror.io/sync": "true"}'))[0]).toMatch(
      /forbidden/,
    );
  });

  it('reports all problems at once across rules', () => {
    const errors = errorsOf(`rules:
  - path: kind
    value: Pod
  - path: data.ok
    value: fine
  - path: data.x
  - template: "{{nope}}"
    path: data.y
    bogus: 1
`);
    expect(errors).toEqual([
      expect.stringMatching(/^rules\[0\]: path kind is forbidden/),
      expect.stringMatching(/^rules\[2\]: needs exactly one/),
      expect.stringMatching(/^rules\[3\]: unknown key "bogus"/),
      expect.stringMatching(/^rules\[3\]: template: 1:3: can't evaluate field nope/),
    ]);
  });

  it('accepts an empty rule list', () => {
    expect(compile('rules: []').ruleCount).toBe(0);
  });
});

describe('limits', () => {
  const many = (n: number) =>
    `rules:\n${Array.from({ length: n }, (_, i) => `  - {path: data.k${i}, value: v}\n`).join('')}`;

  it('allows 50 rules by default and refuses 51', () => {
    expect(compile(many(50)).ruleCount).toBe(50);
    expect(errorsOf(many(51))).toContain('51 rules, over the limit of 50');
  });

  it('takes a configured rule limit', () => {
    expect(errorsOf(many(3), { maxRules: 2 })).toContain('3 rules, over the limit of 2');
  });

  it('refuses more than 10 KiB of rules text by default, and a configured size', () => {
    const big = `${rule('path: data.x\nvalue: 1')}# ${'x'.repeat(10 * 1024)}\n`;
    expect(errorsOf(big)[0]).toMatch(/over the 10240-byte limit/);
    expect(errorsOf(rule('path: data.x\nvalue: 1'), { maxBytes: 10 })[0]).toMatch(/over the 10-byte limit/);
  });

  it('fails a template render over the time budget (100 ms by default), using the injected clock', () => {
    const p = compile(rule('path: data.x\ntemplate: "{{TargetNamespace}}"'));
    let t = 0;
    const now = () => {
      t += 101;
      return t;
    };
    expect(() => p.apply(aConfigMap(), ctx(), { strict: true, now })).toThrow(/over the 100 ms budget/);
    const fast = compile(rule('path: data.x\ntemplate: "{{TargetNamespace}}"'), { renderTimeoutMs: 500 });
    expect(fast.apply(aConfigMap(), ctx(), { strict: true, now }).object.data).toMatchObject({
      x: 'prod-eu',
    });
  });

  it('caps template output at the configured size', () => {
    const p = compile(rule('path: data.x\ntemplate: "{{TargetLabels.big}}"'), { maxOutputBytes: 16 });
    const c = ctx('prod-eu', { targetLabels: { big: 'x'.repeat(17) } });
    expect(p.apply(aConfigMap(), c, { strict: false }).skipped[0]!.message).toMatch(
      /output exceeds 16 bytes/,
    );
  });
});

describe('caching', () => {
  it('returns the same compiled program for the same text and prefix', () => {
    const yaml = rule('path: data.cache\nvalue: 1');
    expect(compileTransform(yaml, { prefix: P })).toBe(compileTransform(yaml, { prefix: P }));
    expect(compileTransform(yaml, { prefix: 'other.io' })).not.toBe(compileTransform(yaml, { prefix: P }));
  });

  it('judges P/* keys by the prefix it was compiled with', () => {
    const yaml = rule('path: metadata.labels["other.io/x"]\nvalue: a');
    expect(compileTransform(yaml, { prefix: P }).ok).toBe(true);
    expect(compileTransform(yaml, { prefix: 'other.io' }).ok).toBe(false);
  });
});

describe('benchTransform', () => {
  it('returns a positive time per mirror for the 10-rule transform', () => {
    const ms = benchTransform(200);
    expect(ms).toBeGreaterThan(0);
    expect(ms).toBeLessThan(5);
  });
});
