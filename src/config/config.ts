/**
 * The one typed, immutable configuration object. Built once by the loader (flags > env > ConfigMap > default),
 * validated with every problem reported at once, then passed in. Durations are milliseconds.
 */
export interface Config {
  /** explicit `Kind.version[.group]` list; empty = discover from the API */
  resourceTypes: readonly string[];
  discoveryIntervalMs: number;
  resyncPeriodMs: number;
  leaderElect: boolean;
  maxTargets: number;
  workerThreads: number;
  rateLimitQps: number;
  rateLimitBurst: number;
  verifySourceFreshness: boolean;
  /** globs */
  excludedNamespaces: readonly string[];
  /** globs; empty = all */
  includedNamespaces: readonly string[];
  /** globs of namespaces allowed to publish sources; empty = all */
  sourceNamespaces: readonly string[];
  systemNamespaces: readonly string[];
  annotationPrefix: string;
  finalizers: boolean;
  /** label/annotation keys (globs, e.g. `argocd.argoproj.io/*`) never copied to mirrors, besides `P/*` */
  stripKeys: readonly string[];
  metricsBindAddress: string;
  healthProbeBindAddress: string;
  leaderElectionNamespace: string;
  leaderElectionId: string;
  /** `namespace/name` of a ConfigMap watched for run-time settings; '' = none */
  configMap: string;
  logLevel: string;
  /** `text` (human lines) or `json`; unset, the loader picks text when stdout is a terminal */
  logFormat: LogFormat;
  kubeconfig: string;
  transformMaxRules: number;
  transformMaxBytes: number;
  transformRenderTimeoutMs: number;
  /** SPEC §9: time between canary rounds; 0 = no canary */
  canaryIntervalMs: number;
  /** namespaces the canary ConfigMap is mirrored into (created if missing) */
  canaryNamespaces: readonly string[];
  /** on shutdown, delete the canary ConfigMap, its mirrors and the namespaces the canary created */
  canaryCleanup: boolean;
  /** SPEC §8: this cluster's name, written as `P/source-cluster` on the mirrors it writes into other clusters */
  clusterName: string;
  /** SPEC §8: watch the controller namespace for cluster registration Secrets and mirror into those clusters */
  remoteClusters: boolean;
  /** names of the registration Secrets to read, each watched by name (RBAC can name them); empty = by label */
  clusterSecrets: readonly string[];
}

export type LogFormat = 'text' | 'json';

export const DEFAULT_STRIP_KEYS: readonly string[] = [
  'kubectl.kubernetes.io/last-applied-configuration',
  'argocd.argoproj.io/*',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/managed-by',
  'helm.sh/*',
  'meta.helm.sh/*',
  'kustomize.toolkit.fluxcd.io/*',
];

export const DEFAULT_CONFIG: Config = Object.freeze({
  resourceTypes: [],
  discoveryIntervalMs: 5 * 60_000,
  resyncPeriodMs: 10 * 60_000,
  leaderElect: true,
  maxTargets: 100,
  workerThreads: 5,
  rateLimitQps: 50,
  rateLimitBurst: 100,
  verifySourceFreshness: false,
  excludedNamespaces: [],
  includedNamespaces: [],
  sourceNamespaces: [],
  systemNamespaces: ['kube-system', 'kube-public', 'kube-node-lease'],
  annotationPrefix: 'kubemirror.io',
  finalizers: true,
  stripKeys: DEFAULT_STRIP_KEYS,
  metricsBindAddress: ':8080',
  healthProbeBindAddress: ':8081',
  leaderElectionNamespace: '',
  leaderElectionId: 'kubemirror-leader',
  configMap: '',
  logLevel: 'info',
  // what a container (no terminal) gets; loadConfig makes it text when stdout is a terminal
  logFormat: 'json',
  kubeconfig: '',
  transformMaxRules: 50,
  transformMaxBytes: 10 * 1024,
  transformRenderTimeoutMs: 100,
  canaryIntervalMs: 0,
  canaryNamespaces: ['kubemirror-canary'],
  canaryCleanup: false,
  clusterName: 'local',
  remoteClusters: false,
  clusterSecrets: [],
});
