import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { NAMESPACES } from '../core/builtin-types.js';
import { classifyApiError } from '../kube/api-errors.js';
import { KubeClient, loadKubeConfig } from '../kube/kube-client.js';
import { listAll } from '../kube/list-watch.js';
import { planCommand } from './plan-command.js';
import { statusCommand } from './status-command.js';
import { formatStatusTable, namespaceInfoOf, type SourceStatusRow } from './status-report.js';

export interface PluginIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env: Record<string, string | undefined>;
}

const USAGE = `kubectl kubemirror — kubemirror's commands as a kubectl plugin

Usage:
  kubectl kubemirror status [-n NAMESPACE] [-o table|json] [kubemirror status flags]
  kubectl kubemirror plan -f FILE [-n NAMESPACE]... [kubemirror plan flags]
  kubectl kubemirror <any other kubemirror command>

kubectl's connection flags work as they do for kubectl, after the command: --kubeconfig FILE, --context NAME,
and KUBECONFIG (its files merged), else ~/.kube/config, else the in-cluster service account.
  status   coverage of every source (every namespace, or with -n NAMESPACE the sources in that namespace),
           exit 1 when one is not fully synced
  plan     the mirrors kubemirror would write for the sources in FILE into the cluster's namespaces (their labels
           and annotations as they are; a Namespace in FILE stands for the one of that name). With -n NAMESPACE...
           (plan's own flag) into those namespaces only, without asking the cluster.
Run 'kubectl kubemirror <command> --help' for the flags of a command.
`;

class PluginError extends Error {
  readonly reason = 'KubectlPlugin';
}

/** The commands this adapts; kubemirror's other commands (`cluster add`, `run`...) run unchanged. */
export const PLUGIN_COMMANDS: ReadonlySet<string | undefined> = new Set([
  'status',
  'plan',
  undefined,
  '-h',
  '--help',
  'help',
]);

/**
 * `kubectl kubemirror status|plan`: kubectl runs the executable `kubectl-kubemirror` found on PATH with the
 * arguments after `kubectl kubemirror`. The commands are kubemirror's own; this only gives kubectl's connection
 * flags the meaning a kubectl user expects (`--context`, and `-n` for status) before handing over.
 */
export async function kubectlPluginCommand(argv: string[], io: PluginIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'status') return await status(rest, io);
    if (command === 'plan') return await plan(rest, io);
  } catch (err) {
    if (!(err instanceof PluginError)) throw err;
    io.stderr(`error: ${err.message}\n`);
    return 2;
  }
  io.stdout(USAGE);
  return command === undefined ? 2 : 0;
}

/** Takes every `--name V`, `--name=V`, `-s V`, `-sV`, `-s=V` out of `args`. */
function take(args: readonly string[], name: string, short?: string): { values: string[]; rest: string[] } {
  const values: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const flag = a === `--${name}` || (short !== undefined && a === `-${short}`);
    if (flag) {
      const v = args[i + 1];
      if (v === undefined || v.startsWith('-')) throw new PluginError(`flag needs an argument: ${a}`);
      values.push(v);
      i++;
    } else if (a.startsWith(`--${name}=`)) values.push(a.slice(name.length + 3));
    else if (short !== undefined && a.startsWith(`-${short}`) && !a.startsWith('--'))
      values.push(a.slice(2).replace(/^=/, ''));
    else rest.push(a);
  }
  return { values, rest };
}

function last(values: string[], flag: string): string | undefined {
  const v = values.at(-1);
  if (v === '') throw new PluginError(`${flag} needs a value`);
  return v;
}

/** The connection kubectl would use: --kubeconfig or KUBECONFIG (merged) or ~/.kube/config, then --context. */
function kubeConfigFor(kubeconfig: string | undefined, context: string | undefined, env: PluginIo['env']) {
  let kc: ReturnType<typeof loadKubeConfig>['kc'];
  try {
    kc = loadKubeConfig({ path: kubeconfig, env, homeDir: env.HOME, mergeKubeconfigEnv: true }).kc;
  } catch (err) {
    const cause = (err as Error).cause as NodeJS.ErrnoException | undefined;
    if (kubeconfig && cause?.code === 'ENOENT')
      throw new PluginError(`cannot load kubeconfig ${kubeconfig}: no such file`);
    throw new PluginError((err as Error).message.split('\n')[0] ?? '');
  }
  if (context !== undefined) {
    if (!kc.getContextObject(context)) throw new PluginError(`context "${context}" does not exist`);
    kc.setCurrentContext(context);
  }
  return kc;
}

/**
 * `status`: kubemirror status reads --kubeconfig and KUBECONFIG itself; --context becomes a kubeconfig of that
 * context (a private temporary file, removed afterwards), -n keeps the rows of the sources in that namespace.
 */
