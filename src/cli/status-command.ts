import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { DEFAULT_CONFIG } from '../config/config.js';
import { CANARY_LABEL, CANARY_LABEL_VALUE } from '../controllers/canary.js';
import { kubeconfigProblem } from '../controllers/remote-clusters.js';
import { transformLimits } from '../controllers/target-policy.js';
import { NAMESPACES, SECRETS } from '../core/builtin-types.js';
import { clusterRegistry } from '../core/cluster-registry.js';
import { mirrorKeys } from '../core/keys.js';
import { comparePolicies, MIRROR_POLICIES, readMirrorPolicy } from '../core/mirror-policy.js';
import { parseResourceTypeList, resourceDenyReason } from '../core/resource-policy.js';
import type { SourceSpec } from '../core/source-spec.js';
import type { TargetPolicy } from '../core/targeting.js';
import { type KubeObject, type NamespaceInfo, type ResourceType, resourceTypeId } from '../core/types.js';
import { classifyApiError } from '../kube/api-errors.js';
import { DiscoveryManager } from '../kube/discovery.js';
import { KubeClient, loadKubeConfig } from '../kube/kube-client.js';
import { listAll } from '../kube/list-watch.js';
import { objectPath } from '../kube/writer.js';
import { checkFlags } from './flag-problems.js';
import {
  compareRows,
  coverageOf,
  formatStatusTable,
  levelOf,
  namespaceInfoOf,
  policySourceStatusRows,
  type RemoteSnapshot,
  type ReportOptions,
  type SourceStatusRow,
  sourceStatusRows,
  type TypeSnapshot,
} from './status-report.js';

export interface StatusIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env: Record<string, string | undefined>;
}

const USAGE = `Usage: kubemirror status [--kubeconfig <path>] [-o table|json] [--resource-types Kind.version[.group],...]
                        [--controller-url <url of the controller's probe port, e.g. http://localhost:8081>]
                        [--remote-clusters-namespace <controller namespace>] [--cluster-name <this cluster>]
                        [--annotation-prefix <prefix>] [--max-targets <n>] [--excluded-namespaces <globs>]
                        [--included-namespaces <globs>] [--system-namespaces <names>] [--source-namespaces <globs>]

Reads sources and mirrors from the cluster (no controller needed) and prints, per source: targets wanted,
synced (an up-to-date mirror of this source), in conflict (the name is held by another source's mirror or
an unmanaged object) and failed (missing, stale or edited), coverage, level (None/Partial/Full/Unknown) and
the last error. Pass the controller's namespace settings so the wanted targets match its view.
Kubeconfig: --kubeconfig, else $KUBECONFIG, else ~/.kube/config, else the in-cluster service account.
Resource types: --resource-types, else what the controller would watch (namespaced types that support
get/list/watch/create/update/delete, minus the deny list).
With --controller-url (e.g. after \`kubectl -n kubemirror-system port-forward deploy/kubemirror 8081\`), each
source also shows how fresh its mirrors are, from the controller's /status: the last sync time and the last
propagation (source change seen → last mirror written). When the controller cannot be reached, it says so.
Other clusters (SPEC §8) are found as the controller finds them: the Secrets labelled <prefix>/cluster=true in
the controller's namespace (--remote-clusters-namespace, else $KUBEMIRROR_LEADER_ELECTION_NAMESPACE, else
$POD_NAMESPACE, else kubemirror-system), read with the credentials they hold: targets are (cluster, namespace)
pairs, named cluster/namespace, and a per-cluster summary follows the table. A cluster that cannot be read, or
Secrets that cannot be listed, are named with why (never with credentials), and a source aimed there is
Unknown (coverage ?), not Full. --cluster-name is the controller's (else $KUBEMIRROR_CLUSTER_NAME, else the
name its mirrors in the other clusters carry, else local).
Exit code: 0 when every source is Full, 1 when any is not, 2 on bad usage or when the cluster cannot be read.
`;

