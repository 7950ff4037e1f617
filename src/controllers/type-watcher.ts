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
  /** a mirror was added or changed (deletions go to `onSource` of its source directly) */
  onMirror: (mirror: KubeObject) => void;
  onRestart: (reason: RestartReason) => void;
  onMirrorCount: (count: number) => void;
}

/**
 * The two label-filtered watches of one resource type: sources (`P/enabled=true`) and mirrors
 * (`P/mirror=true`). Unlabelled objects are never watched. Handlers only turn events into queue keys and
 * keep the mirror index current. Deny-listed types get the source watch only, so they can be refused.
 */
export function startTypeWatcher(o: TypeWatcherOptions): TypeWatcher {
  const { keys, entry } = o;
  const lastSeen = new Map<string, { uid: string; finalizer: boolean }>();
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
  const onSource = (obj: KubeObject) => {
    seen(obj);
    o.onSource(obj.metadata.namespace ?? '', obj.metadata.name);
  };
  sources.onAdd(onSource);
  sources.onUpdate((old, obj) => {
    // the echo of our own status patch or finalizer would decide the same again
    if (isOwnSourceEcho(old, obj, keys)) seen(obj);
    else onSource(obj);
  });
  sources.onDelete(onSource);

  let mirrors: Informer<KubeObject> | null = null;
  if (entry.denied === null) {
    const m = new Informer<KubeObject>({
      listWatch: o.listWatch,
      labelSelector: `${keys.mirror}=true`,
      clock: o.clock,
      onRestart: o.onRestart,
      // metadata and content hash only, for mirrors as recorded (core/mirror-summary.ts): memory stays flat in payload
      transform: (obj) => summarizeMirror(obj, keys),
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
      // A deleted mirror is handed straight to its source, which recreates it if still wanted.
      const a = obj.metadata.annotations ?? {};
      const srcNs = a[keys.sourceNamespace];
      const srcName = a[keys.sourceName];
      if (srcNs && srcName) o.onSource(srcNs, srcName);
      count();
    });
    mirrors = m;
  }
  sources.start(o.signal);
  mirrors?.start(o.signal);

  return {
    watched: {
      id: entry.id,
      type: entry.type,
      denied: entry.denied,
      sources,
      mirrors,
      lastSeen,
    },
    hasSynced: () => sources.hasSynced() && (mirrors?.hasSynced() ?? true),
    brokenSince: () => {
      const a = sources.brokenSince();
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
