import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, DEFAULT_STRIP_KEYS } from '../../../src/config/config.js';
import {
  isHelpRequested,
  type LoadConfigInput,
  loadConfig,
  SERVICE_ACCOUNT_NAMESPACE_FILE,
} from '../../../src/config/load-config.js';
import { SETTINGS } from '../../../src/config/settings.js';
import { ConfigError } from '../../../src/core/errors.js';

const noFile = () => undefined;
const load = (input: Partial<LoadConfigInput>) =>
  loadConfig({ argv: [], env: {}, readFile: noFile, ...input });

function problemsOf(input: Partial<LoadConfigInput>): readonly string[] {
  try {
    load(input);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig defaults', () => {
  it('gives DEFAULT_CONFIG with every source "default" when nothing is set', () => {
    const { config, sources } = load({});
    expect(config).toEqual({ ...DEFAULT_CONFIG, leaderElectionNamespace: 'default' });
    expect(config.stripKeys).toEqual(DEFAULT_STRIP_KEYS);
    expect(new Set(Object.values(sources))).toEqual(new Set(['default']));
    expect(Object.keys(sources).sort()).toEqual(Object.keys(DEFAULT_CONFIG).sort());
  });

  it('has one setting per Config field', () => {
    expect(SETTINGS.map((s) => s.key).sort()).toEqual(Object.keys(DEFAULT_CONFIG).sort());
  });

  it('returns a frozen config whose lists are frozen too', () => {
    const { config } = load({ argv: ['--excluded-namespaces=a,b'] });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.excludedNamespaces)).toBe(true);
    expect(Object.isFrozen(config.resourceTypes)).toBe(true);
  });
});

describe('loadConfig precedence: flag > env > ConfigMap > default', () => {
  const cases: { name: string; flag?: string; env?: string; cm?: string; want: number; source: string }[] = [
    { name: 'default only', want: 100, source: 'default' },
    { name: 'ConfigMap over default', cm: '7', want: 7, source: 'configmap' },
    { name: 'env over ConfigMap', env: '8', cm: '7', want: 8, source: 'env' },
    { name: 'flag over env and ConfigMap', flag: '9', env: '8', cm: '7', want: 9, source: 'flag' },
    { name: 'flag over ConfigMap', flag: '9', cm: '7', want: 9, source: 'flag' },
    { name: 'empty env counts as unset', env: '', cm: '7', want: 7, source: 'configmap' },
  ];
  it.each(cases)('$name', ({ flag, env, cm, want, source }) => {
    const { config, sources } = load({
      argv: flag ? [`--max-targets=${flag}`] : [],
      env: env !== undefined ? { KUBEMIRROR_MAX_TARGETS: env } : {},
      configMapData: cm ? { maxTargets: cm } : {},
    });
    expect(config.maxTargets).toBe(want);
    expect(sources.maxTargets).toBe(source);
  });

  it('reads LOG_LEVEL for the log level and KUBECONFIG for the kubeconfig', () => {
    const { config, sources } = load({ env: { LOG_LEVEL: 'debug', KUBECONFIG: '/k/config' } });
    expect(config.logLevel).toBe('debug');
    expect(config.kubeconfig).toBe('/k/config');
    expect(sources.logLevel).toBe('env');
  });

  it('prefers KUBEMIRROR_KUBECONFIG over KUBECONFIG and the flag over both', () => {
    const env = { KUBECONFIG: '/a', KUBEMIRROR_KUBECONFIG: '/b' };
    expect(load({ env }).config.kubeconfig).toBe('/b');
    expect(load({ env, argv: ['--kubeconfig', '/c'] }).config.kubeconfig).toBe('/c');
  });
});

describe('loadConfig flag syntax', () => {
  it('takes --x=v and --x v', () => {
    const { config } = load({ argv: ['--worker-threads=3', '--resync-period', '1m30s'] });
    expect(config.workerThreads).toBe(3);
    expect(config.resyncPeriodMs).toBe(90_000);
  });

  it('takes bare booleans, --x=false and --x false', () => {
    expect(load({ argv: ['--verify-source-freshness'] }).config.verifySourceFreshness).toBe(true);
    expect(load({ argv: ['--finalizers=false'] }).config.finalizers).toBe(false);
    const { config } = load({ argv: ['--leader-elect', 'false', '--finalizers'] });
    expect(config.leaderElect).toBe(false);
    expect(config.finalizers).toBe(true);
  });

  it('parses every type: lists trimmed, durations, numbers, strings', () => {
    const { config } = load({
      argv: [
        '--resource-types= Secret.v1 , Ingress.v1.networking.k8s.io,,',
        '--discovery-interval=30s',
        '--rate-limit-qps=2.5',
        '--annotation-prefix=mirror.example.com',
        '--config-map=kubemirror-system/kubemirror',
        '--metrics-bind-address=127.0.0.1:0',
        '--strip-keys=helm.sh/*',
        '--transform-render-timeout=250ms',
      ],
    });
    expect(config.resourceTypes).toEqual(['Secret.v1', 'Ingress.v1.networking.k8s.io']);
    expect(config.discoveryIntervalMs).toBe(30_000);
    expect(config.rateLimitQps).toBe(2.5);
    expect(config.annotationPrefix).toBe('mirror.example.com');
    expect(config.configMap).toBe('kubemirror-system/kubemirror');
    expect(config.metricsBindAddress).toBe('127.0.0.1:0');
    expect(config.stripKeys).toEqual(['helm.sh/*']);
    expect(config.transformRenderTimeoutMs).toBe(250);
  });

  it('appends repeated list flags and an explicit empty list clears the default', () => {
    expect(
      load({ argv: ['--excluded-namespaces=a', '--excluded-namespaces', 'b-*'] }).config.excludedNamespaces,
    ).toEqual(['a', 'b-*']);
    expect(load({ argv: ['--system-namespaces='] }).config.systemNamespaces).toEqual([]);
  });

  it('recognises --help and -h', () => {
    expect(isHelpRequested(['--max-targets=3', '--help'])).toBe(true);
    expect(isHelpRequested(['-h'])).toBe(true);
    expect(isHelpRequested(['--max-targets=3'])).toBe(false);
  });
});

