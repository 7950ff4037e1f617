import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../src/core/types.js';
import { KubeClient, loadKubeConfig } from '../../src/kube/kube-client.js';
import { runLimited } from '../../src/runtime/run-limited.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/sandbox.js';

export const PREFIX = 'kubemirror.io';
const CM_BASE = '/api/v1/namespaces';

/** The controller's requests as the server saw them, keyed `${verb} ${resource}` (audit verbs). */
export interface BenchRequestCounts {
  reset(): Promise<void>;
  counts(): Promise<Record<string, number>>;
  total(filter?: { verbs?: string[]; resources?: string[] }): Promise<number>;
}

/**
 * The API server a bench scenario runs against: the sandbox in this process (BenchCluster) or kube-apiserver
 * on loopback (RealBenchCluster). `kubeconfigPath` is the controller's; `client` the bench's own; `apply`
 * stores an object without it being counted as the controller's request.
 */
export abstract class BenchServer {
  abstract readonly serverName: string;
  abstract readonly kubeconfigPath: string;
  abstract readonly client: KubeClient;
  abstract readonly requests: BenchRequestCounts;
  /** creates or replaces (no resourceVersion: unconditionally) a Namespace or ConfigMap */
  abstract apply(o: KubeObject): Promise<void>;
  abstract stop(): Promise<void>;

  /** Namespaces `<prefix>000`… (zero-padded to 3), plus `src`, where the sources live. */
  async seedNamespaces(prefix: string, n: number): Promise<string[]> {
    const names = Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);
    await runLimited(['src', ...names], 16, (name) =>
      this.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }),
    );
    return names;
  }

  /** A ConfigMap source in `src` mirrored to `targets` (a target-namespaces annotation), ~1 KiB of data. */
  applySource(name: string, targets: string, version: string): Promise<void> {
    return this.apply(sourceConfigMap(name, targets, version));
  }

  /**
   * Sets `data.version` of live sources, unconditionally, keeping everything else the controller wrote
   * (finalizer, sync-status): the caller reads the live objects first, before it resets the counts.
   */
  async changeSources(live: KubeObject[], version: string): Promise<void> {
    for (const o of live) {
      const { resourceVersion: _rv, ...metadata } = o.metadata;
      await this.apply({ ...o, metadata, data: { ...(o.data as object), version } });
    }
  }

  getConfigMap(ns: string, name: string): Promise<KubeObject> {
    return this.client.request<KubeObject>({
      method: 'GET',
      path: `${CM_BASE}/${ns}/configmaps/${name}`,
      verb: 'get',
      resource: 'configmaps',
    });
  }

  async listConfigMaps(labelSelector?: string): Promise<KubeObject[]> {
    const body = await this.client.request<{ items: KubeObject[] }>({
      method: 'GET',
      path: '/api/v1/configmaps',
      query: { labelSelector },
      verb: 'list',
      resource: 'configmaps',
    });
    // items of a list come without apiVersion/kind, as from a real API server; the bench re-applies them
    return body.items.map((o) => ({ ...o, apiVersion: 'v1', kind: 'ConfigMap' }));
  }

  /** The mirrors (label `P/mirror=true`) of source `name`, from one list. */
  async mirrorsOf(name: string): Promise<KubeObject[]> {
    return (await this.listConfigMaps(`${PREFIX}/mirror=true`)).filter(
      (o) => o.metadata.annotations?.[`${PREFIX}/source-name`] === name,
    );
  }
}

/**
 * The sandbox API server in this process, its kubeconfig on disk and a client for the bench's own requests.
 * Seeding goes through `applyManifest` (in-process, not counted as API requests), so every request counted
 * is the controller's as long as the bench reads through `client` only outside a counted window.
 */
export class BenchCluster extends BenchServer {
  readonly serverName = 'sandbox';
  readonly requests: BenchRequestCounts;

  private constructor(
    readonly sandbox: Sandbox,
    readonly client: KubeClient,
    readonly kubeconfigPath: string,
    private readonly dir: string,
  ) {
    super();
    const r = sandbox.requests;
    this.requests = {
      reset: async () => r.reset(),
      counts: async () => r.counts(),
      total: async (filter) => r.total(filter),
    };
  }

  static async start(): Promise<BenchCluster> {
    const sandbox = await startSandbox({ historyWindow: 5000 });
    const dir = mkdtempSync(join(tmpdir(), 'kubemirror-bench-'));
    const kubeconfigPath = join(dir, 'kubeconfig');
    await sandbox.writeKubeconfig(kubeconfigPath);
    const { kc } = loadKubeConfig({ path: kubeconfigPath, env: {} });
    return new BenchCluster(sandbox, new KubeClient(kc), kubeconfigPath, dir);
  }

  async apply(o: KubeObject): Promise<void> {
    await this.sandbox.applyManifest(o);
  }

  async stop(): Promise<void> {
    this.client.close();
    await this.sandbox.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
export function sourceConfigMap(name: string, targets: string, version: string): KubeObject {
  const data: Record<string, string> = { version };
  // ~1 KiB of configuration, like a typical app settings ConfigMap.
  for (let i = 0; i < 10; i++) data[`setting-${i}`] = `value-${i}-`.padEnd(96, String(i));
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace: 'src',
      labels: { [`${PREFIX}/enabled`]: 'true', app: 'bench', tier: 'config' },
      annotations: {
        [`${PREFIX}/sync`]: 'true',
        [`${PREFIX}/target-namespaces`]: targets,
        'example.com/owner': 'platform-team',
      },
    },
    data,
  };
}
