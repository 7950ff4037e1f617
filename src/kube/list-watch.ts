import { type KubeConfig, Watch } from '@kubernetes/client-node';
import type { KubeObject, ResourceType } from '../core/types.js';
import { apiVersionOf } from '../core/types.js';
import type { ListPage, ListWatch, WatchHandle } from '../runtime/list-watch.js';
import { apiErrorFromWatchStatus, classifyApiError } from './api-errors.js';
import type { KubeClient } from './kube-client.js';
import { PageSizer } from './page-sizer.js';

/**
 * REST path of a resource collection: `/api/v1[/namespaces/{ns}]/{plural}` for the core group,
 * `/apis/{group}/{version}[/namespaces/{ns}]/{plural}` otherwise. No namespace = all namespaces.
 */
export function collectionPath(t: ResourceType, namespace?: string): string {
  const base = t.group === '' ? `/api/${t.version}` : `/apis/${t.group}/${t.version}`;
  const ns = t.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${t.plural}`;
}

interface ListBody<T> {
  items?: T[];
  metadata?: { resourceVersion?: string; continue?: string };
}

/** Accept headers of a metadata-only list and watch (client-go's metadata client sends the same). */
const METADATA_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
const METADATA_WATCH = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

/**
 * ListWatch over the real API server for any resource type, across all namespaces or in one. Lists go through
 * KubeClient (counted, keep-alive); watches use client-node's `Watch` and are counted when they open or fail.
 * List items get `apiVersion`/`kind` filled in (the server omits them inside lists). With `metadataOnly` the
 * server sends each object as PartialObjectMetadata (`meta.k8s.io/v1`): its metadata and nothing else.
 */
export function kubeListWatch<T extends KubeObject = KubeObject>(
  client: KubeClient,
  t: ResourceType,
  opts: { namespace?: string; fieldSelector?: string; metadataOnly?: boolean } = {},
): ListWatch<T> {
  const path = collectionPath(t, opts.namespace);
  const apiVersion = apiVersionOf(t);
  const watcher = new Watch(opts.metadataOnly ? withAccept(client.kc, METADATA_WATCH) : client.kc);
  // pages sized by weight too (page-sizer.ts): o.limit is the most objects a page may have
  const pages = new PageSizer();
  return {
    async list(o): Promise<ListPage<T>> {
      let length = 0;
      const body = await client.request<ListBody<T>>({
        method: 'GET',
        path,
        query: {
          labelSelector: o.labelSelector || undefined,
          fieldSelector: opts.fieldSelector,
          limit: o.limit === undefined ? undefined : pages.limit(o.limit),
          continue: o.continue,
        },
        verb: 'list',
        resource: t.plural,
        ...(opts.metadataOnly ? { accept: METADATA_LIST } : {}),
        onBodyLength: (n) => {
          length = n;
        },
      });
      const items = body?.items ?? [];
      pages.observe(items.length, length);
      for (const item of items) {
        item.apiVersion ??= apiVersion;
        item.kind ??= t.kind;
      }
      return {
        items,
        resourceVersion: body?.metadata?.resourceVersion ?? '',
        continue: body?.metadata?.continue || undefined,
      };
    },

    async watch(o, onEvent, onDone): Promise<WatchHandle> {
      let counted = false;
      let finished = false;
      const count = (code: string) => {
        if (counted) return;
        counted = true;
        client.count('watch', t.plural, code);
      };
      const done = (err?: unknown) => {
        if (finished) return;
        finished = true;
        if (!err) {
          onDone();
          return;
        }
        const apiErr = classifyApiError(err);
        count(apiErr.code ? String(apiErr.code) : '<error>');
        onDone(apiErr);
      };
      let controller: AbortController;
      try {
        controller = await watcher.watch(
          path,
          {
            labelSelector: o.labelSelector || undefined,
            fieldSelector: opts.fieldSelector,
            resourceVersion: o.resourceVersion || undefined,
            allowWatchBookmarks: o.allowWatchBookmarks,
            timeoutSeconds: o.timeoutSeconds,
          },
          (type, obj) => {
            if (finished) return;
            // An ERROR event ends the watch with the Status it carries (410 Expired = relist)
            if (type === 'ERROR') done(apiErrorFromWatchStatus(obj, `WATCH ${path}`));
            else onEvent(type, obj);
          },
          done,
        );
      } catch (err) {
        done(err);
        return { abort: () => {} };
      }
      if (!finished) count('200');
      return {
        abort: () => {
          // After our own abort the stream errors with AbortError; that is not news for the caller.
          finished = true;
          controller.abort();
        },
      };
    },
  };
}

/**
 * The kubeconfig as client-node's `Watch` sees it, with an Accept header of our own: `Watch` takes no headers,
 * only what `applyToFetchOptions` returns (auth and TLS still come from `kc`, per request).
 */
function withAccept(kc: KubeConfig, accept: string): KubeConfig {
  const shim = Object.create(kc) as KubeConfig;
  shim.applyToFetchOptions = (o) =>
    kc.applyToFetchOptions({ ...o, headers: { ...o.headers, Accept: accept } });
  return shim;
}

/** Every object of a type (in one namespace or all), page by page through the ListWatch: one-shot reads. */
export async function listAll<T extends KubeObject = KubeObject>(
  client: KubeClient,
  t: ResourceType,
  labelSelector?: string,
  namespace?: string,
): Promise<T[]> {
  const lw = kubeListWatch<T>(client, t, namespace ? { namespace } : {});
  const items: T[] = [];
  let token: string | undefined;
  do {
    const page = await lw.list({ labelSelector, limit: 500, continue: token });
    items.push(...page.items);
    token = page.continue;
  } while (token);
  return items;
}
