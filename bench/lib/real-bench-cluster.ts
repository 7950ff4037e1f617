import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../src/core/types.js';
import { ApiError } from '../../src/kube/api-errors.js';
import { KubeClient, loadKubeConfig } from '../../src/kube/kube-client.js';
import { totalOf } from '../../src/sandbox/request-accounting.js';
import { type ControlPlane, startControlPlane } from '../../test/control-plane/launcher.js';
import { type BenchRequestCounts, BenchServer } from './bench-cluster.js';
import { pollUntil } from './poll.js';

const CONTROLLER_USER = 'kubemirror-bench-controller';

/** The kinds the bench stores, and where. */
const RESOURCES: Record<string, { prefix: string; plural: string; namespaced: boolean }> = {
  Namespace: { prefix: '/api/v1', plural: 'namespaces', namespaced: false },
  ConfigMap: { prefix: '/api/v1', plural: 'configmaps', namespaced: true },
  Secret: { prefix: '/api/v1', plural: 'secrets', namespaced: true },
  CustomResourceDefinition: {
    prefix: '/apis/apiextensions.k8s.io/v1',
    plural: 'customresourcedefinitions',
    namespaced: false,
  },
  MirrorPolicy: { prefix: '/apis/kubemirror.io/v1alpha1', plural: 'mirrorpolicies', namespaced: true },
};
const MARKER_USER = 'kubemirror-bench-marker';

/**
 * Only the controller's requests and the bench's markers are audited: kube-apiserver's own, the controller
 * manager's and the bench's reads and seeding stay out of the log, so a count is the controller's alone.
 */
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    users: [${CONTROLLER_USER}, ${MARKER_USER}]
  - level: None
