import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadConfig } from '../config/load-config.js';
import { ConfigError } from '../core/errors.js';
import { clusterNameProblems, startSandboxClusters } from '../sandbox/clusters.js';
import { type Sandbox, startSandbox } from '../sandbox/sandbox.js';
import { applySeeds, loadManifests } from '../sandbox/seed.js';

export interface SandboxCommandDeps {
  /** runs the controller against the sandbox; called unless --no-controller */
  startController?: (o: {
    kubeconfigPath: string;
    argv: string[];
    signal: AbortSignal;
  }) => Promise<{ stop(): Promise<void> }>;
  /** where the instructions go (default stdout) */
  print?: (line: string) => void;
  /** resolves when the command should stop (default: SIGINT or SIGTERM) */
  untilStopped?: () => Promise<void>;
  /** the environment the controller flags are validated with (main passes process.env) */
  env?: Readonly<Record<string, string | undefined>>;
  /** where usage and errors go (default stderr) */
  stderr?: (s: string) => void;
}

const USAGE = `Usage: kubemirror sandbox [flags] [controller flags]

Starts the built-in Kubernetes-API-compatible server on loopback, writes a kubeconfig for it, applies the
seed manifests and runs the controller inside, until Ctrl-C. Nothing starts and no file is written when
any flag is invalid; every problem is reported at once.

Flags:
  --port <n>              port to listen on (default 0: any free port; with --clusters, n, n+1, ...)
  --clusters <a,b,...>    several independent API servers (own objects, faults, request counts), one
                          kubeconfig context per cluster named after it; the first is the current context,
                          gets the unnamed seeds and is the one the controller runs against; the
                          others are registered in it (Secrets labelled kubemirror.io/cluster=true in
                          kubemirror-system) and the controller mirrors into them (--remote-clusters)
  --kubeconfig <path>     where to write the kubeconfig (default ./kubemirror-sandbox.kubeconfig)
  --seed <file|dir>       manifests to apply at start (repeatable; a directory's .yaml/.yml/.json files)
  --seed <name>=<path>    with --clusters: seed manifests for the named cluster (the others go to the first)
  --history-window <n>    how many changes a watch can resume from (default 1000)
  --no-controller         only the API server, no controller
  --help, -h              show this help

Every other flag goes to the controller: see 'kubemirror run --help' (the sandbox sets --leader-elect=false
and binds the metrics and probe endpoints to 127.0.0.1 on free ports unless told otherwise).
`;

interface Parsed {
  port: number;
  kubeconfig: string;
  /** every seed path, for the checks before start */
  seeds: string[];
  /** --clusters as given; undefined means the one-cluster sandbox of before */
  clusters?: string[];
  /** `--seed name=path` values, resolved against `clusters` once every flag is read */
  namedSeeds: string[];
  controller: boolean;
  historyWindow?: number;
  passThrough: string[];
}

/** Every problem at once: the sandbox's own flags, then the controller's (via the controller's loader). */
function parse(argv: string[], problems: string[]): Parsed {
  const out: Parsed = {
    port: 0,
    kubeconfig: './kubemirror-sandbox.kubeconfig',
    seeds: [],
    namedSeeds: [],
    controller: true,
    passThrough: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--port': {
        const v = Number(value());
        if (!Number.isInteger(v) || v < 0 || v > 65535)
          problems.push('--port needs a port number (0 = any free port)');
        else out.port = v;
        break;
      }
      case '--kubeconfig': {
        const v = value();
        if (!v) problems.push('--kubeconfig needs a file path');
        else out.kubeconfig = v;
        break;
      }
      case '--seed': {
        const v = value();
        if (!v) problems.push('--seed needs a file or directory');
        else out.namedSeeds.push(v);
        break;
      }
      case '--clusters': {
        const v = value();
        if (v === undefined || v.startsWith('-'))
          problems.push('--clusters needs a comma-separated list of cluster names');
        else if (out.clusters) problems.push('--clusters is given more than once');
        else {
          out.clusters = v.split(',');
          problems.push(...clusterNameProblems(out.clusters).map((p) => `--clusters: ${p}`));
        }
        break;
      }
      case '--history-window': {
        const v = Number(value());
        if (!Number.isInteger(v) || v < 1)
          problems.push('--history-window needs a positive number of changes');
        else out.historyWindow = v;
        break;
      }
      case '--no-controller':
        out.controller = false;
        break;
      default:
        out.passThrough.push(arg);
    }
  }
  out.seeds = out.namedSeeds.map((v) => seedTarget(v, out.clusters, problems).path);
  return out;
}

