import { contentDigest } from '../core/hash.js';
import type { MirrorKeys } from '../core/keys.js';
import { summarizeMirror } from '../core/mirror-summary.js';
import type { KubeObject } from '../core/types.js';
import type { Clock } from '../runtime/clock.js';
import { Informer, type RestartReason } from '../runtime/informer.js';
import type { ListWatch } from '../runtime/list-watch.js';
import { isOwnSourceEcho } from './event-mappers.js';
import type { MirrorIndex } from './mirror-index.js';
import type { TypeEntry, WatchedType } from './watched-type.js';

export interface TypeWatcher {
  watched: WatchedType;
  hasSynced(): boolean;
  /** the server refuses to list this type here (403): not waited for, retried with backoff */
  isForbidden(): boolean;
  brokenSince(): number | null;
  stop(): Promise<void>;
}

export interface TypeWatcherOptions {
  entry: TypeEntry;
  keys: MirrorKeys;
  listWatch: ListWatch<KubeObject>;
  clock: Clock;
  index: MirrorIndex;
  signal: AbortSignal;
  onSource: (namespace: string, name: string) => void;
  /** a mirror was added or changed (deletions go to `onSource` of its source directly, a policy's mirror here too) */
  onMirror: (mirror: KubeObject) => void;
  onRestart: (reason: RestartReason, err?: unknown) => void;
  onMirrorCount: (count: number) => void;
  /** whether `mirror` is the very version our own last write stored (its echo: summarised without hashing) */
  writtenByUs?: (mirror: KubeObject) => boolean;
  /** watch mirrors only (another cluster, SPEC §8: sources live here, not there) */
  mirrorsOnly?: boolean;
}

/** The source cache of a cluster whose sources are not watched: always empty, always synced. */
const NO_SOURCES: WatchedType['sources'] = { get: () => undefined, list: () => [], hasSynced: () => true };

/**
 * A source's content as propagation sees it: the body (minus `status`), labels and annotations (minus our
 * own `P/sync-status`), hashed. Memoised per object version (cache objects are replaced, never mutated).
 */
const contentHashes = new WeakMap<KubeObject, string>();
export function sourceContentHash(obj: KubeObject, keys: MirrorKeys): string {
  let h = contentHashes.get(obj);
  if (h === undefined) {
    const { metadata, status: _status, ...body } = obj;
    const annotations = { ...(metadata.annotations ?? {}) };
    delete annotations[keys.syncStatus];
    const doc = { ...body, labels: metadata.labels ?? {}, annotations };
    h = contentDigest(doc);
    contentHashes.set(obj, h);
  }
  return h;
}

/**
 * `ns/name` → when the watch first delivered source content not yet propagated (epoch ms on the watcher's
 * clock) and that content's hash. Set by the type watcher, taken by the source reconciler once the fan-out of
 * that content has been written (kubemirror_propagation_duration_seconds). A second change arriving before
 * the first propagated keeps the first arrival time: the mirrors have been stale since then.
 */
export type ContentArrivals = Map<string, { at: number; hash: string }>;
const arrivalsByType = new WeakMap<WatchedType, ContentArrivals>();

/** The pending content arrivals of a watched type (undefined for a WatchedType not made here, e.g. tests). */
export function contentArrivals(w: WatchedType): ContentArrivals | undefined {
  return arrivalsByType.get(w);
}

/**
 * The two label-filtered watches of one resource type: sources (`P/enabled=true`) and mirrors
 * (`P/mirror=true`). Unlabelled objects are never watched. Handlers only turn events into queue keys and
 * keep the mirror index current. Deny-listed types get the source watch only, so they can be refused.
 */
