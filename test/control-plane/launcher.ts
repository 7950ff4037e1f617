import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ControlPlaneBinaries, ensureControlPlaneBinaries } from './build.js';
import { type ControlPlanePki, createControlPlanePki, issueClientCertificate, type Pem } from './pki.js';

/**
 * A real control plane on loopback (SPEC §10): etcd without fsync, kube-apiserver with TLS, RBAC, service
 * accounts and an admin client certificate, and kube-controller-manager running the controllers a mirroring
 * controller meets. Everything lives in one temporary folder; `stop()` ends the processes and removes it, and
 * a reaper process ends them too if the process that started them dies without stopping them.
 */
export interface ControlPlane {
  /** https://127.0.0.1:PORT */
  readonly server: string;
  readonly kubernetesVersion: string;
  /** admin (system:masters) kubeconfig, and the same written to a file */
  readonly kubeconfigYaml: string;
  readonly kubeconfigPath: string;
  readonly etcdUrl: string;
  readonly dir: string;
  readonly ca: Pem;
  /** a kubeconfig authenticating with a client certificate for `user` in `groups` */
  kubeconfigForUser(user: string, groups?: string[]): string;
  /** a kubeconfig authenticating with a bearer token (e.g. a ServiceAccount's TokenRequest token) */
  kubeconfigForToken(token: string): string;
  /** stops kube-apiserver and starts it again on the same port and etcd (for restart tests) */
  restartApiServer(opts?: { downMs?: number; whileDown?: () => Promise<void> }): Promise<void>;
  /** compacts etcd at its current revision; watches from older resourceVersions then get 410 Gone */
  compactEtcd(): Promise<number>;
  stop(): Promise<void>;
}

export interface ControlPlaneOptions {
  binaries?: ControlPlaneBinaries;
  /** the kube-controller-manager controllers; default DEFAULT_CONTROLLERS */
  controllers?: string[];
  /** extra kube-apiserver flags */
  apiServerArgs?: string[];
  /**
   * Give kube-controller-manager the service-account signing key (default true). Without it the token
   * controller does not run: it is not in `--controllers`, it starts whenever a key is given (and then deletes
   * service-account-token Secrets whose account does not exist).
   */
  serviceAccountTokens?: boolean;
  log?: (line: string) => void;
  readyTimeoutMs?: number;
}

const DEFAULT_CONTROLLERS = [
  'namespace',
  'garbagecollector',
  'deployment',
  'replicaset',
  'serviceaccount',
  'serviceaccount-token',
];

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export function kubeconfigYaml(server: string, ca: string, user: { cert?: Pem; token?: string }): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const creds = user.token
    ? `    token: ${user.token}\n`
    : `    client-certificate-data: ${b64(user.cert?.cert ?? '')}\n    client-key-data: ${b64(user.cert?.key ?? '')}\n`;
  return `apiVersion: v1
kind: Config
clusters:
- name: control-plane
  cluster:
    server: ${server}
    certificate-authority-data: ${b64(ca)}
users:
- name: user
  user:
${creds}contexts:
- name: control-plane
  context:
    cluster: control-plane
    user: user
current-context: control-plane
`;
}

