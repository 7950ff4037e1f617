import { startSandbox } from '../../src/sandbox/sandbox.js';

/** An API server the install tests write a kubeconfig for and stop afterwards: the sandbox or a real one. */
export interface InstallTarget {
  writeKubeconfig(path: string): Promise<void>;
  stop(): Promise<void>;
}

export async function sandboxTarget(): Promise<InstallTarget> {
  return startSandbox();
}