/**
 * Which cluster a --seed value is for: `name=path` names one of --clusters; anything else (and every value
 * without --clusters, so a path holding `=` keeps working as before) goes to the first cluster.
 */
function seedTarget(
  value: string,
  clusters: readonly string[] | undefined,
  problems: string[] = [],
): { cluster?: string; path: string } {
  const m = /^([a-z0-9][-a-z0-9]*)=(.+)$/.exec(value);
  if (!clusters || !m) return { path: value };
  if (!clusters.includes(m[1]!)) {
    problems.push(`--seed ${value}: no cluster "${m[1]}" in --clusters ${clusters.join(',')}`);
    return { path: m[2]! };
  }
  return { cluster: m[1]!, path: m[2]! };
}

/** What would fail only after the server started: controller flags and env, seed files, the kubeconfig's folder. */
async function checkBeforeStart(
  parsed: Parsed,
  env: Readonly<Record<string, string | undefined>>,
  problems: string[],
): Promise<void> {
  try {
    loadConfig({ argv: parsed.passThrough, env });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  for (const seed of parsed.seeds) {
    await loadManifests(seed).catch((err: unknown) => problems.push((err as Error).message));
  }
  const folder = dirname(resolve(parsed.kubeconfig));
  if (!statSync(folder, { throwIfNoEntry: false })?.isDirectory())
    problems.push(`--kubeconfig ${parsed.kubeconfig}: folder ${folder} does not exist`);
}

function waitForSignal(): Promise<void> {
  return new Promise((resolveWait) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolveWait();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

/**
 * `kubemirror sandbox`: starts the sandbox API server, writes its kubeconfig, applies seed manifests, runs the
 * controller inside (when wired and not --no-controller) and stops everything on SIGINT/SIGTERM (exit 0).
 * Flags it does not know go to the controller, which validates them.
 */
export async function sandboxCommand(argv: string[], deps: SandboxCommandDeps = {}): Promise<number> {
  const print = deps.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const stderr = deps.stderr ?? ((s: string) => process.stderr.write(s));
  if (argv.some((a) => a === '--help' || a === '-h')) {
    for (const line of USAGE.trimEnd().split('\n')) print(line);
    return 0;
  }
  const problems: string[] = [];
  const parsed = parse(argv, problems);
  await checkBeforeStart(parsed, deps.env ?? {}, problems);
  if (problems.length > 0) {
    stderr(`kubemirror sandbox: ${new ConfigError(problems).message}\n\n${USAGE}`);
    return 2;
  }
  const servers = await startServers(parsed);
  const abort = new AbortController();
  let controller: { stop(): Promise<void> } | undefined;
  try {
    const kubeconfigPath = resolve(parsed.kubeconfig);
    await servers.writeKubeconfig(kubeconfigPath);
    if (!parsed.clusters) {
      const sandbox = servers.list[0]!.sandbox;
      const seeded = await applySeeds(sandbox, parsed.seeds);
      print(`kubemirror sandbox API server listening on ${sandbox.url}`);
      if (seeded > 0) print(`applied ${seeded} seed object(s) from ${parsed.seeds.join(', ')}`);
    } else {
      const seeds = seedsByCluster(parsed);
      const applied: string[] = [];
      for (const { name, sandbox } of servers.list) {
        const paths = seeds.get(name) ?? [];
        const seeded = await applySeeds(sandbox, paths);
        if (seeded > 0) applied.push(`applied ${seeded} seed object(s) to ${name} from ${paths.join(', ')}`);
      }
      print('kubemirror sandbox API servers listening:');
      for (const [i, { name, sandbox }] of servers.list.entries())
        print(`  ${name}  ${sandbox.url}  (context ${name}${i === 0 ? ', current' : ''})`);
      for (const line of applied) print(line);
    }
    print('');
    print('Point kubectl at it:');
    print(`  export KUBECONFIG=${kubeconfigPath}`);
    print('  kubectl get namespaces');
    for (const { name } of parsed.clusters ? servers.list.slice(1) : [])
      print(`  kubectl --context ${name} get namespaces`);
    print('  kubectl get secrets,configmaps -A -l kubemirror.io/mirror=true');
    print('  kubectl get secrets,configmaps -A -l kubemirror.io/enabled=true');
    for (const { name } of parsed.clusters ? servers.list.slice(1) : [])
      print(
        `  kubectl --context ${name} get services,endpointslices,configmaps -A -l kubemirror.io/mirror=true`,
      );
    print('');
    if (parsed.controller && deps.startController) {
      const argv = parsed.clusters
        ? await registerClusters(servers.list, parsed.passThrough, print)
        : parsed.passThrough;
      controller = await deps.startController({ kubeconfigPath, argv, signal: abort.signal });
      print(
        parsed.clusters
          ? `controller running inside the sandbox against context ${servers.list[0]!.name} (--no-controller to turn it off)`
          : 'controller running inside the sandbox (--no-controller to turn it off)',
      );
    } else {
      print('controller not running');
    }
    print('Ctrl-C stops the sandbox.');
    await (deps.untilStopped ?? waitForSignal)();
    return 0;
  } catch (err) {
    stderr(`kubemirror sandbox: ${(err as Error).message}\n`);
    return 1;
  } finally {
    abort.abort();
    await controller?.stop();
    await servers.stop();
  }
}

/** The controller namespace of the cross-cluster demo, unless --leader-election-namespace names another. */
const DEMO_CONTROLLER_NAMESPACE = 'kubemirror-system';

/**
 * With --clusters, the controller in the first cluster mirrors into the others (SPEC §8): each other cluster
 * is registered by a Secret in the controller namespace of the first (as `kubemirror cluster add` prints it),
 * and the controller gets `--remote-clusters` and `--cluster-name <first>` unless the flags already say.
 * Returns the controller flags.
 */
async function registerClusters(
  list: Servers['list'],
  flags: readonly string[],
  print: (line: string) => void,
): Promise<string[]> {
  const [first, ...others] = list;
  if (!first) return [...flags];
  const given = (flag: string) => flags.some((a) => a === flag || a.startsWith(`${flag}=`));
  const flagValue = (flag: string) => {
    const i = flags.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
    if (i < 0) return undefined;
    const a = flags[i]!;
    return a.includes('=') ? a.slice(a.indexOf('=') + 1) : flags[i + 1];
  };
  const out = [...flags];
  if (!given('--remote-clusters')) out.push('--remote-clusters');
  if (!given('--cluster-name')) out.push('--cluster-name', first.name);
  const namespace = flagValue('--leader-election-namespace') ?? DEMO_CONTROLLER_NAMESPACE;
  if (!given('--leader-election-namespace')) out.push('--leader-election-namespace', namespace);
  await first.sandbox.applyManifest({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  for (const { name, sandbox } of others) {
    await first.sandbox.applyManifest({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: `cluster-${name}`,
        namespace,
        labels: { 'kubemirror.io/cluster': 'true' },
        annotations: { 'kubemirror.io/cluster-name': name },
      },
      data: { kubeconfig: Buffer.from(sandbox.kubeconfigYaml({ context: name })).toString('base64') },
    });
  }
  if (others.length > 0)
    print(
      `registered ${others.map((o) => o.name).join(', ')} in ${first.name} (Secrets labelled kubemirror.io/cluster=true in ${namespace})`,
    );
  return out;
}

interface Servers {
  /** in kubeconfig order: the first is the current context */
  list: { name: string; sandbox: Sandbox }[];
  writeKubeconfig(path: string): Promise<void>;
  stop(): Promise<void>;
}

/** One sandbox exactly as before without --clusters; otherwise one per cluster behind one kubeconfig. */
async function startServers(parsed: Parsed): Promise<Servers> {
  const opts = {
    port: parsed.port,
    ...(parsed.historyWindow ? { historyWindow: parsed.historyWindow } : {}),
  };
  if (!parsed.clusters) {
    const sandbox = await startSandbox(opts);
    return {
      list: [{ name: 'kubemirror-sandbox', sandbox }],
      writeKubeconfig: (path) => sandbox.writeKubeconfig(path),
      stop: () => sandbox.stop(),
    };
  }
  const clusters = await startSandboxClusters(parsed.clusters, opts);
  return {
    list: [...clusters.clusters].map(([name, sandbox]) => ({ name, sandbox })),
    writeKubeconfig: (path) => clusters.writeKubeconfig(path),
    stop: () => clusters.stop(),
  };
}

/** The seed paths per cluster, in flag order; `--seed path` goes to the first (current) cluster. */
function seedsByCluster(parsed: Parsed): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const first = parsed.clusters?.[0] ?? '';
  for (const value of parsed.namedSeeds) {
    const { cluster = first, path } = seedTarget(value, parsed.clusters);
    out.set(cluster, [...(out.get(cluster) ?? []), path]);
  }
  return out;
}