export function startTypeWatcher(o: TypeWatcherOptions): TypeWatcher {
  const { keys, entry } = o;
  const lastSeen = new Map<string, { uid: string; finalizer: boolean }>();
  const arrivals: ContentArrivals = new Map();
  /** hash of the content last seen per source, to tell new content from a re-delivery (re-list, resync) */
  const lastContent = new Map<string, string>();
  const sources = new Informer<KubeObject>({
    listWatch: o.listWatch,
    labelSelector: `${keys.enabled}=true`,
    clock: o.clock,
    onRestart: o.onRestart,
  });
  const seen = (obj: KubeObject) => {
    const ref = `${obj.metadata.namespace}/${obj.metadata.name}`;
    const finalizer = (obj.metadata.finalizers ?? []).includes(keys.finalizer);
    if (obj.metadata.uid) lastSeen.set(ref, { uid: obj.metadata.uid, finalizer });
  };
  const arrived = (obj: KubeObject) => {
    const ref = `${obj.metadata.namespace}/${obj.metadata.name}`;
    const hash = sourceContentHash(obj, keys);
    if (lastContent.get(ref) === hash) return;
    lastContent.set(ref, hash);
    const pending = arrivals.get(ref);
    arrivals.set(ref, { at: pending?.at ?? o.clock.now(), hash });
  };
  const onSource = (obj: KubeObject) => {
    seen(obj);
    arrived(obj);
    o.onSource(obj.metadata.namespace ?? '', obj.metadata.name);
  };
  sources.onAdd(onSource);
  sources.onUpdate((old, obj) => {
    // the echo of our own status patch or finalizer would decide the same again
    if (isOwnSourceEcho(old, obj, keys)) seen(obj);
    else onSource(obj);
  });
  sources.onDelete((obj) => {
    const ref = `${obj.metadata.namespace}/${obj.metadata.name}`;
    lastContent.delete(ref);
    arrivals.delete(ref);
    seen(obj);
    o.onSource(obj.metadata.namespace ?? '', obj.metadata.name);
  });

  let mirrors: Informer<KubeObject> | null = null;
  if (entry.denied === null) {
    const m = new Informer<KubeObject>({
      listWatch: o.listWatch,
      labelSelector: `${keys.mirror}=true`,
      clock: o.clock,
      onRestart: o.onRestart,
      // metadata and content hash only, for mirrors as recorded (core/mirror-summary.ts): memory stays flat in payload
      transform: (obj) => summarizeMirror(obj, keys, o.writtenByUs?.(obj) ?? false),
    });
    const count = () => o.onMirrorCount(m.size());
    m.onAdd((obj) => {
      o.index.upsert(entry.id, undefined, obj);
      o.onMirror(obj);
      count();
    });
    m.onUpdate((old, obj) => {
      o.index.upsert(entry.id, old, obj);
      o.onMirror(obj);
    });
    m.onDelete((obj) => {
      o.index.remove(entry.id, obj);
      // A deleted mirror is handed straight to its source, which recreates it if still wanted; one a MirrorPolicy
      // made goes through the mirror mapping, which knows policies (a deletion is never our write's echo there)
      const a = obj.metadata.annotations ?? {};
      const srcNs = a[keys.sourceNamespace];
      const srcName = a[keys.sourceName];
      if (a[keys.policy]) o.onMirror(obj);
      else if (srcNs && srcName) o.onSource(srcNs, srcName);
      count();
    });
    mirrors = m;
  }
  if (!o.mirrorsOnly) sources.start(o.signal);
  mirrors?.start(o.signal);

  const watched: WatchedType = {
    id: entry.id,
    type: entry.type,
    denied: entry.denied,
    sources: o.mirrorsOnly ? NO_SOURCES : sources,
    mirrors,
    lastSeen,
  };
  arrivalsByType.set(watched, arrivals);
  return {
    watched,
    hasSynced: () => (o.mirrorsOnly || sources.hasSynced()) && (mirrors?.hasSynced() ?? true),
    isForbidden: () => (!o.mirrorsOnly && sources.isForbidden()) || (mirrors?.isForbidden() ?? false),
    brokenSince: () => {
      const a = o.mirrorsOnly ? null : sources.brokenSince();
      const b = mirrors?.brokenSince() ?? null;
      if (a === null) return b;
      if (b === null) return a;
      return Math.min(a, b);
    },
    stop: async () => {
      await Promise.all([sources.stop(), mirrors?.stop()]);
    },
  };
}
