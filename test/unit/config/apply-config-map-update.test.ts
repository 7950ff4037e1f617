import { describe, expect, it } from 'vitest';
import { applyConfigMapUpdate } from '../../../src/config/apply-config-map-update.js';
import { loadConfig, renderHelp } from '../../../src/config/load-config.js';
import { SETTINGS } from '../../../src/config/settings.js';
import { ConfigError } from '../../../src/core/errors.js';

const input = { argv: ['--worker-threads=4'], env: {}, readFile: () => undefined };

describe('applyConfigMapUpdate', () => {
  const current = loadConfig({ ...input, configMapData: { maxTargets: '10' } }).config;

  it('applies changed hot-reloadable settings and lists them', () => {
    const r = applyConfigMapUpdate(current, input, {
      maxTargets: '20',
      excludedNamespaces: 'legacy-*',
      logLevel: 'debug',
    });
    expect(r.config.maxTargets).toBe(20);
    expect(r.config.excludedNamespaces).toEqual(['legacy-*']);
    expect(r.config.logLevel).toBe('debug');
    expect(r.changed.sort()).toEqual(['excludedNamespaces', 'logLevel', 'maxTargets']);
    expect(r.rejectedStatic).toEqual([]);
    expect(Object.isFrozen(r.config)).toBe(true);
  });

  it('reports nothing changed when the data means the same', () => {
    const r = applyConfigMapUpdate(current, input, {
      maxTargets: '10',
      systemNamespaces: 'kube-system, kube-public,kube-node-lease',
    });
    expect(r.changed).toEqual([]);
    expect(r.config).toEqual(current);
  });

  it('reverts a removed key to its default', () => {
    const r = applyConfigMapUpdate(current, input, {});
    expect(r.config.maxTargets).toBe(100);
    expect(r.changed).toEqual(['maxTargets']);
  });

  it('keeps static settings and reports them as needing a restart', () => {
    const r = applyConfigMapUpdate(current, input, {
      maxTargets: '10',
      annotationPrefix: 'other.io',
      metricsBindAddress: ':9999',
      leaderElect: 'false',
    });
    expect(r.rejectedStatic.sort()).toEqual(['annotationPrefix', 'leaderElect', 'metricsBindAddress']);
    expect(r.config.annotationPrefix).toBe('kubemirror.io');
    expect(r.config.metricsBindAddress).toBe(':8080');
    expect(r.config.leaderElect).toBe(true);
    expect(r.changed).toEqual([]);
  });

  it('leaves a setting given by flag alone (flag wins over the ConfigMap)', () => {
    const r = applyConfigMapUpdate(current, input, { maxTargets: '10', workerThreads: '9' });
    expect(r.config.workerThreads).toBe(4);
    expect(r.changed).toEqual([]);
  });

  it('rejects a bad ConfigMap as a whole with every problem', () => {
    let err: unknown;
    try {
      applyConfigMapUpdate(current, input, { maxTargets: '50', workerThreads: 'many', resyncPeriod: 'soon' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toHaveLength(2);
  });
});

describe('renderHelp', () => {
  const help = renderHelp();
  it.each(SETTINGS.map((s) => [s.flag, s]))('documents --%s with env, ConfigMap key and default', (_, s) => {
    const block = help.slice(help.indexOf(`  --${s.flag} `));
    const end = block.indexOf('\n  --', 1);
    const text = block.slice(0, end < 0 ? undefined : end);
    expect(text).toContain(`--${s.flag} ${s.type}`);
    expect(text).toContain(`env: ${s.env}`);
    expect(text).toContain(`configmap: ${s.configMapKey ?? '-'}`);
    expect(text).toMatch(/default: \S/);
    expect(text).toContain(s.hotReload ? 'live' : 'restart');
  });

  it('shows defaults in the form the flags take', () => {
    expect(help).toMatch(/--resync-period duration[\s\S]*?default: 10m\n/);
    expect(help).toMatch(/--max-targets int[\s\S]*?default: 100\n/);
    expect(help).toMatch(
      /--system-namespaces list[\s\S]*?default: kube-system,kube-public,kube-node-lease\n/,
    );
    expect(help).toContain('flag > env > ConfigMap > default');
  });
});
