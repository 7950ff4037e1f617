import {
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';
import type { KubeObject } from '../../src/core/types.js';

/**
 * The tests' own client: @kubernetes/client-node against the sandbox over HTTP, returning plain JSON.
 * Used to act as a user would (create sources, edit mirrors) and to observe the cluster.
 */
export class TestKube {
  readonly api: KubernetesObjectApi;

  constructor(kubeconfigYaml: string) {
    const kc = new KubeConfig();
    kc.loadFromString(kubeconfigYaml);
    this.api = KubernetesObjectApi.makeApiClient(kc);
  }

  async get(apiVersion: string, kind: string, namespace: string, name: string): Promise<KubeObject | null> {
    try {
      return plain(await this.api.read({ apiVersion, kind, metadata: { name, namespace } }));
    } catch (err) {
      if ((err as { code?: number }).code === 404) return null;
      throw err;
    }
  }

  async list(
    apiVersion: string,
    kind: string,
    namespace?: string,
    labelSelector?: string,
  ): Promise<KubeObject[]> {
    const res = await this.api.list(
      apiVersion,
      kind,
      namespace,
      undefined,
      undefined,
      undefined,
      undefined,
      labelSelector,
    );
    return (plain(res) as unknown as { items: KubeObject[] }).items;
  }

  async create(obj: KubeObject): Promise<KubeObject> {
    return plain(await this.api.create(obj as unknown as KubernetesObject));
  }

  /** Create, or replace the live object's content keeping its metadata bookkeeping. */
  async apply(obj: KubeObject): Promise<KubeObject> {
    const live = await this.get(obj.apiVersion, obj.kind, obj.metadata.namespace ?? '', obj.metadata.name);
    if (!live) return this.create(obj);
    const next = {
      ...obj,
      metadata: {
        ...obj.metadata,
        resourceVersion: live.metadata.resourceVersion,
        finalizers: live.metadata.finalizers,
        annotations: {
          ...pickPrefixed(live.metadata.annotations, 'kubemirror.io/sync-status'),
          ...obj.metadata.annotations,
        },
      },
    };
    return plain(await this.api.replace(next as unknown as KubernetesObject));
  }

  async mergePatch(
    apiVersion: string,
    kind: string,
    namespace: string,
    name: string,
    patch: Record<string, unknown>,
  ) {
    const body = {
      apiVersion,
      kind,
      ...patch,
      metadata: { ...((patch.metadata as object) ?? {}), name, namespace },
    };
    return plain(
      await this.api.patch(
        body as unknown as KubernetesObject,
        undefined,
        undefined,
        'test',
        undefined,
        PatchStrategy.MergePatch,
      ),
    );
  }

  async delete(apiVersion: string, kind: string, namespace: string, name: string): Promise<void> {
    try {
      await this.api.delete({ apiVersion, kind, metadata: { name, namespace } });
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
    }
  }

  /**
   * Deletes bypassing finalizers, as a user who strips them would: finalizers cleared and the delete made with
   * that resourceVersion as precondition, so a finalizer the controller re-adds in between makes it retry.
   */
  async forceDelete(apiVersion: string, kind: string, namespace: string, name: string): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const live = await this.get(apiVersion, kind, namespace, name);
      if (!live) return;
      try {
        const cleared = await this.mergePatch(apiVersion, kind, namespace, name, {
          metadata: { finalizers: null, resourceVersion: live.metadata.resourceVersion },
        });
        await this.api.delete(
          { apiVersion, kind, metadata: { name, namespace } },
          undefined,
          undefined,
          undefined,
          undefined,
          undefined,
          {
            preconditions: { resourceVersion: cleared.metadata.resourceVersion },
          },
        );
        return;
      } catch (err) {
        const code = (err as { code?: number }).code;
        if (code === 404) return;
        // 409: the object changed in between; 429/5xx: the server asked to try again
        if (code !== 409 && code !== 429 && !(code !== undefined && code >= 500)) throw err;
      }
    }
    throw new Error(`could not force-delete ${kind} ${namespace}/${name}`);
  }

  async namespace(name: string, labels: Record<string, string> = {}): Promise<KubeObject> {
    return this.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  }
}

function pickPrefixed(annotations: Record<string, string> | undefined, key: string): Record<string, string> {
  const v = annotations?.[key];
  return v === undefined ? {} : { [key]: v };
}

function plain<T>(v: T): KubeObject {
  return JSON.parse(JSON.stringify(v)) as KubeObject;
}
