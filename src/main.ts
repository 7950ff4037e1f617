#!/usr/bin/env node
import { clusterCommand } from './cli/cluster-command.js';
import { planCommand } from './cli/plan-command.js';
import { runCommand } from './cli/run-command.js';
import { sandboxCommand } from './cli/sandbox-command.js';
import { startController } from './cli/start-controller.js';
import { statusCommand } from './cli/status-command.js';

const USAGE = `kubemirror — mirror any namespaced Kubernetes resource into matching namespaces

Usage:
  kubemirror run [flags]        run the controller (kubeconfig: --kubeconfig, KUBECONFIG, ~/.kube/config, in-cluster)
  kubemirror sandbox [flags]    start the built-in Kubernetes-API-compatible sandbox, with the controller inside
                                (--port, --kubeconfig, --seed <file|dir>..., --no-controller, plus every run flag)
  kubemirror plan -f <file> --namespace <ns>...
                                print the mirrors the controller would write, transforms applied
  kubemirror status [flags]     coverage per source on any cluster; exit 1 when a source is not fully synced
  kubemirror cluster add NAME --context CTX
                                print the Secret that registers a remote cluster for cross-cluster mirroring

Run 'kubemirror <command> --help' for the flags of a command.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const io = {
    stdout: (s: string) => process.stdout.write(s),
    stderr: (s: string) => process.stderr.write(s),
    env: process.env,
    // the one place the terminal is looked at: logs are text lines on a terminal, JSON elsewhere
    stdoutIsTTY: process.stdout.isTTY === true,
  };
  switch (command) {
    case 'run':
      return runCommand(rest, io);
    case 'sandbox':
      return sandboxCommand(rest, {
        env: io.env,
        stderr: io.stderr,
        startController: async ({ kubeconfigPath, argv: flags }) => {
          const running = await startController({
            argv: [
              '--leader-elect=false',
              '--metrics-bind-address=127.0.0.1:0',
              '--health-probe-bind-address=127.0.0.1:0',
              ...flags,
            ],
            env: process.env,
            stdoutIsTTY: io.stdoutIsTTY,
            kubeconfigPath,
          });
          return { stop: () => running.stop() };
        },
      });
    case 'plan':
      return planCommand(rest, io);
    case 'status':
      return statusCommand(rest, io);
    case 'cluster':
      return clusterCommand(rest, io);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      io.stdout(USAGE);
      return command === undefined ? 2 : 0;
    default:
      io.stderr(`kubemirror: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`kubemirror: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
