import { type Config, DEFAULT_CONFIG } from './config.js';
import {
  checkBindAddress,
  checkConfigMapRef,
  checkDnsLabel,
  checkDnsSubdomain,
  checkKeyGlob,
  checkLogFormat,
  checkLogLevel,
  checkNamespaceGlob,
  checkResourceType,
} from './validators.js';

export type SettingType = 'bool' | 'int' | 'number' | 'duration' | 'list' | 'string';

/** One controller setting: where it can be set, how it is parsed, and whether it can change at run time. */
export interface Setting {
  key: keyof Config;
  /** without the leading `--` */
  flag: string;
  env: string;
  /** further env names read after `env`, e.g. KUBECONFIG */
  envAliases?: readonly string[];
  /** camelCase like the Helm values; undefined: cannot come from the ConfigMap */
  configMapKey?: string;
  type: SettingType;
  /** DEFAULT_CONFIG's value ('' for leaderElectionNamespace: resolved from the pod at load time) */
  default: Config[keyof Config];
  help: string;
  /** applied from a changed ConfigMap without a restart */
  hotReload: boolean;
  /** inclusive lower bound for int, number and duration (ms) */
  min?: number;
  /** checks a string value, or one list entry */
  check?: (value: string) => string | undefined;
  /** how the default reads in --help when the raw default says too little */
  defaultText?: string;
}

const envName = (flag: string) => `KUBEMIRROR_${flag.toUpperCase().replace(/-/g, '_')}`;
const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

type Def = Omit<Setting, 'env' | 'configMapKey' | 'default'> & { env?: string; configMapKey?: string | null };

function def(d: Def): Setting {
  const { configMapKey, env, ...rest } = d;
  const s: Setting = { ...rest, env: env ?? envName(d.flag), default: DEFAULT_CONFIG[d.key] };
  if (configMapKey !== null) s.configMapKey = configMapKey ?? camel(d.flag);
  return Object.freeze(s);
}

