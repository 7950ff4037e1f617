import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ControlPlaneBuildError } from './build.js';
import { startControlPlane } from './launcher.js';

/**
 * `npm run control-plane`: the tests' real control plane for a person. Builds it on first use, starts etcd,
 * kube-apiserver and kube-controller-manager on loopback, writes an admin kubeconfig and waits for Ctrl-C.
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--kubeconfig');
  const kubeconfig = resolve((at >= 0 ? args[at + 1] : undefined) ?? './kubemirror-control-plane.kubeconfig');
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const cp = await startControlPlane({ log: say });
  writeFileSync(kubeconfig, cp.kubeconfigYaml, { mode: 0o600 });
  say(`kube-apiserver ${cp.kubernetesVersion} at ${cp.server} (etcd ${cp.etcdUrl}); logs in ${cp.dir}`);
  say(`kubeconfig written to ${kubeconfig}; try:`);
  say(`  kubectl --kubeconfig ${kubeconfig} get namespaces`);
  say(`  node dist/main.js run --kubeconfig ${kubeconfig} --leader-elect=false`);
  say('Ctrl-C stops etcd, kube-apiserver and kube-controller-manager.');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping the control plane`);
    await cp.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(
    `${err instanceof ControlPlaneBuildError ? err.message : String((err as Error)?.stack ?? err)}\n`,
  );
  process.exit(1);
});
