import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { needsQuotes, stringifyPortable } from '../../../src/cli/portable-yaml.js';

/** Strings that some YAML reader (YAML 1.1: kubectl's go-yaml, PyYAML; or YAML 1.2) reads as a non-string. */
const AMBIGUOUS: [string, string][] = [
  ['YAML 1.1 boolean', 'yes'],
  ['YAML 1.1 boolean', 'Yes'],
  ['YAML 1.1 boolean', 'YES'],
  ['YAML 1.1 boolean', 'no'],
  ['YAML 1.1 boolean', 'NO'],
  ['YAML 1.1 boolean', 'on'],
  ['YAML 1.1 boolean', 'On'],
  ['YAML 1.1 boolean', 'off'],
  ['YAML 1.1 boolean', 'OFF'],
  ['YAML 1.1 boolean', 'y'],
  ['YAML 1.1 boolean', 'Y'],
  ['YAML 1.1 boolean', 'n'],
  ['YAML 1.1 boolean', 'N'],
  ['boolean', 'true'],
  ['boolean', 'False'],
  ['boolean', 'TRUE'],
  ['null', 'null'],
  ['null', 'Null'],
  ['null', '~'],
  ['null', ''],
  ['YAML 1.1 octal', '0755'],
  ['YAML 1.2 octal', '0o17'],
  ['hex', '0x1F'],
  ['binary', '0b1010'],
  ['int with underscores', '1_000'],
  ['int', '42'],
  ['signed int', '-12'],
  ['signed int', '+12'],
  ['float', '1e3'],
  ['float', '1.5e-3'],
  ['float', '.5'],
  ['float', '5.'],
  ['YAML 1.1 float', '1.2.3'],
  ['YAML 1.1 float', '685_230.15'],
  ['infinity', '.inf'],
  ['infinity', '-.Inf'],
  ['infinity', '+.INF'],
  ['not a number', '.nan'],
  ['not a number', '.NaN'],
  ['YAML 1.1 base 60', '1:20'],
  ['YAML 1.1 base 60', '190:20:30.15'],
  ['YAML 1.1 base 60', '-1:20'],
  ['timestamp', '2001-12-14'],
  ['timestamp', '2001-12-14t21:59:43.10-05:00'],
  ['timestamp', '2001-12-14 21:59:43.10 -5'],
  ['YAML 1.1 merge key', '<<'],
  ['YAML 1.1 value key', '='],
];

/** Strings every reader takes as strings: they stay plain, so the output stays readable. */
const PLAIN = [
  'hello',
  'app-settings',
  'v1',
  'yes-please',
  'onion',
  'nothing',
  'a b',
  'kubemirror.io/mirror',
];

const schemas = [
  ['YAML 1.1', { version: '1.1' as const }],
  ['YAML 1.2', { version: '1.2' as const }],
] as const;

describe('stringifyPortable', () => {
  it.each(AMBIGUOUS)('double-quotes a %s (%j), as value and as key', (_what, s) => {
    const text = stringifyPortable({ data: { [s]: s } });
    const quoted = JSON.stringify(s);
    expect(text).toBe(`data:\n  ${quoted}: ${quoted}\n`);
  });

  it.each(AMBIGUOUS)('a %s (%j) reads back as that string in YAML 1.1 and 1.2', (_what, s) => {
    const text = stringifyPortable({ data: { [s]: s } });
    for (const [, opts] of schemas) expect(parse(text, opts)).toEqual({ data: { [s]: s } });
  });

  it.each(PLAIN)('leaves %j plain', (s) => {
    expect(stringifyPortable({ k: s })).toBe(`k: ${s}\n`);
    expect(needsQuotes(s)).toBe(false);
  });

  it('keeps numbers, booleans and null as they are', () => {
    expect(stringifyPortable({ replicas: 3, ratio: 0.5, enabled: true, gone: null })).toBe(
      'replicas: 3\nratio: 0.5\nenabled: true\ngone: null\n',
    );
  });

  it('writes a multi-line string as a block, whatever its lines look like', () => {
    const s = 'yes\n0755\n';
    const text = stringifyPortable({ k: s });
    expect(text).toBe('k: |\n  yes\n  0755\n');
    for (const [, opts] of schemas) expect(parse(text, opts)).toEqual({ k: s });
  });

  it('never folds a long string', () => {
    const s = 'word '.repeat(60).trim();
    expect(stringifyPortable({ k: s })).toBe(`k: ${s}\n`);
  });
});