/** A detached watcher that kills `pids` once `parent` is gone (a crashed test worker leaves nothing behind). */
function startReaper(parent: number, pids: () => number[], dir: string): ChildProcess {
  const file = join(dir, 'reaper-pids');
  const write = () => writeFileSync(file, pids().join(' '));
  write();
  const script = `
const fs = require('fs');
const [parent, file, dir] = process.argv.slice(1);
const alive = (pid) => { try { process.kill(Number(pid), 0); return true; } catch { return false; } };
setInterval(() => {
  if (alive(parent)) return;
  let pids = [];
  try { pids = fs.readFileSync(file, 'utf8').split(' ').filter(Boolean); } catch {}
  for (const p of pids) { try { process.kill(Number(p), 'SIGKILL'); } catch {} }
  try { fs.rmSync(dir, { recursive: true, force: true }); } catch {}
  process.exit(0);
}, 500);
`;
  const child = spawn(process.execPath, ['-e', script, String(parent), file, dir], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  Object.assign(child, { refreshPids: write });
  return child;
}

interface Proc {
  name: string;
  child: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
}

function startProcess(dir: string, name: string, bin: string, args: string[]): Proc {
  const logFile = join(dir, `${name}.log`);
  const out = openSync(logFile, 'a');
  const child = spawn(bin, args, { stdio: ['ignore', out, out] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { name, child, logFile, exited };
}

function tail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

async function stopProcess(p: Proc | undefined, graceMs = 5000): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}

/** GET `url` and resolve with the status code (0 when nothing answered). */
function probe(url: string, opts: { ca?: string; cert?: Pem } = {}): Promise<{ code: number; body: string }> {
  return new Promise((resolve) => {
    const u = new URL(url);
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      { method: 'GET', ca: opts.ca, cert: opts.cert?.cert, key: opts.cert?.key, timeout: 2000 },
      (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', () => resolve({ code: 0, body: '' }));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  died: () => string | null,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = died();
    if (dead) throw new Error(`${what}: ${dead}`);
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function exitedReason(p: Proc): string | null {
  if (p.child.exitCode === null && p.child.signalCode === null) return null;
  return `${p.name} exited (${p.child.exitCode ?? p.child.signalCode}); its log ends:\n${tail(p.logFile)}`;
}

export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const log = opts.log ?? (() => {});
  const readyTimeoutMs = opts.readyTimeoutMs ?? 90_000;
  const bin = opts.binaries ?? (await ensureControlPlaneBinaries(log));
  const dir = mkdtempSync(join(tmpdir(), 'kubemirror-cp-'));
  const procs: Proc[] = [];
  const reaper = startReaper(process.pid, () => procs.map((p) => p.child.pid ?? 0).filter(Boolean), dir);
  const refreshReaper = () => (reaper as unknown as { refreshPids: () => void }).refreshPids();
  const started = Date.now();

  const pki: ControlPlanePki = createControlPlanePki();
  const file = (name: string, content: string) => {
    const p = join(dir, name);
    writeFileSync(p, content, { mode: 0o600 });
    return p;
  };
  const caFile = file('ca.crt', pki.ca.cert);
  const servingCert = file('serving.crt', pki.serving.cert);
  const servingKey = file('serving.key', pki.serving.key);
  const saPub = file('sa.pub', pki.serviceAccount.publicKey);
  const saKey = file('sa.key', pki.serviceAccount.privateKey);

  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const server = `https://127.0.0.1:${apiPort}`;
  const admin = pki.admin;
  const adminYaml = kubeconfigYaml(server, pki.ca.cert, { cert: admin });
  const kubeconfigPath = file('admin.kubeconfig', adminYaml);
  const kcmKubeconfig = file(
    'kube-controller-manager.kubeconfig',
    kubeconfigYaml(server, pki.ca.cert, { cert: pki.controllerManager }),
  );

  let etcd: Proc | undefined;
  let apiserver: Proc | undefined;
  let kcm: Proc | undefined;

  const startEtcd = async () => {
    const peer = `http://127.0.0.1:${peerPort}`;
    etcd = startProcess(dir, 'etcd', bin.etcd, [
      '--name=kubemirror-test',
      `--data-dir=${join(dir, 'etcd-data')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=kubemirror-test=${peer}`,
      '--unsafe-no-fsync',
      '--log-level=warn',
    ]);
    procs.push(etcd);
    refreshReaper();
    const e = etcd;
    await waitUntil(
      'etcd',
      async () => (await probe(`${etcdUrl}/health`)).body.includes('"health":"true"'),
      readyTimeoutMs,
      () => exitedReason(e),
    );
  };

  const apiServerArgs = [
    `--etcd-servers=${etcdUrl}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${apiPort}`,
    `--cert-dir=${join(dir, 'apiserver-certs')}`,
    `--tls-cert-file=${servingCert}`,
    `--tls-private-key-file=${servingKey}`,
    `--client-ca-file=${caFile}`,
    '--authorization-mode=Node,RBAC',
    '--service-cluster-ip-range=10.96.0.0/16',
    '--allow-privileged=true',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${saPub}`,
    `--service-account-signing-key-file=${saKey}`,
    '--endpoint-reconciler-type=none',
    // the tests compact etcd themselves (compactEtcd) when they want 410 Gone
    '--etcd-compaction-interval=0',
    '--profiling=false',
    ...(opts.apiServerArgs ?? []),
  ];
  const startApiServer = async () => {
    apiserver = startProcess(dir, 'kube-apiserver', bin.kubeApiserver, apiServerArgs);
    procs.push(apiserver);
    refreshReaper();
    const a = apiserver;
    await waitUntil(
      'kube-apiserver',
      async () => (await probe(`${server}/readyz`, { ca: pki.ca.cert, cert: admin })).code === 200,
      readyTimeoutMs,
      () => exitedReason(a),
    );
  };

  const startControllerManager = () => {
    kcm = startProcess(dir, 'kube-controller-manager', bin.kubeControllerManager, [
      `--kubeconfig=${kcmKubeconfig}`,
      `--controllers=${(opts.controllers ?? DEFAULT_CONTROLLERS).join(',')}`,
      '--leader-elect=false',
      '--secure-port=0',
      '--use-service-account-credentials=true',
      ...(opts.serviceAccountTokens === false ? [] : [`--service-account-private-key-file=${saKey}`]),
      `--root-ca-file=${caFile}`,
      '--concurrent-namespace-syncs=4',
    ]);
    procs.push(kcm);
    refreshReaper();
  };

  const stopAll = async () => {
    await stopProcess(kcm);
    await stopProcess(apiserver);
    await stopProcess(etcd);
    try {
      process.kill(reaper.pid ?? 0, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await startEtcd();
    await startApiServer();
    startControllerManager();
  } catch (err) {
    await stopAll();
    throw err;
  }
  log(`control plane ${bin.kubernetesVersion} ready at ${server} in ${Date.now() - started} ms`);

  return {
    server,
    kubernetesVersion: bin.kubernetesVersion,
    kubeconfigYaml: adminYaml,
    kubeconfigPath,
    etcdUrl,
    dir,
    ca: pki.ca,
    kubeconfigForUser: (user, groups = []) =>
      kubeconfigYaml(server, pki.ca.cert, { cert: issueClientCertificate(pki.ca, user, groups) }),
    kubeconfigForToken: (token) => kubeconfigYaml(server, pki.ca.cert, { token }),
    async restartApiServer(o = {}) {
      await stopProcess(apiserver);
      if (o.whileDown) await o.whileDown();
      if (o.downMs) await new Promise((r) => setTimeout(r, o.downMs));
      await startApiServer();
    },
    async compactEtcd() {
      const status = await etcdPost(etcdUrl, '/v3/kv/range', { key: Buffer.from('/').toString('base64') });
      const revision = Number((status as { header?: { revision?: string } }).header?.revision ?? 0);
      await etcdPost(etcdUrl, '/v3/kv/compaction', { revision: String(revision), physical: true });
      return revision;
    },
    stop: stopAll,
  };
}

/** etcd's gRPC gateway (JSON over HTTP) */
function etcdPost(base: string, path: string, body: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${base}${path}`,
      { method: 'POST', headers: { 'content-type': 'application/json' } },
      (res) => {
        let data = '';
        res.on('data', (c) => {
          data += c;
        });
        res.on('end', () =>
          (res.statusCode ?? 500) < 300
            ? resolve(JSON.parse(data || '{}'))
            : reject(new Error(`etcd ${path}: ${res.statusCode} ${data}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}
