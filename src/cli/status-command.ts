import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  HttpMethod,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  type ResponseContext,
} from '@kubernetes/client-node';
import { DEFAULT_CONFIG } from '../config/config.js';
import { mirrorKeys } from '../core/keys.js';
import { parseResourceTypeList, resourceDenyReason } from '../core/resource-policy.js';
import type { TargetPolicy } from '../core/targeting.js';
import { DEFAULT_TRANSFORM_LIMITS } from '../core/transform/index.js';
import { type KubeObject, type ResourceType, resourceTypeId } from '../core/types.js';
import { classifyApiError } from '../kube/api-errors.js';
import {
  compareRows,
  formatStatusTable,
  namespaceInfoOf,
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
                        [--annotation-prefix <prefix>] [--max-targets <n>] [--excluded-namespaces <globs>]
                        [--included-namespaces <globs>] [--system-namespaces <names>] [--source-namespaces <globs>]

Reads sources and mirrors from the cluster (no controller needed) and prints, per source: targets wanted,
synced (an up-to-date mirror of this source), in conflict (the name is held by another source's mirror or
an unmanaged object) and failed (missing, stale or edited), coverage, level (None/Partial/Full) and the
last error. Pass the controller's namespace settings so the wanted targets match its view.
Kubeconfig: --kubeconfig, else $KUBECONFIG, else ~/.kube/config, else the in-cluster service account.
Resource types: --resource-types, else every namespaced type that can be listed, minus the deny list.
Exit code: 0 when every source is Full, 1 when any is not, 2 on bad usage or when the cluster cannot be read.
`;

/** Thrown for problems the user must fix (usage, kubeconfig, unreachable or refusing API server): exit 2. */
class StatusUsageError extends Error {
  readonly reason = 'StatusUsage';
}

/** Bad flags: the usage text is printed after the message. */
class UsageError extends StatusUsageError {}

const RAW = 'raw-json';

/**
 * The object API with its request pipeline (auth, TLS, middleware), returning JSON as the server sent it:
 * client-node's model classes would turn timestamps into Dates and rename fields, which changes hashes.
 */
class RawApi extends KubernetesObjectApi {
  async getJson<T>(path: string, query: Record<string, string> = {}): Promise<T> {
    const ctx = this.configuration.baseServer.makeRequestContext(path, HttpMethod.GET);
    ctx.setHeaderParam('Accept', 'application/json');
    for (const [k, v] of Object.entries(query)) ctx.setQueryParam(k, v);
    return (await this.requestPromise(ctx, RAW)) as unknown as T;
  }

  groupVersionPath(apiVersion: string): string {
    return this.apiVersionPath(apiVersion);
  }

  protected override async processResponse<T extends KubernetesObject>(
    response: ResponseContext,
    type?: string,
  ): Promise<T> {
    if (type !== RAW || response.httpStatusCode < 200 || response.httpStatusCode > 299)
      return super.processResponse(response, type);
    return JSON.parse(await response.body.text()) as T;
  }
}

interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
  verbs?: string[];
}

type Listed = ResourceType & { explicit: boolean };

/**
 * `kubemirror status`: per-source coverage read straight from the cluster. Never prints object data, only
 * names, counts and the controller's status lines.
 */
export async function statusCommand(argv: string[], io: StatusIo): Promise<number> {
  const args = argv[0] === 'status' ? argv.slice(1) : argv;
  try {
    const opts = parseOptions(args);
    if (opts === 'help') {
      io.stdout(USAGE);
      return 0;
    }
    const kc = loadKubeConfig(opts.kubeconfig, io.env);
    const api = kc.makeApiClient(RawApi);
    const server = kc.getCurrentCluster()?.server ?? '(unknown server)';
    const rows = await readRows(api, opts, (w) => io.stderr(`warning: ${w}\n`)).catch((err: unknown) => {
      if (err instanceof StatusUsageError) throw err;
      const e = classifyApiError(err);
      const what =
        e.reason === 'Forbidden'
          ? `the API server at ${server} refused access (${e.code})`
          : e.code === 0
            ? `cannot reach the API server at ${server}`
            : `the API server at ${server} answered ${e.code}`;
      throw new StatusUsageError(`${what}: ${e.message}`);
    });
    if (opts.output === 'json') io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
    else if (rows.length === 0) io.stdout('No sources with mirroring enabled.\n');
    else io.stdout(formatStatusTable(rows));
    return rows.every((r) => r.level === 'Full') ? 0 : 1;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    io.stderr(`error: ${message}\n${err instanceof UsageError ? `\n${USAGE}` : ''}`);
    return 2;
  }
}

interface StatusOptions {
  kubeconfig: string | undefined;
  output: 'table' | 'json';
  resourceTypes: ReturnType<typeof parseResourceTypeList>['types'] | null;
  report: ReportOptions;
}

const list = (values: readonly string[] | undefined): string[] =>
  (values ?? [])
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');

function parseOptions(args: string[]): StatusOptions | 'help' {
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        kubeconfig: { type: 'string' },
        output: { type: 'string', short: 'o' },
        'resource-types': { type: 'string', multiple: true },
        'annotation-prefix': { type: 'string' },
        'max-targets': { type: 'string' },
        'excluded-namespaces': { type: 'string', multiple: true },
        'included-namespaces': { type: 'string', multiple: true },
        'system-namespaces': { type: 'string', multiple: true },
        'source-namespaces': { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
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
    output: output as 'table' | 'json',
    resourceTypes,
    report: {
      policy,
      stripKeys: DEFAULT_CONFIG.stripKeys,
      sourceNamespaces: list(values['source-namespaces'] as string[] | undefined),
      transformLimits: {
        ...DEFAULT_TRANSFORM_LIMITS,
        maxRules: DEFAULT_CONFIG.transformMaxRules,
        maxBytes: DEFAULT_CONFIG.transformMaxBytes,
        renderTimeoutMs: DEFAULT_CONFIG.transformRenderTimeoutMs,
      },
    },
  };
}

/** --kubeconfig, else every file in $KUBECONFIG (the first one's context wins), else ~/.kube/config, else in-cluster. */
function loadKubeConfig(flag: string | undefined, env: StatusIo['env']): KubeConfig {
  const kc = new KubeConfig();
  const load = (target: KubeConfig, path: string) => {
    try {
      target.loadFromFile(path);
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
      throw new StatusUsageError(`cannot load kubeconfig ${path}: ${why.split('\n')[0]}`);
    }
  };
  const fromEnv = (env.KUBECONFIG ?? '').split(delimiter).filter((p) => p !== '');
  const home = join(env.HOME ?? homedir(), '.kube', 'config');
  if (flag) load(kc, flag);
  else if (fromEnv.length > 0) {
    const [first, ...rest] = fromEnv.filter((p) => existsSync(p));
    if (!first) throw new StatusUsageError(`none of the KUBECONFIG files exist: ${fromEnv.join(delimiter)}`);
    load(kc, first);
    for (const path of rest) {
      const other = new KubeConfig();
      load(other, path);
      kc.mergeConfig(other, true);
    }
  } else if (existsSync(home)) load(kc, home);
  else if (env.KUBERNETES_SERVICE_HOST && existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token'))
    kc.loadFromCluster();
  else
    throw new StatusUsageError('no kubeconfig: pass --kubeconfig, set KUBECONFIG or create ~/.kube/config');
  if (!kc.getCurrentCluster())
    throw new StatusUsageError(`kubeconfig has no cluster for context "${kc.getCurrentContext()}"`);
  return kc;
}

async function readRows(
  api: RawApi,
  opts: StatusOptions,
  warn: (w: string) => void,
): Promise<SourceStatusRow[]> {
  const types = opts.resourceTypes
    ? await explicitTypes(api, opts.resourceTypes)
    : await discoverTypes(api, warn);
  const nsList = await listAll(api, '/api/v1/namespaces');
  const namespaces = nsList.map(namespaceInfoOf);
  const { keys } = opts.report.policy;
  const rows: SourceStatusRow[] = [];
  for (const t of types) {
    const path = `${api.groupVersionPath(t.group === '' ? t.version : `${t.group}/${t.version}`)}/${t.plural}`;
    const resource = t.group === '' ? t.plural : `${t.plural}.${t.group}`;
    let snapshot: TypeSnapshot;
    try {
      snapshot = {
        resource,
        sources: await listAll(api, path, `${keys.enabled}=true`),
        mirrors: await listAll(api, path, `${keys.mirror}=true`),
        denied: resourceDenyReason(t, t.explicit),
      };
    } catch (err) {
      const e = classifyApiError(err);
      // A discovered type can vanish (CRD deleted) or be off-limits to this user: report the rest.
      if (t.explicit || (e.reason !== 'Forbidden' && e.reason !== 'NotFound')) throw err;
      warn(`skipped ${resource}: ${e.message}`);
      continue;
    }
    rows.push(...sourceStatusRows(snapshot, namespaces, opts.report));
  }
  return rows.sort(compareRows);
}

async function listAll(api: RawApi, path: string, labelSelector?: string): Promise<KubeObject[]> {
  const items: KubeObject[] = [];
  let token: string | undefined;
  do {
    const query: Record<string, string> = { limit: '500' };
    if (labelSelector) query.labelSelector = labelSelector;
    if (token) query.continue = token;
    const page = await api.getJson<{ items?: KubeObject[]; metadata?: { continue?: string } }>(path, query);
    items.push(...(page.items ?? []));
    token = page.metadata?.continue || undefined;
  } while (token);
  return items;
}

async function resourcesOf(api: RawApi, apiVersion: string): Promise<ApiResource[]> {
  const res = await api.getJson<{ resources?: ApiResource[] }>(api.groupVersionPath(apiVersion));
  return (res.resources ?? []).filter((r) => !r.name.includes('/'));
}

async function explicitTypes(
  api: RawApi,
  refs: NonNullable<StatusOptions['resourceTypes']>,
): Promise<Listed[]> {
  const out: Listed[] = [];
  for (const ref of refs) {
    const apiVersion = ref.group === '' ? ref.version : `${ref.group}/${ref.version}`;
    const served = await resourcesOf(api, apiVersion).catch((err: unknown) => {
      if (classifyApiError(err).reason === 'NotFound') return [];
      throw err;
    });
    const r = served.find((s) => s.kind === ref.kind);
    if (!r)
      throw new StatusUsageError(`resource type ${resourceTypeId(ref)} is not served by the API server`);
    if (!r.namespaced)
      throw new StatusUsageError(`resource type ${resourceTypeId(ref)} is cluster-scoped and never mirrored`);
    out.push({ ...ref, plural: r.name, namespaced: true, explicit: true });
  }
  return out;
}

/** The preferred version of every group; namespaced resources that can be listed, minus the deny list. */
async function discoverTypes(api: RawApi, warn: (w: string) => void): Promise<Listed[]> {
  const groups = await api.getJson<{
    groups?: Array<{ name: string; preferredVersion?: { groupVersion: string } }>;
  }>('/apis');
  const versions = ['v1', ...(groups.groups ?? []).flatMap((g) => g.preferredVersion?.groupVersion ?? [])];
  const out: Listed[] = [];
  for (const apiVersion of versions) {
    let resources: ApiResource[];
    try {
      resources = await resourcesOf(api, apiVersion);
    } catch (err) {
      if (apiVersion === 'v1') throw err;
      // An unavailable aggregated API must not hide everything else (kubectl does the same).
      warn(`discovery of ${apiVersion} failed: ${classifyApiError(err).message}`);
      continue;
    }
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    for (const r of resources) {
      const t = { group: group!, version: version!, kind: r.kind, plural: r.name, namespaced: r.namespaced };
      if (!r.namespaced || !(r.verbs ?? []).includes('list') || resourceDenyReason(t, false)) continue;
      out.push({ ...t, explicit: false });
    }
  }
  return out;
}
