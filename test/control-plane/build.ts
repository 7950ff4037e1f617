import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The pinned control plane: etcd, kube-apiserver and kube-controller-manager built from the Go module proxy's
 * sources by the two wrapper modules beside this file (their go.mod/go.sum are the pins). The binaries go to a
 * cache outside the work tree, keyed by everything that decides their bytes, so fresh clones and CI runs on the
 * same machine reuse them: `~/.cache/kubemirror/control-plane/<key>/`, or `$KUBEMIRROR_CONTROL_PLANE_CACHE/<key>/`.
 */
export const KUBERNETES_VERSION = 'v1.37.2';
export const ETCD_VERSION = 'v3.7.3';

const here = import.meta.dirname;
/** the folder holding the wrapper modules, whether this file runs from test/ or from its compiled copy */
const moduleRoot = existsSync(join(here, 'kubernetes', 'go.mod'))
  ? here
  : resolve(here, '..', '..', '..', 'test', 'control-plane');

export interface ControlPlaneBinaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubernetesVersion: string;
  etcdVersion: string;
  dir: string;
}

export class ControlPlaneBuildError extends Error {
  constructor(
    message: string,
    readonly fix: string,
    options?: { cause?: unknown },
  ) {
    super(`${message}\n  fix: ${fix}`, options);
    this.name = 'ControlPlaneBuildError';
  }
}

function kubeLdflags(): string {
  const [major, minor] = KUBERNETES_VERSION.slice(1).split('.');
  const pkg = 'k8s.io/component-base/version';
  return [
    '-s -w',
    `-X ${pkg}.gitVersion=${KUBERNETES_VERSION}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`,
  ].join(' ');
}

function cacheRoot(): string {
  const fromEnv = process.env.KUBEMIRROR_CONTROL_PLANE_CACHE;
  if (fromEnv) return resolve(fromEnv);
  const xdg = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(xdg, 'kubemirror', 'control-plane');
}

async function goVersion(): Promise<string> {
  try {
    const { stdout } = await run('go', ['env', 'GOVERSION']);
    return stdout.trim();
  } catch (err) {
    throw new ControlPlaneBuildError(
      'Go was not found: the tests build etcd and kube-apiserver from source (SPEC §10)',
      'install Go 1.26 or newer and put `go` on PATH (https://go.dev/doc/install), then run npm test again',
      { cause: err },
    );
  }
}

/** Everything that decides the binaries' bytes: the pins, the flags and the Go toolchain. */
function cacheKey(go: string): string {
  const h = createHash('sha256');
  for (const mod of ['kubernetes', 'etcd']) {
    h.update(readFileSync(join(moduleRoot, mod, 'go.mod')));
    h.update(readFileSync(join(moduleRoot, mod, 'go.sum')));
  }
  h.update(kubeLdflags());
  h.update(go);
  return `k8s-${KUBERNETES_VERSION}_etcd-${ETCD_VERSION}_${go}_${h.digest('hex').slice(0, 12)}`;
}

function binariesIn(dir: string): ControlPlaneBinaries {
  return {
    etcd: join(dir, 'etcd'),
    kubeApiserver: join(dir, 'kube-apiserver'),
    kubeControllerManager: join(dir, 'kube-controller-manager'),
    kubernetesVersion: KUBERNETES_VERSION,
    etcdVersion: ETCD_VERSION,
    dir,
  };
}

function complete(b: ControlPlaneBinaries): boolean {
  return [b.etcd, b.kubeApiserver, b.kubeControllerManager].every(
    (f) => existsSync(f) && statSync(f).size > 0,
  );
}

/** `out` is a file for one package, a folder (ending in /) for several */
async function goBuild(module: string, out: string, pkgs: string[], ldflags: string): Promise<void> {
  const env = {
    ...process.env,
    CGO_ENABLED: '0',
    // the pins are the committed go.sum; never rewrite them, never fetch another toolchain
    GOFLAGS: '-mod=readonly -buildvcs=false',
    GOTOOLCHAIN: 'local',
  };
  try {
    await run('go', ['build', '-trimpath', '-ldflags', ldflags, '-o', out, ...pkgs], {
      cwd: join(moduleRoot, module),
      env,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    const stderr = String((err as { stderr?: string }).stderr ?? '').trim();
    const refused =
      /proxy|dial tcp|no such host|410 Gone|404 Not Found|verifying module|checksum mismatch/i.test(stderr);
    throw new ControlPlaneBuildError(
      `building ${pkgs.join(', ')} failed${refused ? ' (a module could not be fetched or verified)' : ''}:\n${stderr
        .split('\n')
        .slice(-15)
        .join('\n')}`,
      refused
        ? 'check that the Go module proxy is reachable (go env GOPROXY) and serves the pinned versions in test/control-plane/*/go.mod'
        : `see the Go error above; the wrapper module is test/control-plane/${module}`,
      { cause: err },
    );
  }
}

/**
 * The control-plane binaries, built on first use (several minutes cold, on 2 cores) and reused after. Safe
 * against concurrent callers: each builds into its own temporary folder and the first rename wins.
 */
export async function ensureControlPlaneBinaries(
  log: (line: string) => void = () => {},
): Promise<ControlPlaneBinaries> {
  const go = await goVersion();
  const root = cacheRoot();
  const dir = join(root, cacheKey(go));
  const ready = binariesIn(dir);
  if (complete(ready)) return ready;

  mkdirSync(root, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const started = Date.now();
  log(
    `building the test control plane (kube-apiserver and kube-controller-manager ${KUBERNETES_VERSION}, etcd ${ETCD_VERSION}) into ${dir}: several minutes the first time, cached after`,
  );
  try {
    await goBuild('etcd', join(tmp, 'etcd'), ['go.etcd.io/etcd/server/v3'], '-s -w');
    await goBuild(
      'kubernetes',
      `${tmp}/`,
      ['k8s.io/kubernetes/cmd/kube-apiserver', 'k8s.io/kubernetes/cmd/kube-controller-manager'],
      kubeLdflags(),
    );
    writeFileSync(
      join(tmp, 'versions.json'),
      `${JSON.stringify({ kubernetes: KUBERNETES_VERSION, etcd: ETCD_VERSION, go }, null, 2)}\n`,
    );
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // another run finished first: use its binaries
      if (!complete(ready)) throw err;
      rmSync(tmp, { recursive: true, force: true });
    }
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  log(`control plane built in ${Math.round((Date.now() - started) / 1000)} s`);
  return ready;
}
