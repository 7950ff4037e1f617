import { describe, expect, it } from 'vitest';
import { applyConfigMapUpdate } from '../../../src/config/apply-config-map-update.js';
import { type LoadConfigInput, loadConfig, renderHelp } from '../../../src/config/load-config.js';
import { ConfigError } from '../../../src/core/errors.js';

const load = (input: Partial<LoadConfigInput>) =>
  loadConfig({ argv: [], env: {}, readFile: () => undefined, ...input });

function problemsOf(input: Partial<LoadConfigInput>): readonly string[] {
  try {
    load(input);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('LOG_FORMAT', () => {
  it('defaults to text when stdout is a terminal and to json otherwise', () => {
    expect(load({ stdoutIsTTY: true }).config.logFormat).toBe('text');
    expect(load({ stdoutIsTTY: false }).config.logFormat).toBe('json');
    expect(load({}).config.logFormat).toBe('json');
    expect(load({ stdoutIsTTY: true }).sources.logFormat).toBe('default');
  });

  it('is set by LOG_FORMAT, KUBEMIRROR_LOG_FORMAT or --log-format, whatever stdout is', () => {
    expect(load({ stdoutIsTTY: true, env: { LOG_FORMAT: 'json' } }).config.logFormat).toBe('json');
    expect(load({ stdoutIsTTY: false, env: { LOG_FORMAT: 'text' } }).config.logFormat).toBe('text');
    expect(load({ stdoutIsTTY: true, env: { KUBEMIRROR_LOG_FORMAT: 'json' } }).config.logFormat).toBe('json');
    const flag = load({ stdoutIsTTY: true, argv: ['--log-format=json'], env: { LOG_FORMAT: 'text' } });
    expect(flag.config.logFormat).toBe('json');
    expect(flag.sources.logFormat).toBe('flag');
    // an empty variable counts as unset
    expect(load({ stdoutIsTTY: true, env: { LOG_FORMAT: '' } }).config.logFormat).toBe('text');
  });

  it('reports an invalid value with the other configuration problems', () => {
    const problems = problemsOf({
      env: { LOG_FORMAT: 'pretty', LOG_LEVEL: 'loud' },
      argv: ['--max-targets=0'],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'env LOG_FORMAT: "pretty" is not a log format (one of text, json)',
        expect.stringMatching(/env LOG_LEVEL: "loud" is not a log level/),
        expect.stringMatching(/--max-targets: "0" is below the minimum 1/),
      ]),
    );
    expect(problemsOf({ argv: ['--log-format', 'JSON'] })).toEqual([
      '--log-format: "JSON" is not a log format (one of text, json)',
    ]);
  });

  it('cannot come from the settings ConfigMap (the logger exists before it is read)', () => {
    expect(problemsOf({ configMapData: { logFormat: 'json' } })).toEqual([
      'ConfigMap key logFormat: --log-format cannot be set from the ConfigMap',
    ]);
  });

  it('stays text on a terminal when the ConfigMap changes, without a spurious restart-only warning', () => {
    const input = { argv: [], env: {}, readFile: () => undefined, stdoutIsTTY: true };
    const current = loadConfig(input).config;
    const update = applyConfigMapUpdate(current, input, { maxTargets: '5' });
    expect(update.config.logFormat).toBe('text');
    expect(update.rejectedStatic).toEqual([]);
  });

  it('is listed in --help with its env names and default', () => {
    const help = renderHelp();
    expect(help).toContain('  --log-format string');
    expect(help).toContain('default: text when stdout is a terminal, else json');
    expect(help).toContain('env: LOG_FORMAT, KUBEMIRROR_LOG_FORMAT | configmap: - | restart');
  });
});