/** Every setting of `kubemirror run`, in --help order. The one place a setting is described. */
export const SETTINGS: readonly Setting[] = Object.freeze([
  def({
    key: 'resourceTypes',
    flag: 'resource-types',
    type: 'list',
    hotReload: true,
    check: checkResourceType,
    defaultText: 'discover from the API',
    help: 'Resource types to mirror as Kind.version[.group] (Secret.v1,Ingress.v1.networking.k8s.io); empty discovers every eligible namespaced type',
  }),
  def({
    key: 'discoveryIntervalMs',
    flag: 'discovery-interval',
    type: 'duration',
    hotReload: true,
    min: 1000,
    help: 'How often API discovery is refreshed to start watches for new CRDs and stop removed ones',
  }),
  def({
    key: 'resyncPeriodMs',
    flag: 'resync-period',
    type: 'duration',
    hotReload: true,
    min: 1000,
    help: 'Period (jittered) of the full re-check of every source and mirror',
  }),
  def({
    key: 'leaderElect',
    flag: 'leader-elect',
    type: 'bool',
    hotReload: false,
    help: 'Elect a leader with a coordination.k8s.io Lease so only one replica writes',
  }),
  def({
    key: 'maxTargets',
    flag: 'max-targets',
    type: 'int',
    hotReload: true,
    min: 1,
    help: 'Most target namespaces per source; a source over the limit is marked failed and left untouched',
  }),
  def({
    key: 'workerThreads',
    flag: 'worker-threads',
    type: 'int',
    hotReload: true,
    min: 1,
    help: 'Concurrent reconciles per controller',
  }),
  def({
    key: 'rateLimitQps',
    flag: 'rate-limit-qps',
    type: 'number',
    hotReload: true,
    min: 0,
    help: 'Sustained API write rate (requests per second); 0 = unlimited',
  }),
  def({
    key: 'rateLimitBurst',
    flag: 'rate-limit-burst',
    type: 'int',
    hotReload: true,
    min: 1,
    help: 'API write burst above the sustained rate',
  }),
  def({
    key: 'verifySourceFreshness',
    flag: 'verify-source-freshness',
    type: 'bool',
    hotReload: true,
    help: 'Read the source from the API (not the cache) before fanning out',
  }),
  def({
    key: 'excludedNamespaces',
    flag: 'excluded-namespaces',
    type: 'list',
    hotReload: true,
    check: checkNamespaceGlob,
    help: 'Namespace globs never used as targets',
  }),
  def({
    key: 'includedNamespaces',
    flag: 'included-namespaces',
    type: 'list',
    hotReload: true,
    check: checkNamespaceGlob,
    defaultText: 'all',
    help: 'Namespace globs that may be targets; empty allows all',
  }),
  def({
    key: 'sourceNamespaces',
    flag: 'source-namespaces',
    type: 'list',
    hotReload: true,
    check: checkNamespaceGlob,
    defaultText: 'all',
    help: 'Namespace globs allowed to publish sources; empty allows all',
  }),
  def({
    key: 'systemNamespaces',
    flag: 'system-namespaces',
    type: 'list',
    hotReload: true,
    check: checkNamespaceGlob,
    help: 'Namespaces that wildcard targets (all, globs, selectors) never reach; naming one explicitly still works',
  }),
  def({
    key: 'annotationPrefix',
    flag: 'annotation-prefix',
    type: 'string',
    hotReload: false,
    check: checkDnsSubdomain,
    help: 'Prefix P of every label, annotation and finalizer the controller reads or writes (P/sync, P/mirror...)',
  }),
  def({
    key: 'finalizers',
    flag: 'finalizers',
    type: 'bool',
    hotReload: false,
    help: 'Put P/finalizer on sources so mirrors are deleted before the source goes (false: clean up orphans after the fact)',
  }),
  def({
    key: 'stripKeys',
    flag: 'strip-keys',
    type: 'list',
    hotReload: false,
    check: checkKeyGlob,
    help: 'Label/annotation key globs never copied to mirrors (P/* keys are never copied either); replaces the default list',
  }),
  def({
    key: 'metricsBindAddress',
    flag: 'metrics-bind-address',
    type: 'string',
    hotReload: false,
    check: checkBindAddress,
    help: 'Address of /metrics (:port listens on all interfaces, 0 disables)',
  }),
  def({
    key: 'healthProbeBindAddress',
    flag: 'health-probe-bind-address',
    type: 'string',
    hotReload: false,
    check: checkBindAddress,
    help: 'Address of /healthz, /readyz, /leader and /status (0 disables)',
  }),
  def({
    key: 'leaderElectionNamespace',
    flag: 'leader-election-namespace',
    type: 'string',
    hotReload: false,
    check: (v) => (v === '' ? undefined : checkDnsLabel(v)),
    defaultText: "the pod's namespace (POD_NAMESPACE or the service account's), else default",
    help: 'Namespace of the leader election Lease',
  }),
  def({
    key: 'leaderElectionId',
    flag: 'leader-election-id',
    type: 'string',
    hotReload: false,
    check: checkDnsSubdomain,
    help: 'Name of the leader election Lease',
  }),
  def({
    key: 'configMap',
    flag: 'config-map',
    type: 'string',
    hotReload: false,
    configMapKey: null,
    check: checkConfigMapRef,
    defaultText: 'none',
    help: 'namespace/name of a ConfigMap with settings (keys as listed here), watched and applied at run time',
  }),
  def({
    key: 'logLevel',
    flag: 'log-level',
    env: 'LOG_LEVEL',
    envAliases: ['KUBEMIRROR_LOG_LEVEL'],
    type: 'string',
    hotReload: true,
    check: checkLogLevel,
    help: 'Log level: trace, debug, info, warn, error, fatal or silent',
  }),
  def({
    key: 'logFormat',
    flag: 'log-format',
    env: 'LOG_FORMAT',
    envAliases: ['KUBEMIRROR_LOG_FORMAT'],
    type: 'string',
    hotReload: false,
    // the logger exists before the ConfigMap is read, so a ConfigMap value could never apply
    configMapKey: null,
    check: checkLogFormat,
    defaultText: 'text when stdout is a terminal, else json',
    help: 'Log format: text (one human-readable line per entry) or json (one JSON object per line); both redact Secret data, tokens and kubeconfigs alike',
  }),
  def({
    key: 'kubeconfig',
    flag: 'kubeconfig',
    envAliases: ['KUBECONFIG'],
    type: 'string',
    hotReload: false,
    configMapKey: null,
    defaultText: 'in-cluster service account, else ~/.kube/config',
    help: 'Path of a kubeconfig file',
  }),
  def({
    key: 'transformMaxRules',
    flag: 'transform-max-rules',
    type: 'int',
    hotReload: true,
    min: 1,
    help: 'Most transform rules per source',
  }),
  def({
    key: 'transformMaxBytes',
    flag: 'transform-max-bytes',
    type: 'int',
    hotReload: true,
    min: 1,
    help: 'Largest transform annotation per source, in bytes',
  }),
  def({
    key: 'transformRenderTimeoutMs',
    flag: 'transform-render-timeout',
    type: 'duration',
    hotReload: true,
    min: 1,
    help: 'Longest time one template render may take',
  }),
  def({
    key: 'canaryIntervalMs',
    flag: 'canary-interval',
    type: 'duration',
    hotReload: true,
    min: 0,
    defaultText: '0 (off)',
    help: 'Time between canary rounds (e.g. 1m): a ConfigMap in the controller namespace, mirrored into the canary namespaces and bumped each round, times the pipeline end to end; 0 turns the canary off',
  }),
  def({
    key: 'canaryNamespaces',
    flag: 'canary-namespaces',
    type: 'list',
    hotReload: true,
    check: checkDnsLabel,
    help: "Namespaces the canary is mirrored into, created (and labelled as the canary's) when missing",
  }),
  def({
    key: 'canaryCleanup',
    flag: 'canary-cleanup',
    type: 'bool',
    hotReload: true,
    help: 'On shutdown (or when the canary is turned off), delete the canary ConfigMap, its mirrors and the namespaces it created',
  }),
  def({
    key: 'clusterName',
    flag: 'cluster-name',
    type: 'string',
    hotReload: false,
    check: checkDnsLabel,
    help: 'Name of this cluster, written as <prefix>/source-cluster on the mirrors it writes into other clusters (and the name `local` in <prefix>/target-clusters also means)',
  }),
  def({
    key: 'remoteClusters',
    flag: 'remote-clusters',
    type: 'bool',
    hotReload: false,
    help: 'Mirror into other clusters: watch the controller namespace for Secrets labelled <prefix>/cluster=true holding a kubeconfig (needs read access to Secrets in that namespace only)',
  }),
  def({
    key: 'clusterSecrets',
    flag: 'cluster-secrets',
    type: 'list',
    hotReload: false,
    check: checkDnsSubdomain,
    defaultText: 'every labelled Secret',
    help: 'Names of the cluster registration Secrets to read, each watched by name so RBAC can be limited to them (resourceNames)',
  }),
]);

export function settingByFlag(flag: string): Setting | undefined {
  return SETTINGS.find((s) => s.flag === flag);
}

export function settingByKey(key: keyof Config): Setting {
  const s = SETTINGS.find((x) => x.key === key);
  if (!s) throw new Error(`no setting for config key ${String(key)}`);
  return s;
}