/** Thrown for problems the user must fix (usage, kubeconfig, unreachable or refusing API server): exit 2. */
class StatusUsageError extends Error {
  readonly reason = 'StatusUsage';
}

/** Bad flags: the usage text is printed after the message. */
class UsageError extends StatusUsageError {}

/**
 * `kubemirror status`: per-source coverage read straight from the cluster. Never prints object data, only
 * names, counts and the controller's status lines.
 */
export async function statusCommand(argv: string[], io: StatusIo): Promise<number> {
  const args = argv[0] === 'status' ? argv.slice(1) : argv;
  let client: KubeClient | undefined;
  try {
    const opts = parseOptions(args, io.env);
    if (opts === 'help') {
      io.stdout(USAGE);
      return 0;
    }
    client = kubeClientFor(opts.kubeconfig, io.env);
    const server = client.server;
    const rows = await readRows(client, opts, (w) => io.stderr(`warning: ${w}\n`)).catch((err: unknown) => {
      if (err instanceof StatusUsageError) throw err;
      const e = classifyApiError(err);
      const what =
        e.reason === 'Forbidden'
          ? `the API server at ${server} refused access (${e.code})`
          : e.code === 0
            ? `cannot reach the API server at ${server}`
            : `the API server at ${server} answered ${e.code}`;
      throw new StatusUsageError(`${what}: ${firstLine(e.message)}`);
    });
    const fresh = opts.controllerUrl ? await freshness(opts.controllerUrl) : null;
    if (fresh && !fresh.ok) io.stderr(`warning: ${fresh.error}; propagation figures not shown\n`);
    const byKey = fresh?.ok ? fresh.bySource : new Map<string, Freshness>();
    if (opts.output === 'json')
      io.stdout(
        `${JSON.stringify(
          rows.map((r) => ({ ...r, ...byKey.get(freshKey(r)) })),
          null,
          2,
        )}\n`,
      );
    else if (rows.length === 0 && (opts.policies ?? []).length === 0)
      io.stdout('No sources with mirroring enabled.\n');
    else {
      if (rows.length > 0) io.stdout(formatStatusTable(rows));
      io.stdout(formatPolicies(opts.policies ?? [], rows));
      io.stdout(formatClusters(rows, opts.clustersUnreadable));
      if (fresh?.ok) io.stdout(formatFreshness(rows, byKey, opts.controllerUrl ?? ''));
    }
    const policiesOk = (opts.policies ?? []).every((p) => p.problems.length === 0);
    return rows.every((r) => r.level === 'Full') && policiesOk ? 0 : 1;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    io.stderr(`error: ${message}\n${err instanceof UsageError ? `\n${USAGE}` : ''}`);
    return 2;
  } finally {
    client?.close();
  }
}

interface StatusOptions {
  kubeconfig: string | undefined;
  controllerUrl: string | undefined;
  /** where registration Secrets are read (SPEC §8): the controller's namespace */
  remoteClustersNamespace: string;
  /** set once read: why the registration Secrets could not be listed */
  clustersUnreadable?: string;
  /** set once read: the MirrorPolicies (SPEC §11) and what each governs */
  policies?: PolicyReadout[];
  output: 'table' | 'json';
  resourceTypes: ReturnType<typeof parseResourceTypeList>['types'] | null;
  report: ReportOptions;
}

const list = (values: readonly string[] | undefined): string[] =>
  (values ?? [])
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');

