import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../core/types.js';
import { apiErrors } from './api-error.js';
import type { ObjectStore, StoreEvent } from './object-store.js';
import { groupVersion, type ResourceDef, storageKey } from './resource-registry.js';
import { BOOKMARK_OBJECTS } from './schema/server-answers.generated.js';
import type { ObjectFilter } from './selectors.js';

export interface WatchRequest {
  def: ResourceDef;
  version: string;
  namespace: string | undefined;
  filter: ObjectFilter;
  resourceVersion: string;
  allowBookmarks: boolean;
  sendInitialEvents: boolean;
  /** sendInitialEvents=false: no initial state even from resourceVersion "" (start at the most recent) */
  noInitialEvents?: boolean;
  timeoutSeconds: number | undefined;
  /** object → what goes on the wire (the object at the requested version, or a Table) */
  encode: (o: KubeObject) => unknown;
  /**
   * the bookmark object (an empty object of the kind with the resourceVersion) → the wire: the watch cache's bookmark
   * goes through the same transform as the events, so a metadata-only watch gets a PartialObjectMetadata; as it is
   * when absent
   */
  encodeBookmark?: (o: KubeObject) => unknown;
}

/** Open watch connections, so that faults and CRD deletion can close them. */
export class WatchHub {
  private readonly open = new Map<ServerResponse, string>();

  add(res: ServerResponse, resource: string): void {
    this.open.set(res, resource);
  }

  delete(res: ServerResponse): void {
    this.open.delete(res);
  }

  get count(): number {
    return this.open.size;
  }

  /** Ends watches cleanly (the client sees the stream end), all or those of one resource. */
  close(resource?: string): void {
    for (const [res, r] of [...this.open]) if (resource === undefined || r === resource) res.end();
  }
}

/**
 * Serves one watch like the real server's watch cache: replay from a resourceVersion within the window,
 * synthetic ADDED for "" / "0" / sendInitialEvents, selector-aware ADDED/DELETED when objects enter or
 * leave the selection, periodic BOOKMARKs when allowed, and a 410 ERROR event when history is gone.
 */
export function serveWatch(
  req: IncomingMessage,
  res: ServerResponse,
  w: WatchRequest,
  deps: { store: ObjectStore; hub: WatchHub; bookmarkIntervalMs: number },
): void {
  const { store } = deps;
  const key = storageKey(w.def);
  const rvText = w.resourceVersion;
  if (rvText !== '' && !/^\d+$/.test(rvText))
    throw apiErrors.badRequest(`resourceVersion: Invalid value: "${rvText}": invalid resource version`);
  const fromRv = rvText === '' ? 0 : Number(rvText);

  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();
  // an object the encoder could not transform (undefined) is not sent
  const send = (type: string, object: unknown) => {
    if (object !== undefined && !res.writableEnded) res.write(`${JSON.stringify({ type, object })}\n`);
  };
  // the watch cache's bookmark is the kind's empty object (its internal zero value, as kube-apiserver encodes it)
  const template = BOOKMARK_OBJECTS[
    w.def.crdName === undefined ? `${w.def.group}/${w.def.kind}` : '*custom'
  ] ?? { metadata: {} };
  const bookmark = (annotations?: Record<string, string>) => {
    const object = {
      ...template,
      kind: w.def.kind,
      apiVersion: groupVersion(w.def.group, w.version),
      metadata: { resourceVersion: String(store.resourceVersion), ...(annotations ? { annotations } : {}) },
    } as KubeObject;
    send('BOOKMARK', w.encodeBookmark ? w.encodeBookmark(object) : object);
  };
  const inScope = (o: KubeObject | undefined): o is KubeObject =>
    o !== undefined && (w.namespace === undefined || o.metadata.namespace === w.namespace) && w.filter(o);

  const translate = (e: StoreEvent): void => {
    if (e.resource !== key) return;
    const now = inScope(e.object);
    const before = inScope(e.prev);
    if (e.type === 'ADDED' && now) send('ADDED', w.encode(e.object));
    else if (e.type === 'DELETED' && (now || before)) send('DELETED', w.encode(e.object));
    else if (e.type === 'MODIFIED') {
      if (now && before) send('MODIFIED', w.encode(e.object));
      else if (now) send('ADDED', w.encode(e.object));
      else if (before) {
        // leaving the selection: the previous state at the new resourceVersion, like the watch cache
        const prev = e.prev!;
        send(
          'DELETED',
          w.encode({
            ...prev,
            metadata: { ...prev.metadata, resourceVersion: e.object.metadata.resourceVersion },
          }),
        );
      }
    }
  };

  if (w.noInitialEvents && fromRv === 0) {
    // nothing but what comes next
  } else if (w.sendInitialEvents || fromRv === 0) {
    for (const o of store.list(key, w.namespace)) if (w.filter(o)) send('ADDED', w.encode(o));
    if (w.sendInitialEvents) bookmark({ 'k8s.io/initial-events-end': 'true' });
  } else {
    const events = store.eventsSince(key, fromRv);
    if (!events) {
      send(
        'ERROR',
        apiErrors.expired(`too old resource version: ${fromRv} (${store.oldestWatchable})`).toStatus(),
      );
      res.end();
      return;
    }
    for (const e of events) translate(e);
  }

  const unsubscribe = store.subscribe(translate);
  deps.hub.add(res, key);
  const timers: NodeJS.Timeout[] = [];
  if (w.allowBookmarks) timers.push(setInterval(() => bookmark(), deps.bookmarkIntervalMs));
  if (w.timeoutSeconds !== undefined && w.timeoutSeconds > 0)
    timers.push(setTimeout(() => res.end(), w.timeoutSeconds * 1000));
  const cleanup = () => {
    unsubscribe();
    deps.hub.delete(res);
    for (const t of timers) clearTimeout(t);
  };
  res.on('close', cleanup);
  res.on('finish', cleanup);
  req.on('close', () => {
    cleanup();
    if (!res.writableEnded) res.end();
  });
}