async function status(argv: string[], io: PluginIo): Promise<number> {
  const ctx = take(argv, 'context');
  const cfg = take(ctx.rest, 'kubeconfig');
  const ns = take(cfg.rest, 'namespace', 'n');
  // -A/--all-namespaces (what status does anyway) wins over -n, as with kubectl
  const all = ns.rest.filter((a) => a !== '-A' && a !== '--all-namespaces');
  const context = last(ctx.values, '--context');
  const kubeconfig = last(cfg.values, '--kubeconfig');
  const namespace = all.length === ns.rest.length ? last(ns.values, '-n') : undefined;
  let tmp: string | undefined;
  try {
    const connection: string[] = [];
    if (context !== undefined) {
      tmp = mkdtempSync(join(tmpdir(), 'kubectl-kubemirror-'));
      const file = join(tmp, 'kubeconfig');
      writeFileSync(file, kubeConfigFor(kubeconfig, context, io.env).exportConfig(), { mode: 0o600 });
      connection.push('--kubeconfig', file);
    } else if (kubeconfig !== undefined) connection.push('--kubeconfig', kubeconfig);
    if (namespace === undefined) return await statusCommand([...connection, ...all], io);

    const out = take(all, 'output', 'o');
    const format = last(out.values, '-o') ?? 'table';
    let json = '';
    const code = await statusCommand([...connection, ...out.rest, '-o', 'json'], {
      ...io,
      stdout: (s) => {
        json += s;
      },
    });
    if (code === 2 || !json.trimStart().startsWith('[')) {
      io.stdout(json); // usage or help text
      return code;
    }
    const rows = (JSON.parse(json) as SourceStatusRow[]).filter((r) => r.source.startsWith(`${namespace}/`));
    if (format === 'json') io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
    else if (rows.length === 0) io.stdout(`No sources with mirroring enabled in namespace ${namespace}.\n`);
    else io.stdout(formatStatusTable(rows));
    return rows.every((r) => r.level === 'Full') ? 0 : 1;
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * `plan`: with plan's own -n/--namespace (or --help), plan as it is, offline. Otherwise the cluster's namespaces
 * (not those being deleted) are added to a private copy of the file as Namespace objects, after the file's own
 * documents so that their numbers in messages stay right, and messages name the user's file.
 */
async function plan(argv: string[], io: PluginIo): Promise<number> {
  const ctx = take(argv, 'context');
  const cfg = take(ctx.rest, 'kubeconfig');
  const args = cfg.rest;
  const offline =
    args.some((a) => /^(-n|--namespace)(=.*)?$|^-n./.test(a)) ||
    args.some((a) => a === '-h' || a === '--help');
  const files = take(args, 'filename', 'f');
  const file = files.values.at(-1);
  let text: string | undefined;
  try {
    text = file ? readFileSync(file, 'utf8') : undefined;
  } catch {
    // plan says why
  }
  if (offline || file === undefined || text === undefined || files.values.length !== 1)
    return planCommand(args, io);

  const kc = kubeConfigFor(last(cfg.values, '--kubeconfig'), last(ctx.values, '--context'), io.env);
  const client = new KubeClient(kc);
  let namespaces: ReturnType<typeof namespaceInfoOf>[];
  try {
    namespaces = (await listAll(client, NAMESPACES)).map(namespaceInfoOf).filter((n) => !n.terminating);
  } catch (err) {
    const e = classifyApiError(err);
    const why =
      e.code === 0 ? `cannot reach the API server at ${client.server}` : `the API server answered ${e.code}`;
    throw new PluginError(`${why}: ${e.message.split('\n')[0]} (plan -n NAMESPACE works without a cluster)`);
  } finally {
    client.close();
  }
  const inFile = new Set(
    parseAllDocuments(text).flatMap((d) => {
      const o = ('errors' in d && d.errors.length === 0 ? d.toJS() : null) as {
        kind?: unknown;
        metadata?: { name?: unknown };
      } | null;
      return o?.kind === 'Namespace' && typeof o.metadata?.name === 'string' ? [o.metadata.name] : [];
    }),
  );
  const docs = namespaces
    .filter((n) => !inFile.has(n.name))
    .map((n) =>
      stringify({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: n.name, labels: n.labels, annotations: n.annotations },
      }),
    );
  const tmp = mkdtempSync(join(tmpdir(), 'kubectl-kubemirror-'));
  try {
    const copy = join(tmp, basename(file));
    writeFileSync(copy, `${text}\n${docs.map((d) => `---\n${d}`).join('')}`, { mode: 0o600 });
    return await planCommand(['-f', copy, ...files.rest], {
      stdout: io.stdout,
      stderr: (s) => io.stderr(s.replaceAll(copy, file)),
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
