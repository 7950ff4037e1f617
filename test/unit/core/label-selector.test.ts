import { describe, expect, it } from 'vitest';
import { KubemirrorError } from '../../../src/core/errors.js';
import {
  formatLabelSelector,
  parseLabelSelector,
  selectorMatches,
} from '../../../src/core/label-selector.js';

const L = { env: 'prod', team: 'payments', tier: '3', 'example.com/zone': 'eu-1' };

describe('selectorMatches', () => {
  it.each([
    ['', {}, true],
    ['', undefined, true],
    ['env=prod', L, true],
    ['env==prod', L, true],
    ['env=staging', L, false],
    ['env!=staging', L, true],
    ['env!=prod', L, false],
    ['missing!=x', L, true],
    ['env in (prod,staging)', L, true],
    ['env in (staging,dev)', L, false],
    ['missing in (prod)', L, false],
    ['env notin (prod)', L, false],
    ['env notin (dev)', L, true],
    ['missing notin (dev)', L, true],
    ['env', L, true],
    ['missing', L, false],
    ['!missing', L, true],
    ['!env', L, false],
    ['env in (prod,staging),team=payments', L, true],
    ['env in (prod,staging),team=billing', L, false],
    ['example.com/zone=eu-1', L, true],
    ['tier>2', L, true],
    ['tier>3', L, false],
    ['tier<4', L, true],
    ['env>1', L, false],
    ['empty=', { empty: '' }, true],
    ['empty=', { empty: 'x' }, false],
    ['empty=', {}, false],
    ['env in ()', { env: '' }, true],
    ['env in (a,)', { env: '' }, true],
    ['env', undefined, false],
    ['!env', undefined, true],
    ['  env  in  ( prod , staging )  ,  team = payments  ', L, true],
    ['in=x', { in: 'x' }, true],
    ['a in (in,notin)', { a: 'notin' }, true],
  ])('%j against %j → %s', (text, labels, expected) => {
    expect(selectorMatches(parseLabelSelector(text), labels as Record<string, string> | undefined)).toBe(
      expected,
    );
  });
});

describe('parseLabelSelector rejects bad input naming the bad part', () => {
  it.each([
    ['env=prod,', "expected: identifier after ','"],
    [',env', "found ','"],
    ['env in prod', "expected: '('"],
    ['env in (prod', "expected: ',' or ')'"],
    ['env == = prod', "found '='"],
    ['env prod', "found 'prod'"],
    ['!env=prod', "found '='"],
    ['env=a=b', "found '='"],
    ['-bad=x', 'invalid label key "-bad"'],
    ['Bad.Prefix/x=y', 'invalid label key "Bad.Prefix/x"'],
    ['a/b/c=y', 'invalid label key "a/b/c"'],
    [`${'k'.repeat(64)}=v`, 'no more than 63 characters'],
    [`k=${'v'.repeat(64)}`, 'no more than 63 characters'],
    ['k=bad_', 'invalid label value "bad_"'],
    ['k in (ok,-no)', 'invalid label value "-no"'],
    ['tier>abc', 'must be an integer'],
    ['env=!prod', "found '!'"],
    ['env=(prod)', "found '('"],
  ])('%j', (text, fragment) => {
    let caught: unknown;
    try {
      parseLabelSelector(text);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(KubemirrorError);
    expect((caught as KubemirrorError).reason).toBe('InvalidSelector');
    expect((caught as Error).message).toContain(fragment);
  });

  it('accepts the longest valid key and value', () => {
    expect(() => parseLabelSelector(`${'k'.repeat(63)}=${'v'.repeat(63)}`)).not.toThrow();
  });
});

describe('parseLabelSelector structure and formatting', () => {
  it('sorts requirements by key and dedupes/sorts values', () => {
    const sel = parseLabelSelector('z=1,a in (c,b,c),m');
    expect(sel.requirements).toEqual([
      { key: 'a', operator: 'in', values: ['b', 'c'] },
      { key: 'm', operator: 'exists', values: [] },
      { key: 'z', operator: '=', values: ['1'] },
    ]);
  });

  it.each([
    ['env=prod', 'env=prod'],
    ['env == prod', 'env==prod'],
    ['b!=x,a', 'a,b!=x'],
    ['!a', '!a'],
    ['a notin ( y ,x)', 'a notin (x,y)'],
    ['n>5,m<2', 'm<2,n>5'],
    ['', ''],
  ])('formats %j as %j and the result re-parses identically', (text, formatted) => {
    const sel = parseLabelSelector(text);
    expect(formatLabelSelector(sel)).toBe(formatted);
    expect(parseLabelSelector(formatted)).toEqual(sel);
  });
});
