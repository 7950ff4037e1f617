import { describe, expect, it } from 'vitest';
import { mirrorKeys } from '../../../src/core/keys.js';
import { readSourceSpec } from '../../../src/core/source-spec.js';
import { aSource } from '../../helpers/builders.js';

const keys = mirrorKeys();

describe('readSourceSpec: sync switch', () => {
  it.each([
    ['label and annotation "true"', aSource(), true],
    ['annotation without label', aSource().withoutLabel(keys.enabled), false],
    ['label without annotation', aSource().withoutAnnotation(keys.sync), false],
    ['annotation "false"', aSource().withAnnotations({ [keys.sync]: 'false' }), false],
    ['label "yes"', aSource().withLabels({ [keys.enabled]: 'yes' }), false],
  ])('%s → syncEnabled=%s', (_name, b, expected) => {
    expect(readSourceSpec(b.build(), keys).syncEnabled).toBe(expected);
  });

  it('honours a custom prefix', () => {
    const other = mirrorKeys('mirror.example.com');
    const src = aSource(other).build();
    expect(readSourceSpec(src, other).syncEnabled).toBe(true);
    expect(readSourceSpec(src, keys).syncEnabled).toBe(false);
  });
});

describe('readSourceSpec: target entries', () => {
  it.each([
    ['app-1', [{ type: 'name', name: 'app-1' }]],
    [
      ' app-1 , , app-2 ,',
      [
        { type: 'name', name: 'app-1' },
        { type: 'name', name: 'app-2' },
      ],
    ],
    ['app-*', [{ type: 'glob', pattern: 'app-*' }]],
    [
      'prod-?,team-[ab]',
      [
        { type: 'glob', pattern: 'prod-?' },
        { type: 'glob', pattern: 'team-[ab]' },
      ],
    ],
    ['all, !kube-*', [{ type: 'all' }, { type: 'exclude', pattern: 'kube-*' }]],
    ['all-labeled', [{ type: 'all-labeled' }]],
    ['!app-3', [{ type: 'exclude', pattern: 'app-3' }]],
    [
      'team-[!a],[a-c]x',
      [
        { type: 'glob', pattern: 'team-[!a]' },
        { type: 'glob', pattern: '[a-c]x' },
      ],
    ],
    ['', []],
  ])('%j', (text, expected) => {
    const spec = readSourceSpec(aSource().withTargets(text).build(), keys);
    expect(spec.targets).toEqual(expected);
    expect(spec.errors).toEqual([]);
  });

  it('no annotation means no targets and no error', () => {
    const spec = readSourceSpec(aSource().build(), keys);
    expect(spec.targets).toEqual([]);
    expect(spec.errors).toEqual([]);
  });

  it.each([
    ['App_1'],
    ['!'],
    ['!!'],
    ['a b'],
    [`${'x'.repeat(64)}`],
    ['ns/x'],
    // malformed globs: minimatch would take them as literals that never match, so they are refused
    ['['],
    ['team-['],
    ['app]'],
    ['[]'],
    ['[!]'],
    ['[z-a]'],
    ['!team-['],
    ['app-[A-Z]'],
  ])('invalid entry %j is a spec error, other entries kept', (bad) => {
    const spec = readSourceSpec(aSource().withTargets(`ok-1,${bad}`).build(), keys);
    expect(spec.targets).toEqual([{ type: 'name', name: 'ok-1' }]);
    expect(spec.errors).toHaveLength(1);
    expect(spec.errors[0]).toContain(bad);
  });
});

describe('readSourceSpec: selector, transform', () => {
  it('parses a valid selector', () => {
    const spec = readSourceSpec(aSource().withSelector('env in (prod,staging),team=payments').build(), keys);
    expect(spec.selector?.requirements).toHaveLength(2);
    expect(spec.errors).toEqual([]);
  });

  it('an invalid selector is a spec error, not a throw', () => {
    const spec = readSourceSpec(aSource().withSelector('env in prod').build(), keys);
    expect(spec.selector).toBeNull();
    expect(spec.errors).toHaveLength(1);
    expect(spec.errors[0]).toContain('target-namespace-selector');
  });

  it('a blank selector is treated as absent, not as "everything"', () => {
    const spec = readSourceSpec(aSource().withSelector('  ').build(), keys);
    expect(spec.selector).toBeNull();
    expect(spec.errors).toEqual([]);
  });

  it.each([
    [undefined, false, null, false],
    ['rules: []', false, 'rules: []', false],
    ['rules: []', true, 'rules: []', true],
    ['   ', false, null, false],
  ])('transform %j strict=%s', (text, strict, expectedText, expectedStrict) => {
    const b = aSource();
    if (text !== undefined) b.withTransform(text, strict);
    const spec = readSourceSpec(b.build(), keys);
    expect(spec.transformText).toBe(expectedText);
    expect(spec.transformStrict).toBe(expectedStrict);
  });
});
