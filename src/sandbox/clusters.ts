import { writeFile } from 'node:fs/promises';
import { multiClusterKubeconfig } from './kubeconfig.js';
import { type Sandbox, type SandboxOptions, startSandbox } from './sandbox.js';
import { isDns1123Label } from './validation/field-errors.js';

/** Several independent sandboxes (own stores, faults, request accounting, port) behind one kubeconfig. */
export interface SandboxClusters {
  /** in the order given; the first is the kubeconfig's current context */
  readonly clusters: ReadonlyMap<string, Sandbox>;
  /** the named cluster; throws for a name that was not started */
  cluster(name: string): Sandbox;
  /** a cluster, a user and a context per cluster, each named after it; current-context is the first */
  kubeconfigYaml(): string;
  writeKubeconfig(path: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Every problem with a list of cluster names, for reporting all at once: each must be a DNS-1123 label
 * (apimachinery pkg/util/validation/validation.go IsDNS1123Label, via validation/field-errors.ts), as
 * kubeconfig names end up in context names and, for §8, in labels; names must be unique; at least one.
 */
export function clusterNameProblems(names: readonly string[]): string[] {
  if (names.length === 0) return ['at least one cluster name is needed'];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    if (name === '') {
      problems.push('cluster names must not be empty');
      continue;
    }
    for (const e of isDns1123Label(name)) problems.push(`cluster name "${name}": ${e}`);
    if (seen.has(name)) problems.push(`cluster name "${name}" is given more than once`);
    seen.add(name);
  }
  return problems;
}

/** The bearer token of one cluster: its own, so a credential of one cluster is refused (401) by the others. */
export function clusterToken(token: string, name: string): string {
  return `${token}-${name}`;
}

/**
 * Starts one sandbox per name, each on its own port: any free port when `opts.port` is 0 or absent, else
 * `opts.port + i` for the i-th cluster. With `opts.token`, cluster `n` needs `clusterToken(opts.token, n)`.
 * If one fails to start, the ones already started are stopped and the error is thrown.
 */
export async function startSandboxClusters(
  names: readonly string[],
  opts: SandboxOptions = {},
): Promise<SandboxClusters> {
  const problems = clusterNameProblems(names);
  if (problems.length > 0) throw new Error(`invalid cluster names: ${problems.join('; ')}`);
  const clusters = new Map<string, Sandbox>();
  const tokens = new Map<string, string>();
  const stopAll = () => Promise.all([...clusters.values()].map((s) => s.stop())).then(() => undefined);
  try {
    for (const [i, name] of names.entries()) {
      const token = opts.token ? clusterToken(opts.token, name) : undefined;
      const sandbox = await startSandbox({
        ...opts,
        port: opts.port ? opts.port + i : 0,
        ...(token ? { token } : {}),
        ...(opts.log ? { log: (line: string) => opts.log!(`[${name}] ${line}`) } : {}),
      });
      clusters.set(name, sandbox);
      if (token) tokens.set(name, token);
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  const kubeconfigYaml = () =>
    multiClusterKubeconfig(
      [...clusters].map(([name, s]) => ({
        name,
        url: s.url,
        ...(tokens.has(name) ? { token: tokens.get(name)! } : {}),
      })),
    );
  return {
    clusters,
    cluster: (name) => {
      const s = clusters.get(name);
      if (!s) throw new Error(`no sandbox cluster "${name}" (started: ${[...clusters.keys()].join(', ')})`);
      return s;
    },
    kubeconfigYaml,
    writeKubeconfig: (path) => writeFile(path, kubeconfigYaml(), { mode: 0o600 }),
    stop: stopAll,
  };
}
