import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadConfig } from '../config/load-config.js';
import { ConfigError } from '../core/errors.js';
import { startSandbox } from '../sandbox/sandbox.js';
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
  --port <n>              port to listen on (default 0: any free port)
  --kubeconfig <path>     where to write the kubeconfig (default ./kubemirror-sandbox.kubeconfig)
  --seed <file|dir>       manifests to apply at start (repeatable; a directory's .yaml/.yml/.json files)
  --history-window <n>    how many changes a watch can resume from (default 1000)
  --no-controller         only the API server, no controller
  --help, -h              show this help

Every other flag goes to the controller: see 'kubemirror run --help' (the sandbox sets --leader-elect=false
and binds the metrics and probe endpoints to 127.0.0.1 on free ports unless told otherwise).
`;

interface Parsed {
  port: number;
  kubeconfig: string;
  seeds: string[];
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
        else out.seeds.push(v);
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
  return out;
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
  const sandbox = await startSandbox({
    port: parsed.port,
    ...(parsed.historyWindow ? { historyWindow: parsed.historyWindow } : {}),
  });
  const abort = new AbortController();
  let controller: { stop(): Promise<void> } | undefined;
  try {
    const kubeconfigPath = resolve(parsed.kubeconfig);
    await sandbox.writeKubeconfig(kubeconfigPath);
    const seeded = await applySeeds(sandbox, parsed.seeds);
    print(`kubemirror sandbox API server listening on ${sandbox.url}`);
    if (seeded > 0) print(`applied ${seeded} seed object(s) from ${parsed.seeds.join(', ')}`);
    print('');
    print('Point kubectl at it:');
    print(`  export KUBECONFIG=${kubeconfigPath}`);
    print('  kubectl get namespaces');
    print('  kubectl get secrets,configmaps -A -l kubemirror.io/mirror=true');
    print('  kubectl get secrets,configmaps -A -l kubemirror.io/enabled=true');
    print('');
    if (parsed.controller && deps.startController) {
      controller = await deps.startController({
        kubeconfigPath,
        argv: parsed.passThrough,
        signal: abort.signal,
      });
      print('controller running inside the sandbox (--no-controller to turn it off)');
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
    await sandbox.stop();
  }
}
