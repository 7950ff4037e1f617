import { resolve } from 'node:path';
import { startSandbox } from '../sandbox/sandbox.js';
import { applySeeds } from '../sandbox/seed.js';

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
}

interface Parsed {
  port: number;
  kubeconfig: string;
  seeds: string[];
  controller: boolean;
  historyWindow?: number;
  passThrough: string[];
}

function parse(argv: string[]): Parsed | string {
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
          return `--port needs a port number (0 = any free port)`;
        out.port = v;
        break;
      }
      case '--kubeconfig': {
        const v = value();
        if (!v) return '--kubeconfig needs a file path';
        out.kubeconfig = v;
        break;
      }
      case '--seed': {
        const v = value();
        if (!v) return '--seed needs a file or directory';
        out.seeds.push(v);
        break;
      }
      case '--history-window': {
        const v = Number(value());
        if (!Number.isInteger(v) || v < 1) return '--history-window needs a positive number of changes';
        out.historyWindow = v;
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
  const parsed = parse(argv);
  if (typeof parsed === 'string') {
    process.stderr.write(`kubemirror sandbox: ${parsed}\n`);
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
    process.stderr.write(`kubemirror sandbox: ${(err as Error).message}\n`);
    return 1;
  } finally {
    abort.abort();
    await controller?.stop();
    await sandbox.stop();
  }
}