const OPTIONS = {
  kubeconfig: { type: 'string' },
  'controller-url': { type: 'string' },
  'remote-clusters-namespace': { type: 'string' },
  'cluster-name': { type: 'string' },
  output: { type: 'string', short: 'o' },
  'resource-types': { type: 'string', multiple: true },
  'annotation-prefix': { type: 'string' },
  'max-targets': { type: 'string' },
  'excluded-namespaces': { type: 'string', multiple: true },
  'included-namespaces': { type: 'string', multiple: true },
  'system-namespaces': { type: 'string', multiple: true },
  'source-namespaces': { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The controller's defaults for its namespace (load-config.ts), outside its pod: kubemirror-system. */
const DEFAULT_CONTROLLER_NAMESPACE = 'kubemirror-system';

function parseOptions(args: string[], env: StatusIo['env']): StatusOptions | 'help' {
  const check = checkFlags(args, OPTIONS);
  if (check.help) return 'help';
  if (check.problems.length > 0) throw new UsageError(check.problems.join('\n       '));
  const { values } = parseArgs({ args, strict: true, allowPositionals: false, options: OPTIONS });
  const problems: string[] = [];
  const output = (values.output as string | undefined) ?? 'table';
  if (output !== 'table' && output !== 'json') problems.push(`-o must be table or json, not "${output}"`);
  const maxText = values['max-targets'] as string | undefined;
  const maxTargets = maxText === undefined ? DEFAULT_CONFIG.maxTargets : Number(maxText);
  if (!Number.isInteger(maxTargets) || maxTargets < 0)
    problems.push(`--max-targets needs a whole number (0 = no limit), not "${maxText}"`);
  let resourceTypes: StatusOptions['resourceTypes'] = null;
  if (values['resource-types'] !== undefined) {
    const parsed = parseResourceTypeList(values['resource-types'] as string[]);
    problems.push(...parsed.errors);
    if (parsed.types.length === 0 && parsed.errors.length === 0) problems.push('--resource-types is empty');
    resourceTypes = parsed.types;
  }
  const prefix = (values['annotation-prefix'] as string | undefined) ?? DEFAULT_CONFIG.annotationPrefix;
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(prefix))
    problems.push(`--annotation-prefix "${prefix}" is not a DNS name`);
  const controllerUrl = values['controller-url'] as string | undefined;
  if (controllerUrl !== undefined && !/^https?:\/\/[^/\s]+/.test(controllerUrl))
    problems.push(`--controller-url needs an http(s) URL, not "${controllerUrl}"`);
  // the controller's own settings (flag > env), so status looks where the controller looks
  const fromEnv = (name: string) => (env[name]?.trim() ? env[name].trim() : undefined);
  const remoteNsFlag = values['remote-clusters-namespace'] as string | undefined;
  const remoteNs =
    remoteNsFlag ??
    fromEnv('KUBEMIRROR_LEADER_ELECTION_NAMESPACE') ??
    fromEnv('POD_NAMESPACE') ??
    DEFAULT_CONTROLLER_NAMESPACE;
  if (!DNS_LABEL.test(remoteNs))
    problems.push(
      `${remoteNsFlag !== undefined ? '--remote-clusters-namespace' : 'the controller namespace'} "${remoteNs}" is not a namespace name`,
    );
  const clusterNameFlag = values['cluster-name'] as string | undefined;
  const clusterName = clusterNameFlag ?? fromEnv('KUBEMIRROR_CLUSTER_NAME');
  if (clusterName !== undefined && !DNS_LABEL.test(clusterName))
    problems.push(
      `${clusterNameFlag !== undefined ? '--cluster-name' : 'KUBEMIRROR_CLUSTER_NAME'} "${clusterName}" is not a DNS label`,
    );
  if (problems.length > 0) throw new UsageError(problems.join('\n       '));
  const system = values['system-namespaces'] as string[] | undefined;
  const policy: TargetPolicy = {
    keys: mirrorKeys(prefix),
    excludedNamespaces: list(values['excluded-namespaces'] as string[] | undefined),
    includedNamespaces: list(values['included-namespaces'] as string[] | undefined),
    systemNamespaces: system === undefined ? DEFAULT_CONFIG.systemNamespaces : list(system),
    maxTargets,
  };
  return {
    kubeconfig: values.kubeconfig as string | undefined,
    controllerUrl,
    remoteClustersNamespace: remoteNs,
    output: output as 'table' | 'json',
    resourceTypes,
    report: {
      policy,
      stripKeys: DEFAULT_CONFIG.stripKeys,
      sourceNamespaces: list(values['source-namespaces'] as string[] | undefined),
      transformLimits: transformLimits(DEFAULT_CONFIG),
      // undefined: the name this cluster's mirrors in the other clusters carry (typeRows), else local
      ...(clusterName !== undefined ? { clusterName } : {}),
    },
  };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const firstLine = (s: string): string => s.split('\n')[0] ?? '';

/** The controller's /status names a type by its plural only (`ingresses`); the rows add the group. */
const freshKey = (r: SourceStatusRow): string => `${r.resource.split('.')[0]}|${r.source}`;

/** How fresh a source's mirrors are, as the controller's /status reports it. */
interface Freshness {
  lastSyncTime?: string;
  lastPropagationSeconds?: number;
}

/** The controller's /status, keyed `resource|namespace/name`; or why it could not be read. */
async function freshness(
  url: string,
): Promise<{ ok: true; bySource: Map<string, Freshness> } | { ok: false; error: string }> {
  const at = `${url.replace(/\/+$/, '')}/status`;
  try {
    const res = await fetch(at, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return { ok: false, error: `the controller at ${url} answered ${res.status} on /status` };
    const body = (await res.json()) as {
      sources?: {
        resource?: string;
        namespace?: string;
        name?: string;
        lastSyncTime?: string;
        lastPropagationSeconds?: number;
      }[];
    };
    const bySource = new Map<string, Freshness>();
    for (const e of body.sources ?? [])
      bySource.set(`${e.resource}|${e.namespace}/${e.name}`, {
        ...(e.lastSyncTime ? { lastSyncTime: e.lastSyncTime } : {}),
        ...(typeof e.lastPropagationSeconds === 'number'
          ? { lastPropagationSeconds: e.lastPropagationSeconds }
          : {}),
      });
    return { ok: true, bySource };
  } catch (err) {
    return {
      ok: false,
      error: `cannot reach the controller at ${url} (${firstLine((err as Error).message)})`,
    };
  }
}

function formatFreshness(
  rows: readonly SourceStatusRow[],
  byKey: Map<string, Freshness>,
  url: string,
): string {
  const lines = rows.map((r) => {
    const f = byKey.get(freshKey(r));
    const prop = f?.lastPropagationSeconds !== undefined ? `${f.lastPropagationSeconds.toFixed(2)} s` : '-';
    return `  ${r.resource}  ${r.source}  last propagation ${prop}  last sync ${f?.lastSyncTime ?? '-'}`;
  });
  return `\nFreshness (from the controller at ${url}):\n${lines.join('\n')}\n`;
}

/** The controller's kubeconfig lookup, except that every file in $KUBECONFIG is merged (as kubectl does). */
function kubeClientFor(flag: string | undefined, env: StatusIo['env']): KubeClient {
  try {
    return new KubeClient(
      loadKubeConfig({ path: flag, env, homeDir: env.HOME, mergeKubeconfigEnv: true }).kc,
    );
  } catch (err) {
    const cause = (err as Error).cause as NodeJS.ErrnoException | undefined;
    if (flag && cause instanceof Error) {
      const why = cause.code === 'ENOENT' ? 'no such file' : firstLine(cause.message);
      throw new StatusUsageError(`cannot load kubeconfig ${flag}: ${why}`);
    }
    throw new StatusUsageError(firstLine((err as Error).message));
  }
}

/**
 * The types the controller would watch (or the --resource-types entries), each listed for sources and mirrors.
 * Explicit entries bypass the deny list here so that their sources are reported None with the reason.
 */
async function readRows(
  client: KubeClient,
  opts: StatusOptions,
  warn: (w: string) => void,
): Promise<SourceStatusRow[]> {
  // Namespaces first: the cheapest call that proves the server is reachable and accepts the credentials.
  const namespaces = (await listAll(client, NAMESPACES)).map(namespaceInfoOf);
  const explicit = opts.resourceTypes ?? [];
  const discovery = new DiscoveryManager({
    client,
    deny: (t, isExplicit) => (isExplicit ? null : resourceDenyReason(t, false)),
    explicit,
    intervalMs: 0,
  });
  await discovery.refresh();
  const { types, unresolved, failed } = discovery.lastReport();
  if (unresolved.length > 0) throw new StatusUsageError(unresolved.map(unresolvedMessage).join('; '));
  for (const f of failed) {
    // An unavailable aggregated API must not hide everything else (kubectl does the same), unless it was asked for.
    if (explicit.length > 0) throw new StatusUsageError(`discovery of ${f.groupVersion} failed: ${f.error}`);
    warn(`discovery of ${f.groupVersion} failed: ${f.error}`);
  }
  opts.policies = await readPolicies(client, types, opts, warn);
  const remotes = await readRemoteClusters(client, opts.remoteClustersNamespace, opts, warn);
  if (!Array.isArray(remotes)) opts.clustersUnreadable = remotes.unreadable;
  const readers = Array.isArray(remotes) ? remotes : [];
  try {
    const rows = await typeRows(client, types, explicit, opts, namespaces, readers, warn);
    // said once, only when it matters: some source may target a cluster that could not be known
    if (opts.clustersUnreadable && rows.some((r) => r.unknown?.includes(opts.clustersUnreadable ?? '')))
      warn(opts.clustersUnreadable);
    return rows;
  } finally {
    for (const r of readers) r.client?.close();
  }
}

/** One registered cluster as the report reads it: a client, or why there is none. */
interface RemoteReader {
  cluster: string;
  client: KubeClient | null;
  unavailable: string | null;
  namespaces: NamespaceInfo[];
}

/**
 * The clusters registered in `namespace` (SPEC §8), each with its namespaces read; credentials never printed.
 * The Secrets are chosen as the controller chooses them (clusterRegistry: of two naming one cluster, the older);
 * when they cannot be listed at all, why.
 */
async function readRemoteClusters(
  client: KubeClient,
  namespace: string,
  opts: StatusOptions,
  warn: (w: string) => void,
): Promise<RemoteReader[] | { unreadable: string }> {
  const { keys } = opts.report.policy;
  let secrets: KubeObject[];
  try {
    secrets = await listAll(client, SECRETS, `${keys.cluster}=true`, namespace);
  } catch (err) {
    const e = classifyApiError(err);
    const why = e.code === 0 ? 'the API server cannot be reached' : `${e.code} ${e.reason}`;
    return { unreadable: `cannot list the cluster registration Secrets in ${namespace} (${why})` };
  }
  const view = clusterRegistry(secrets, keys, opts.report.clusterName ?? DEFAULT_CONFIG.clusterName, {
    usable: kubeconfigProblem,
  });
  for (const r of view.rejected) warn(`cluster Secret ${r.secret} not used: ${r.reason}`);
  const out: RemoteReader[] = [];
  for (const c of view.clusters) {
    const kc = new KubeConfig();
    kc.loadFromString(c.kubeconfig); // kubeconfigProblem said it loads
    const remote = new KubeClient(kc);
    try {
      const namespaces = (await listAll(remote, NAMESPACES)).map(namespaceInfoOf);
      out.push({ cluster: c.name, client: remote, unavailable: null, namespaces });
    } catch (err) {
      const e = classifyApiError(err);
      const why = e.code === 0 ? 'cannot be reached' : `answered ${e.code} (${e.reason})`;
      warn(`cluster ${c.name} ${why}`);
      out.push({ cluster: c.name, client: remote, unavailable: why, namespaces: [] });
    }
  }
  return out;
}

async function typeRows(
  client: KubeClient,
  types: readonly ResourceType[],
  explicit: readonly unknown[],
  opts: StatusOptions,
  namespaces: NamespaceInfo[],
  remotes: readonly RemoteReader[],
  warn: (w: string) => void,
): Promise<SourceStatusRow[]> {
  const { keys } = opts.report.policy;
  const gathered: { snapshot: TypeSnapshot; remotes: RemoteSnapshot[] }[] = [];
  for (const t of types) {
    const resource = t.group === '' ? t.plural : `${t.plural}.${t.group}`;
    let snapshot: TypeSnapshot;
    try {
      snapshot = {
        resource,
        // the canary (controllers/canary.ts) is the controller's own probe, not a user source
        sources: await listAll(client, t, `${keys.enabled}=true,${CANARY_LABEL}!=${CANARY_LABEL_VALUE}`),
        mirrors: await listAll(client, t, `${keys.mirror}=true`),
        denied: explicit.length > 0 ? resourceDenyReason(t, true) : null,
      };
    } catch (err) {
      const e = classifyApiError(err);
      // A discovered type can vanish (CRD deleted) or be off-limits to this user: report the rest.
      if (explicit.length > 0 || (e.reason !== 'Forbidden' && e.reason !== 'NotFound')) throw err;
      warn(`skipped ${resource}: ${firstLine(e.message)}`);
      continue;
    }
    const remoteSnapshots: RemoteSnapshot[] = [];
    if (snapshot.sources.length > 0)
      for (const r of remotes) {
        let mirrors: KubeObject[] = [];
        let unavailable = r.unavailable;
        if (r.client && unavailable === null)
          try {
            mirrors = await listAll(r.client, t, `${keys.mirror}=true`);
          } catch (err) {
            const e = classifyApiError(err);
            unavailable = e.reason === 'NotFound' ? `${resource} are not served there` : `answered ${e.code}`;
          }
        remoteSnapshots.push({ cluster: r.cluster, unavailable, namespaces: r.namespaces, mirrors });
      }
    gathered.push({ snapshot, remotes: remoteSnapshots });
  }
  let clusterName = opts.report.clusterName;
  if (clusterName === undefined) {
    const named = originsOfOwnMirrors(gathered, keys);
    if (named.length > 1)
      warn(
        `the mirrors of this cluster's sources in other clusters name it ${named.join(', ')}: pass --cluster-name`,
      );
    clusterName = named.length === 1 ? named[0]! : DEFAULT_CONFIG.clusterName;
  }
  const report = {
    ...opts.report,
    clusterName,
    ...(opts.clustersUnreadable ? { clustersUnreadable: opts.clustersUnreadable } : {}),
  };
  const governedOf = (resource: string) =>
    (opts.policies ?? []).map((p) => ({
      namespace: p.namespace,
      name: p.name,
      spec: p.spec,
      objects: p.governed.get(resource) ?? [],
    }));
  return gathered
    .flatMap((g) => [
      ...sourceStatusRows(g.snapshot, namespaces, report, g.remotes),
      ...policySourceStatusRows(g.snapshot, governedOf(g.snapshot.resource), namespaces, report, g.remotes),
    ])
    .sort(compareRows);
}

/** One MirrorPolicy as the report reads it: its problems, the objects it governs by resource, those it skips. */
interface PolicyReadout {
  namespace: string;
  name: string;
  spec: SourceSpec;
  problems: string[];
  /** `plural[.group]` → the objects it governs */
  governed: Map<string, KubeObject[]>;
  /** `Kind name: why` of the selected objects it does not govern */
  skipped: string[];
  /** the controller's Ready message, as the policy's status holds it */
  ready?: string;
}

/**
 * The MirrorPolicies (SPEC §11) and the objects each selects, read from the cluster, with the controller's own
 * rules of governance: an object carrying its own `P/sync` follows its annotations; of two policies selecting one
 * object the older governs. Not served: none. Refused (RBAC): none, with a warning.
 */
async function readPolicies(
  client: KubeClient,
  types: readonly ResourceType[],
  opts: StatusOptions,
  warn: (w: string) => void,
): Promise<PolicyReadout[]> {
  const { keys } = opts.report.policy;
  let policies: KubeObject[];
  try {
    policies = await listAll(client, MIRROR_POLICIES);
  } catch (err) {
    const e = classifyApiError(err);
    if (e.reason === 'NotFound') return [];
    if (e.reason === 'Forbidden') {
      warn(`MirrorPolicies not read: ${firstLine(e.message)}`);
      return [];
    }
    throw err;
  }
  const readouts = new Map<KubeObject, PolicyReadout>();
  /** `resource|ns/name` → the object and the policies selecting it */
  const selected = new Map<string, { resource: string; object: KubeObject; by: KubeObject[] }>();
  for (const p of policies) {
    const ns = p.metadata.namespace ?? '';
    const view = readMirrorPolicy(p);
    const conditions = (p.status as { conditions?: Array<{ type?: string; message?: string }> } | undefined)
      ?.conditions;
    const ready = conditions?.find((c) => c.type === 'Ready')?.message;
    const readout: PolicyReadout = {
      namespace: ns,
      name: p.metadata.name,
      spec: view.spec,
      problems: [...view.errors],
      governed: new Map(),
      skipped: [],
      ...(ready ? { ready } : {}),
    };
    readouts.set(p, readout);
    for (const sel of view.selections) {
      const label = `${sel.kind} (${sel.apiVersion})`;
      const denied = resourceDenyReason({ group: sel.group, kind: sel.kind }, false);
      const candidates = types.filter((t) => t.group === sel.group && t.kind === sel.kind);
      const t = candidates.find((c) => c.version === sel.version) ?? candidates[0];
      if (denied || !t) {
        readout.problems.push(
          `${label}: ${denied ?? "not served by the API server, or not among the controller's resource types"}`,
        );
        continue;
      }
      const resource = t.group === '' ? t.plural : `${t.plural}.${t.group}`;
      const objects = sel.names
        ? (await Promise.all(sel.names.map((name) => getIfExists(client, t, ns, name)))).filter(
            (o): o is KubeObject => o !== null,
          )
        : await listAll(client, t, sel.labelSelector || undefined, ns);
      for (const o of objects) {
        const k = `${resource}|${ns}/${o.metadata.name}`;
        const entry = selected.get(k) ?? { resource, object: o, by: [] };
        if (!entry.by.includes(p)) entry.by.push(p);
        selected.set(k, entry);
      }
    }
  }
  for (const { resource, object, by } of selected.values()) {
    const what = `${object.kind} ${object.metadata.name}`;
    const ownSync = object.metadata.annotations?.[keys.sync] !== undefined;
    const older = [...by].sort((a, b) => comparePolicies(a.metadata, b.metadata))[0];
    for (const p of by) {
      const r = readouts.get(p);
      if (!r || r.problems.length > 0) continue;
      if (ownSync) r.skipped.push(`${what}: governed by its own ${keys.sync} annotation`);
      else if (p !== older)
        r.skipped.push(`${what}: the older MirrorPolicy ${older?.metadata.name} governs it`);
      else r.governed.set(resource, [...(r.governed.get(resource) ?? []), object]);
    }
  }
  return [...readouts.values()].sort((a, b) =>
    `${a.namespace}/${a.name}` < `${b.namespace}/${b.name}` ? -1 : 1,
  );
}

async function getIfExists(
  client: KubeClient,
  t: ResourceType,
  namespace: string,
  name: string,
): Promise<KubeObject | null> {
  try {
    const o = await client.request<KubeObject>({
      method: 'GET',
      path: objectPath(t, { namespace, name }),
      verb: 'get',
      resource: t.plural,
    });
    return {
      ...o,
      apiVersion: o.apiVersion ?? (t.group ? `${t.group}/${t.version}` : t.version),
      kind: t.kind,
    };
  } catch (err) {
    if (classifyApiError(err).reason === 'NotFound') return null;
    throw err;
  }
}

/** Per MirrorPolicy: its sources' coverage summed (from the rows), its problems, what it skips. */
function formatPolicies(policies: readonly PolicyReadout[], rows: readonly SourceStatusRow[]): string {
  if (policies.length === 0) return '';
  const lines: string[] = [];
  for (const p of policies) {
    const id = `${p.namespace}/${p.name}`;
    const mine = rows.filter((r) => r.policy === id);
    const wanted = mine.reduce((n, r) => n + r.wanted, 0);
    const synced = mine.reduce((n, r) => n + r.synced, 0);
    const fatal =
      p.problems.length > 0 || mine.some((r) => r.level === 'None' && r.wanted === 0 && r.lastError);
    const level = fatal ? 'None' : levelOf(wanted, synced, false);
    const head = fatal
      ? `  ${id}  ${level}  ${p.problems.length > 0 ? `Error: ${p.problems.join('; ')}` : 'Error: see its sources'}`
      : `  ${id}  ${mine.length} source${mine.length === 1 ? '' : 's'}  ${synced}/${wanted} targets synced (${coverageOf(wanted, synced)}%)  ${level}`;
    lines.push(clean(head));
    for (const sk of p.skipped) lines.push(clean(`    skipped: ${sk}`));
    if (p.ready) lines.push(clean(`    controller: ${p.ready}`));
  }
  return `\nMirrorPolicies:\n${lines.join('\n')}\n`;
}

/** Policy names and status lines are text anyone with write access can set: no control characters. */
const clean = (s: string) => s.replace(/\p{Cc}/gu, '?');

/**
 * The names this cluster goes by in the other clusters: the `P/source-cluster` of the mirrors there that carry
 * the uid of one of its live sources (a uid is this cluster's own). What `--cluster-name` defaults to when
 * neither it nor KUBEMIRROR_CLUSTER_NAME says.
 */
function originsOfOwnMirrors(
  gathered: readonly { snapshot: TypeSnapshot; remotes: readonly RemoteSnapshot[] }[],
  keys: StatusOptions['report']['policy']['keys'],
): string[] {
  const names = new Set<string>();
  for (const g of gathered) {
    const uids = new Map(
      g.snapshot.sources.map((s) => [`${s.metadata.namespace ?? ''}/${s.metadata.name}`, s.metadata.uid]),
    );
    for (const r of g.remotes)
      for (const m of r.mirrors) {
        const a = m.metadata.annotations ?? {};
        const origin = a[keys.sourceCluster];
        const uid = a[keys.sourceUid];
        if (origin && uid && uids.get(`${a[keys.sourceNamespace]}/${a[keys.sourceName]}`) === uid)
          names.add(origin);
      }
  }
  return [...names].sort();
}

/** Per registered cluster, the (cluster, namespace) targets wanted and synced over every source. */
function formatClusters(rows: readonly SourceStatusRow[], unreadable: string | undefined): string {
  const sum = new Map<string, { wanted: number; synced: number; unavailable?: string }>();
  for (const r of rows)
    for (const [name, c] of Object.entries(r.clusters ?? {})) {
      const s = sum.get(name) ?? { wanted: 0, synced: 0 };
      s.wanted += c.wanted;
      s.synced += c.synced;
      if (c.unavailable) s.unavailable = c.unavailable;
      sum.set(name, s);
    }
  const lines = [...sum]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, s]) =>
      s.unavailable
        ? `  ${name}  not read: ${s.unavailable}`
        : `  ${name}  ${s.synced}/${s.wanted} targets synced (${coverageOf(s.wanted, s.synced)}%)`,
    );
  if (unreadable && rows.some((r) => r.unknown?.includes(unreadable)))
    lines.unshift(`  not read: ${unreadable}`);
  if (lines.length === 0) return '';
  return `\nOther clusters:\n${lines.join('\n')}\n`;
}

/** `resource type X is not served by the API server`, or what else makes an explicit entry unusable. */
function unresolvedMessage(u: { entry: Parameters<typeof resourceTypeId>[0]; message: string }): string {
  const id = resourceTypeId(u.entry);
  const problem = u.message.startsWith(`${id}: `) ? u.message.slice(id.length + 2) : u.message;
  // DiscoveryManager says "<group/version> is not served" or "no kind <Kind> in <group/version>".
  if (/ is not served$|^no kind /.test(problem)) return `resource type ${id} is not served by the API server`;
  return `resource type ${id} ${problem}`;
}
