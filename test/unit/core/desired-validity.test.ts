import { describe, expect, it } from 'vitest';
import { DEFAULT_STRIP_KEYS } from '../../../src/config/config.js';
import { buildDesiredMirror } from '../../../src/core/desired-mirror.js';
import { InvalidMirrorError } from '../../../src/core/desired-validity.js';
import { mirrorKeys } from '../../../src/core/keys.js';
import { compileTransform, transformContextFor } from '../../../src/core/transform/index.js';
import type { KubeObject } from '../../../src/core/types.js';
import { aSource } from '../../helpers/builders.js';

const keys = mirrorKeys();

/** The desired mirror of `source` in app-1 after the real transform engine ran `rules`. */
function desiredWith(source: KubeObject, rules: string): KubeObject {
  const compiled = compileTransform(rules, { prefix: keys.prefix });
  if (!compiled.ok) throw new Error(compiled.errors.join('; '));
  return buildDesiredMirror(source, 'app-1', {
    keys,
    stripKeys: DEFAULT_STRIP_KEYS,
    transform: (obj) =>
      compiled.program.apply(obj, transformContextFor(source, 'app-1', undefined, keys.prefix), {
        strict: true,
      }).object,
  }).mirror;
}

const configMap = () => aSource().asConfigMap({ a: 'x' }).fromServer().build();
const secret = () =>
  aSource()
    .withBody({ type: 'Opaque', data: { user: Buffer.from('admin').toString('base64') } })
    .fromServer()
    .build();

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidMirrorError) return err.problems;
    throw err;
  }
  throw new Error('expected InvalidMirrorError');
}

describe('valid before written: scalars written into string maps become strings', () => {
  it.each([
    ['a number', 'value: 8080', '8080'],
    ['a boolean', 'value: true', 'true'],
    ['a float', 'value: 1.5', '1.5'],
    ['a string', 'value: "8080"', '8080'],
  ])('%s in ConfigMap data', (_name, value, expected) => {
    const mirror = desiredWith(configMap(), `rules:\n  - path: data.port\n    ${value}\n`);
    expect((mirror.data as Record<string, unknown>).port).toBe(expected);
  });

  it('a number in Secret data is stored base64 of its text', () => {
    const mirror = desiredWith(secret(), 'rules:\n  - path: data.port\n    value: 5432\n');
    expect((mirror.data as Record<string, string>).port).toBe(Buffer.from('5432').toString('base64'));
  });
});

describe('valid before written: what the kind refuses is the target error, with the field named', () => {
  it.each([
    [
      'a map in ConfigMap data',
      'path: data.port\n    value: {a: 1}',
      'data.port: must be a string, got a map',
    ],
    [
      'a list in ConfigMap data',
      'path: data.port\n    value: [1, 2]',
      'data.port: must be a string, got a list',
    ],
    ['null in ConfigMap data', 'path: data.port\n    value: null', 'data.port: must be a string, got null'],
    [
      'a dotted key',
      'path: data["app.yaml"]\n    value: {a: 1}',
      'data["app.yaml"]: must be a string, got a map',
    ],
    [
      'binaryData not base64',
      'path: binaryData.blob\n    value: "not base64!"',
      'binaryData.blob: must be base64',
    ],
    [
      'an invalid label value',
      'path: metadata.labels.team\n    value: "has spaces"',
      'metadata.labels["team"]: invalid value',
    ],
    [
      'a label value over 63 characters',
      `path: metadata.labels.team\n    value: ${'x'.repeat(64)}`,
      'metadata.labels["team"]: invalid value',
    ],
    [
      'an invalid label key',
      'path: metadata.labels["bad key"]\n    value: x',
      'metadata.labels["bad key"]: invalid key',
    ],
  ])('%s', (_name, body, expected) => {
    const problems = problemsOf(() => desiredWith(configMap(), `rules:\n  - ${body}\n`));
    expect(problems.join('\n')).toContain(expected);
  });

  it('never quotes the value it refuses', () => {
    const problems = problemsOf(() =>
      desiredWith(configMap(), 'rules:\n  - path: metadata.labels.team\n    value: "s3cr3t value"\n'),
    );
    expect(problems.join('\n')).not.toContain('s3cr3t');
  });

  it('every problem is listed at once', () => {
    const problems = problemsOf(() =>
      desiredWith(
        configMap(),
        'rules:\n  - path: data.a\n    value: {x: 1}\n  - path: data.b\n    value: [1]\n  - path: metadata.labels.t\n    value: "a b"\n',
      ),
    );
    expect(problems).toHaveLength(3);
  });

  it('a data key the server refuses, and a key in both data and binaryData, are named', () => {
    expect(
      problemsOf(() => desiredWith(configMap(), 'rules:\n  - path: data["bad key"]\n    value: x\n')),
    ).toEqual([expect.stringMatching(/^data\["bad key"\]: invalid key/)]);
    expect(
      problemsOf(() => desiredWith(configMap(), 'rules:\n  - path: binaryData.a\n    value: eA==\n')),
    ).toEqual(['binaryData.a: duplicate of data.a']);
  });

  it('a typed Secret that lost a required key is refused before the server would', () => {
    const tls = aSource()
      .withBody({
        type: 'kubernetes.io/tls',
        data: {
          'tls.crt': Buffer.from('c').toString('base64'),
          'tls.key': Buffer.from('k').toString('base64'),
        },
      })
      .fromServer()
      .build();
    expect(
      problemsOf(() => desiredWith(tls, 'rules:\n  - path: data["tls.key"]\n    delete: true\n')),
    ).toEqual(['data["tls.key"]: required for a Secret of type kubernetes.io/tls']);
  });

  it('annotations over the 256 KiB total are refused', () => {
    const source = aSource()
      .asConfigMap({ a: 'x' })
      .withAnnotations({ big: 'x'.repeat(230 * 1024), small: 'y'.repeat(20 * 1024) })
      .fromServer()
      .build();
    const rules = 'rules:\n  - path: metadata.annotations.copy\n    template: "{{Annotations.small}}"\n';
    expect(problemsOf(() => desiredWith(source, rules))[0]).toMatch(
      /^metadata\.annotations: total size \d+ bytes exceeds/,
    );
  });
});
