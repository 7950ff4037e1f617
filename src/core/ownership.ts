import type { MirrorKeys } from './keys.js';
import type { KubeObject } from './types.js';

export type Ownership = 'owned' | 'adoptable' | 'foreign-unmanaged' | 'foreign-other-source';

/**
 * True only when `live` carries the mirror label and names exactly this source (namespace, name, uid) in
 * its annotations. This is the only thing that permits deleting an object.
 */
export function isProvablyMirrorOf(
  live: KubeObject,
  sourceNs: string,
  sourceName: string,
  sourceUid: string,
  keys: MirrorKeys,
): boolean {
  const a = live.metadata.annotations ?? {};
  return (
    live.metadata.labels?.[keys.mirror] === 'true' &&
    live.metadata.name === sourceName &&
    sourceUid !== '' &&
    a[keys.sourceNamespace] === sourceNs &&
    a[keys.sourceName] === sourceName &&
    a[keys.sourceUid] === sourceUid
  );
}

/**
 * How an object found where `source` wants its mirror relates to it:
 * - owned: provably this source's mirror;
 * - adoptable: a mirror whose recorded source (same name or another) is no longer live, e.g. the source was
 *   deleted and re-created with a new uid;
 * - foreign-other-source: a mirror of another source that is still live;
 * - foreign-unmanaged: not labelled as a mirror, or a mirror label without source annotations.
 * Only owned and adoptable objects may be written.
 */
export function classifyExisting(
  live: KubeObject,
  source: KubeObject,
  keys: MirrorKeys,
  isSourceLive: (ns: string, name: string, uid: string) => boolean,
): Ownership {
  if (live.metadata.labels?.[keys.mirror] !== 'true') return 'foreign-unmanaged';
  const a = live.metadata.annotations ?? {};
  const ns = a[keys.sourceNamespace];
  const name = a[keys.sourceName];
  const uid = a[keys.sourceUid];
  if (!ns || !name || !uid) return 'foreign-unmanaged';
  const srcNs = source.metadata.namespace ?? '';
  if (isProvablyMirrorOf(live, srcNs, source.metadata.name, source.metadata.uid ?? '', keys)) return 'owned';
  return isSourceLive(ns, name, uid) ? 'foreign-other-source' : 'adoptable';
}