describe('loadConfig leader election namespace', () => {
  it('uses the flag first', () => {
    const cfg = load({ argv: ['--leader-election-namespace=ops'], env: { POD_NAMESPACE: 'pod-ns' } }).config;
    expect(cfg.leaderElectionNamespace).toBe('ops');
  });
  it('falls back to POD_NAMESPACE', () => {
    expect(load({ env: { POD_NAMESPACE: 'pod-ns' } }).config.leaderElectionNamespace).toBe('pod-ns');
  });
  it('then to the service account namespace file', () => {
    const readFile = (p: string) => (p === SERVICE_ACCOUNT_NAMESPACE_FILE ? 'sa-ns\n' : undefined);
    expect(load({ readFile }).config.leaderElectionNamespace).toBe('sa-ns');
  });
  it('then to "default"', () => {
    expect(load({}).config.leaderElectionNamespace).toBe('default');
  });
});

describe('loadConfig validation', () => {
  it('reports every problem at once', () => {
    const problems = problemsOf({
      argv: [
        '--no-such-flag=1',
        '--max-targets=abc',
        '--worker-threads=0',
        '--rate-limit-burst=-3',
        '--resync-period=10',
        '--leader-elect=maybe',
        '--resource-types=Secret.v1,secret,Ingress.v1.Networking',
        '--metrics-bind-address=8080',
        '--annotation-prefix=Not_A_Prefix',
        '--config-map=just-a-name',
        'stray',
      ],
      env: { LOG_LEVEL: 'loud', KUBEMIRROR_DISCOVERY_INTERVAL: '5d' },
      configMapData: { maxTarget: '3', excludedNamespaces: 'ok,Bad_NS', kubeconfig: '/x' },
    });
    const expected = [
      /unknown flag --no-such-flag/,
      /--max-targets: "abc" is not a whole number/,
      /--worker-threads: "0" is below the minimum 1/,
      /--rate-limit-burst: "-3" is negative/,
      /--resync-period: "10" is not a duration \(missing unit\)/,
      /--leader-elect: "maybe" is not a boolean/,
      /--resource-types: "secret" is not a resource type/,
      /--resource-types: "Ingress.v1.Networking" is not a resource type/,
      /--metrics-bind-address: "8080" is not a bind address/,
      /--annotation-prefix: "Not_A_Prefix" is not a valid DNS subdomain/,
      /--config-map: "just-a-name" is not a ConfigMap reference/,
      /unexpected argument "stray"/,
      /env LOG_LEVEL: "loud" is not a log level/,
      /env KUBEMIRROR_DISCOVERY_INTERVAL: "5d" is not a duration/,
      /ConfigMap key maxTarget: unknown setting/,
      /ConfigMap key excludedNamespaces: "Bad_NS" is not a namespace name or glob/,
      /ConfigMap key kubeconfig: --kubeconfig cannot be set from the ConfigMap/,
    ];
    for (const re of expected)
      expect(
        problems.some((p) => re.test(p)),
        `${re}`,
      ).toBe(true);
    expect(problems).toHaveLength(expected.length);
  });

  it('rejects maxTargets < 1, a negative qps and a flag without a value; qps 0 means unlimited', () => {
    expect(problemsOf({ argv: ['--max-targets=0'] })).toEqual(['--max-targets: "0" is below the minimum 1']);
    expect(problemsOf({ argv: ['--max-targets'] })).toEqual(['--max-targets: needs a value']);
    expect(problemsOf({ argv: ['--rate-limit-qps=-1'] })).toHaveLength(1);
    expect(load({ argv: ['--rate-limit-qps=0'] }).config.rateLimitQps).toBe(0);
  });

  it('the ConfigError message lists each problem', () => {
    expect(() => load({ argv: ['--max-targets=x', '--worker-threads=y'] })).toThrow(
      /invalid configuration:\n {2}- --max-targets.*\n {2}- --worker-threads/,
    );
  });

  it('accepts valid bind address forms', () => {
    for (const a of [':8080', '0.0.0.0:9090', '127.0.0.1:0', '[::]:8081', 'localhost:8080', '0']) {
      expect(load({ argv: [`--health-probe-bind-address=${a}`] }).config.healthProbeBindAddress).toBe(a);
    }
  });
});
