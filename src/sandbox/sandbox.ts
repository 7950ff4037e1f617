import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeObject } from '../core/types.js';
import { ApiError, apiErrors } from './api-error.js';
import { CrdController } from './crd-controller.js';
import { FaultState, type SandboxFaults } from './faults.js';
import { GarbageCollector } from './garbage-collector.js';
import { isObject } from './json-patches.js';
import { sandboxKubeconfig } from './kubeconfig.js';
import { NamespaceLifecycle } from './namespace-lifecycle.js';
import { ObjectStore } from './object-store.js';
import { RequestAccounting, type RequestCounts } from './request-accounting.js';
import { createRouter } from './request-router.js';
import { ResourceRegistry } from './resource-registry.js';
import { ResourceService } from './resource-service.js';
import { TestDoubles } from './test-doubles.js';
import { WatchHub } from './watch-stream.js';

export interface SandboxOptions {
  /** 0 (default) picks a free port */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** how many changes watches can be resumed across (default 1000; small in tests to force 410) */
  historyWindow?: number;
  /** when set, every request needs `Authorization: Bearer <token>` (401 otherwise) */
  token?: string;
  /** interval of BOOKMARK events on watches that allow them (default 5000 ms) */
  bookmarkIntervalMs?: number;
  /** one line per request */
  log?: (line: string) => void;
}

export interface Sandbox {
  readonly url: string;
  readonly port: number;
  kubeconfigYaml(opts?: { context?: string }): string;
  writeKubeconfig(path: string): Promise<void>;
  readonly faults: SandboxFaults;
  readonly requests: RequestCounts;
  /** create-or-update in-process (seeding), through the same validation as HTTP */
  applyManifest(obj: object): Promise<void>;
  stop(): Promise<void>;
}

const INITIAL_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** Starts an in-memory Kubernetes API server on loopback. Resolves once it listens. */
export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const registry = ResourceRegistry.withBuiltins();
  const store = new ObjectStore(opts.historyWindow ?? 1000);
  const hub = new WatchHub();
  const faults = new FaultState();
  const accounting = new RequestAccounting();
  const now = () => new Date();
  let lifecycle: NamespaceLifecycle | undefined;
  let crds: CrdController | undefined;
  const doubles = new TestDoubles(store, registry, () => service);
  const service: ResourceService = new ResourceService(
    store,
    {
      namespace: (name) => store.get('/namespaces', undefined, name),
      namespaceTerminating: (name) => lifecycle?.schedule(name),
      crdWritten: (crd) => crds?.written(crd),
      crdDeleting: (crd) => crds?.deleting(crd),
      admit: (def, obj, operation) => doubles.admit(def, obj, operation),
    },
    now,
  );
  crds = new CrdController(
    registry,
    store,
    (def, obj) => service.remove(def, obj),
    (key) => hub.close(key),
  );
  lifecycle = new NamespaceLifecycle(store, registry, service);
  lifecycle.start();
  const gc = new GarbageCollector(store, registry, service, now);
  gc.start();
  const nsDef = registry.byStorageKey('/namespaces')!;
  for (const name of INITIAL_NAMESPACES) service.create(nsDef, undefined, { metadata: { name } });

  let address = '';
  const server: Server = createServer(
    createRouter({
      store,
      service,
      hub,
      registry,
      faults,
      accounting,
      now,
      token: opts.token,
      bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 5000,
      serverAddress: () => address,
      log: opts.log,
    }),
  );
  // kube-apiserver keeps an idle connection 90 s (secure_serving.go IdleTimeout, "matches http.DefaultTransport
  // keep-alive timeout"); Node's default of 5 s would reset clients reusing a connection after a pause
  server.keepAliveTimeout = 90_000;
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  address = `${host}:${port}`;
  const url = `http://${address}`;

  const applyManifest = async (raw: object): Promise<void> => {
    if (!isObject(raw)) throw apiErrors.badRequest('manifest must be an object');
    const obj = raw as unknown as KubeObject;
    const [group, version] = obj.apiVersion?.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
    const def = registry.findByKind(group ?? '', version ?? '', obj.kind);
    if (!def) throw apiErrors.badRequest(`no matches for kind "${obj.kind}" in version "${obj.apiVersion}"`);
    const ns = def.namespaced ? (obj.metadata?.namespace ?? 'default') : undefined;
    try {
      service.create(def, ns, obj);
    } catch (err) {
      if (!(err instanceof ApiError) || err.reason !== 'AlreadyExists') throw err;
      const { resourceVersion: _rv, ...metadata } = obj.metadata;
      service.update(def, ns, obj.metadata.name, { ...obj, metadata });
    }
  };

  return {
    url,
    port,
    kubeconfigYaml: (o) => sandboxKubeconfig(url, { ...o, ...(opts.token ? { token: opts.token } : {}) }),
    writeKubeconfig: (path) =>
      writeFile(path, sandboxKubeconfig(url, opts.token ? { token: opts.token } : {}), { mode: 0o600 }),
    faults: {
      dropWatches: () => hub.close(),
      compactHistory: () => store.compact(),
      failRequests: (rule) => faults.addRule(rule),
      setLatency: (ms) => {
        faults.latencyMs = ms;
      },
      refuseWatches: (on) => {
        faults.watchesRefused = on;
      },
      admission: (rule) => doubles.addAdmission(rule),
      fieldOwner: (rule) => doubles.addFieldOwner(rule),
      clear: () => {
        faults.clear();
        doubles.clear();
      },
    },
    requests: accounting,
    applyManifest,
    stop: async () => {
      lifecycle?.stop();
      gc.stop();
      hub.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
