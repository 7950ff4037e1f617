import type { KubeObject } from '../../src/core/types.js';
import type { KubeClient } from '../../src/kube/kube-client.js';

/**
 * A plain loop of PUTs (ConfigMaps) through the same KubeClient the controller uses, `concurrency` in flight.
 * Each PUT carries the object's last resourceVersion, like the controller's; `objects` is updated in place
 * with the server's answers so the next round starts from fresh resourceVersions. Returns milliseconds.
 */
export async function rawPuts(
  client: KubeClient,
  objects: KubeObject[],
  version: string,
  concurrency: number,
): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < objects.length) {
      const i = next++;
      const o = objects[i]!;
      objects[i] = await client.request<KubeObject>({
        method: 'PUT',
        path: `/api/v1/namespaces/${o.metadata.namespace}/configmaps/${o.metadata.name}`,
        query: { fieldManager: 'bench' },
        body: { ...o, data: { ...(o.data as object), version } },
        verb: 'update',
        resource: 'configmaps',
      });
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, objects.length) }, worker));
  return performance.now() - t0;
}