`;

/**
 * kube-apiserver (the pinned control plane of SPEC §10, test/control-plane) as a bench server. The controller
 * authenticates as its own user (a client certificate in system:masters, so RBAC is not what is measured),
 * and its requests are counted from kube-apiserver's audit log: the server's view, as the sandbox's request
 * accounting is.
 */
export class RealBenchCluster extends BenchServer {
  readonly requests: BenchRequestCounts;

  private constructor(
    readonly cp: ControlPlane,
    readonly client: KubeClient,
    readonly kubeconfigPath: string,
    private readonly marker: KubeClient,
    private readonly audit: AuditLog,
  ) {
    super();
    const counts = async () => {
      await this.flushAudit();
      return this.audit.countsSinceMark(CONTROLLER_USER);
    };
    this.requests = {
      reset: async () => {
        await this.flushAudit();
        this.audit.mark();
      },
      counts,
      total: async (filter) => totalOf(Object.entries(await counts()), filter),
    };
  }

  get serverName(): string {
    return `kube-apiserver ${this.cp.kubernetesVersion}`;
  }

  static async start(log: (line: string) => void): Promise<RealBenchCluster> {
    const auditDir = mkdtempSync(join(tmpdir(), 'kubemirror-bench-audit-'));
    const policy = join(auditDir, 'audit-policy.yaml');
    const auditLog = join(auditDir, 'audit.log');
    writeFileSync(policy, AUDIT_POLICY);
    writeFileSync(auditLog, '');
    let cp: ControlPlane;
    try {
      cp = await startControlPlane({
        log,
        apiServerArgs: [
          `--audit-policy-file=${policy}`,
          `--audit-log-path=${auditLog}`,
          '--audit-log-format=json',
          '--audit-log-mode=blocking',
          '--audit-log-maxbackup=0',
          '--audit-log-maxsize=0',
        ],
      });
    } catch (err) {
      rmSync(auditDir, { recursive: true, force: true });
      throw err;
    }
    let clients = 0;
    const client = (yaml: string) => {
      const kc = loadKubeConfig({ path: writeKubeconfig(cp.dir, `client-${++clients}`, yaml), env: {} }).kc;
      return new KubeClient(kc);
    };
    const kubeconfigPath = writeKubeconfig(
      cp.dir,
      'controller',
      cp.kubeconfigForUser(CONTROLLER_USER, ['system:masters']),
    );
    return new RealBenchCluster(
      cp,
      client(cp.kubeconfigYaml),
      kubeconfigPath,
      client(cp.kubeconfigForUser(MARKER_USER, ['system:masters'])),
      new AuditLog(auditLog, auditDir),
    );
  }

  async apply(o: KubeObject): Promise<void> {
    const { kind, metadata } = o;
    const r = RESOURCES[kind];
    if (!r)
      throw new Error(`the real bench server applies ${Object.keys(RESOURCES).join(', ')}, not ${kind}`);
    const collection = r.namespaced
      ? `${r.prefix}/namespaces/${metadata.namespace}/${r.plural}`
      : `${r.prefix}/${r.plural}`;
    try {
      await this.client.request({
        method: 'PUT',
        path: `${collection}/${metadata.name}`,
        body: o,
        verb: 'update',
        resource: r.plural,
      });
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
      await this.client.request({
        method: 'POST',
        path: collection,
        body: o,
        verb: 'create',
        resource: r.plural,
      });
    }
  }

  async stop(): Promise<void> {
    this.client.close();
    this.marker.close();
    await this.cp.stop();
    this.audit.remove();
  }

  /**
   * Waits until the audit log holds a marker request sent now: the controller's requests that completed
   * before it are then in the log too (blocking mode writes an event before the request's goroutine ends).
   */
  private async flushAudit(): Promise<void> {
    const name = `bench-marker-${++this.markers}`;
    await this.marker
      .request({ method: 'GET', path: `/api/v1/namespaces/${name}`, verb: 'get', resource: 'namespaces' })
      .catch(() => undefined);
    await pollUntil(
      `audit event of ${name}`,
      async () => this.audit.hasMarker(name),
      (seen) => seen,
      { timeoutMs: 10_000, intervalMs: 5 },
    );
  }

  private markers = 0;
}

function writeKubeconfig(dir: string, name: string, yaml: string): string {
  const p = join(dir, `bench-${name}.kubeconfig`);
  writeFileSync(p, yaml, { mode: 0o600 });
  return p;
}

interface AuditEvent {
  auditID: string;
  stage: string;
  verb: string;
  user?: { username?: string };
  objectRef?: { resource?: string; name?: string; subresource?: string };
  requestURI: string;
}

/** kube-apiserver's JSON audit log, read from a mark onwards; one request counted once (by auditID). */
class AuditLog {
  private from = 0;

  constructor(
    private readonly path: string,
    private readonly dir: string,
  ) {}

  mark(): void {
    this.from = statSync(this.path).size;
  }

  hasMarker(name: string): boolean {
    return this.eventsSinceMark().some((e) => e.user?.username === MARKER_USER && e.objectRef?.name === name);
  }

  countsSinceMark(user: string): Record<string, number> {
    const seen = new Set<string>();
    const counts: Record<string, number> = {};
    for (const e of this.eventsSinceMark()) {
      if (e.user?.username !== user || seen.has(e.auditID)) continue;
      seen.add(e.auditID);
      const r = e.objectRef;
      // discovery (/api, /apis/...) has no objectRef; the sandbox does not count it at all
      const resource = r?.resource ? r.resource + (r.subresource ? `/${r.subresource}` : '') : 'discovery';
      const key = `${e.verb} ${resource}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private eventsSinceMark(): AuditEvent[] {
    const size = statSync(this.path).size;
    if (size <= this.from) return [];
    const buf = Buffer.alloc(size - this.from);
    const fd = openSync(this.path, 'r');
    try {
      readSync(fd, buf, 0, buf.length, this.from);
    } finally {
      closeSync(fd);
    }
    const text = buf.toString('utf8');
    // a line being written as we read is left for the next read
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    return complete
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as AuditEvent);
  }
}
