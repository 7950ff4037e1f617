import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { type ControlPlane, type ControlPlaneOptions, startControlPlane } from '../control-plane/launcher.js';
import { ControllerHarness } from './harness.js';
import { TestKube } from './kube.js';

/**
 * A control plane of the test file's own, from the binaries the `real` project's global setup built.
 *
 * Why not one control plane for the whole run: kubemirror is a cluster-wide controller, and two of them on one
 * API server act on each other's sources (a source outside one's --source-namespaces gets that one's refusal as
 * its status line), so files sharing a server would interfere the way two installs in one cluster do. A control
 * plane starts in a few seconds (etcd + kube-apiserver /readyz; the note of issue 24 has the figure), so each
 * file gets its own and the tests of a file share it, each in namespaces of its own.
 */
export function startRealControlPlane(
  opts: Omit<ControlPlaneOptions, 'binaries'> = {},
): Promise<ControlPlane> {
  return startControlPlane({ binaries: inject('controlPlaneBinaries'), ...opts });
}

/** The controller in-process against a real kube-apiserver (see ControllerHarness). */
export class RealHarness extends ControllerHarness {
  private constructor(
    readonly controlPlane: ControlPlane,
    private readonly ownsControlPlane: boolean,
    kube: TestKube,
    kubeconfigPath: string,
    tmpDir: string,
  ) {
    super(kube, kubeconfigPath, tmpDir);
  }

  /**
   * `controlPlane`: share one started by the file (stopped by the file); default a new one, stopped with the
   * harness. `controllerKubeconfig`: the identity the controller runs as (default the admin), e.g. a
   * ServiceAccount token bound to the chart's RBAC; the test's own client is always the admin.
   */
  static async start(
    opts: {
      controlPlane?: ControlPlane;
      controllerKubeconfig?: string;
      args?: string[];
      controller?: boolean;
      watchBrokenThresholdMs?: number;
    } = {},
  ): Promise<RealHarness> {
    const cp = opts.controlPlane ?? (await startRealControlPlane());
    const dir = mkdtempSync(join(tmpdir(), 'kubemirror-real-'));
    const kubeconfigPath = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, opts.controllerKubeconfig ?? cp.kubeconfigYaml, { mode: 0o600 });
    const h = new RealHarness(cp, !opts.controlPlane, new TestKube(cp.kubeconfigYaml), kubeconfigPath, dir);
    h.watchBrokenThresholdMs = opts.watchBrokenThresholdMs;
    if (opts.controller !== false) await h.startController(opts.args ?? []);
    return h;
  }

  override async stop(): Promise<void> {
    await super.stop();
    if (this.ownsControlPlane) await this.controlPlane.stop();
  }
}
