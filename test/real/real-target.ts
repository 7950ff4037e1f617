import { writeFileSync } from 'node:fs';
import { startRealControlPlane } from '../helpers/real-harness.js';
import type { InstallTarget } from '../packaging/install-target.js';

/** A control plane of the file's own as the target of the packaging tier's install suites. */
export async function realTarget(): Promise<InstallTarget> {
  const cp = await startRealControlPlane();
  return {
    writeKubeconfig: async (path) => writeFileSync(path, cp.kubeconfigYaml, { mode: 0o600 }),
    stop: () => cp.stop(),
  };
}
