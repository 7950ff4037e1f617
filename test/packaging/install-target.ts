import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';
import { startSandbox } from '../../src/sandbox/sandbox.js';
import { helmPath, kubectlPath } from '../helpers/tools.js';
import { repoRoot } from './render.js';

/** An API server the install tests write a kubeconfig for and stop afterwards: the sandbox or a real one. */
export interface InstallTarget {
  writeKubeconfig(path: string): Promise<void>;
  stop(): Promise<void>;
}

export async function sandboxTarget(): Promise<InstallTarget> {
  return startSandbox();
}

/** The real kubectl and helm pointed at an install target, from a temporary HOME of their own. */
export interface InstallClis {
  kubectl(...args: string[]): Promise<string>;
  helm(...args: string[]): Promise<string>;
  /** names of the `kind` objects (in `namespace`), sorted */
  names(kind: string, namespace?: string): Promise<string[]>;
  /** the temporary folder (kubeconfig, helm's caches, files a test writes) */
  readonly dir: string;
}

const exec = promisify(execFile);

/**
 * Starts the target before the suite's tests and stops it after (vitest hooks of the calling describe), with
 * kubectl and helm configured for it. The sandbox may run in this process, so the CLIs are spawned
 * asynchronously; a failure says the command and what it printed.
 */
export function useInstallTarget(start: () => Promise<InstallTarget>, tmpPrefix: string): InstallClis {
  let target: InstallTarget | undefined;
  let dir = '';
  let env: NodeJS.ProcessEnv = {};
  beforeAll(async () => {
    target = await start();
    dir = mkdtempSync(join(tmpdir(), tmpPrefix));
    const kubeconfig = join(dir, 'kubeconfig');
    await target.writeKubeconfig(kubeconfig);
    env = {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      KUBECONFIG: kubeconfig,
      HELM_CACHE_HOME: join(dir, 'helm-cache'),
      HELM_CONFIG_HOME: join(dir, 'helm-config'),
      HELM_DATA_HOME: join(dir, 'helm-data'),
    };
  });
  afterAll(async () => {
    await target?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const cli = async (bin: string, args: string[]): Promise<string> => {
    try {
      const { stdout } = await exec(bin, args, { cwd: repoRoot, env, maxBuffer: 32 * 1024 * 1024 });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string; message: string };
      throw new Error(`${bin} ${args.join(' ')} failed: ${e.stderr || e.stdout || e.message}`);
    }
  };
  const kubectl = (...args: string[]) => cli(kubectlPath(), args);
  return {
    kubectl,
    helm: (...args: string[]) => cli(helmPath(), args),
    async names(kind, namespace) {
      const args = ['get', kind, '-o', 'jsonpath={.items[*].metadata.name}'];
      if (namespace) args.push('-n', namespace);
      return (await kubectl(...args)).split(' ').filter(Boolean).sort();
    },
    get dir() {
      return dir;
    },
  };
}
