import type { MirrorKeys } from './keys.js';
import type { KubeObject } from './types.js';

export type Ownership =
  | 'owned'
  | 'adoptable'
  | 'foreign-unmanaged'
  | 'foreign-other-source'
  /** labelled and annotated as a mirror, but not written by kubemirror (a copy, or forged) */
  | 'foreign-unproven';

/** The field manager every kubemirror write uses (the writer sends it as `fieldManager`). */
export const KUBEMIRROR_FIELD_MANAGER = 'kubemirror';

interface ManagedFieldsEntry {
  manager?: string;
  fieldsV1?: Record<string, unknown>;
}

function owns(fields: Record<string, unknown> | undefined, path: readonly string[]): boolean {
  let node: unknown = fields;
  for (const p of path) {
    if (typeof node !== 'object' || node === null) return false;
    node = (node as Record<string, unknown>)[`f:${p}`];
  }
  return typeof node === 'object' && node !== null;
}

/**
 * Proof that kubemirror wrote `live`: its `managedFields` give the mirror label and the source-uid
 * annotation to kubemirror's field manager. Labels and annotations alone prove nothing: anyone can write
 * them, and `kubectl get -o yaml | kubectl apply` copies them into an object kubemirror never wrote (that
 * copy's fields belong to kubectl's manager). Needed before touching a mirror whose recorded source uid is
 * not one the controller knows (adoption, orphan collection after downtime).
 */
export function writtenByKubemirror(
  live: KubeObject,
  keys: MirrorKeys,
  manager = KUBEMIRROR_FIELD_MANAGER,
): boolean {
  // every API server since 1.18 records managedFields (the sandbox too): no entry for us, no proof
  const entries = (live.metadata.managedFields ?? []) as ManagedFieldsEntry[];
  const ours = entries.filter((e) => e?.manager === manager);
  const has = (path: readonly string[]) => ours.some((e) => owns(e.fieldsV1, path));
  return has(['metadata', 'labels', keys.mirror]) && has(['metadata', 'annotations', keys.sourceUid]);
}

/**
 * True only when `live` carries the mirror label and names exactly this source (namespace, name, uid, and the
 * source cluster `keys.origin`, SPEC §8) in its annotations, and was made under the same governor: its
 * annotations, or the MirrorPolicy `keys.viaPolicy` (SPEC §11). This is the only thing that permits deleting an object.
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
    a[keys.sourceUid] === sourceUid &&
    a[keys.sourceCluster] === keys.origin &&
    a[keys.policy] === keys.viaPolicy
  );
}

/**
 * How an object found where `source` wants its mirror relates to it:
 * - owned: provably this source's mirror;
 * - adoptable: a mirror of this source's namespace and name whose recorded uid is no longer live: the source
 *   was deleted and re-created with a new uid; or a mirror of this very object made under another governor
 *   (`P/policy` differs: the object's annotations and a MirrorPolicy handed it over);
 * - foreign-other-source: a mirror of another source (live, or gone and left to its own cleanup);
 * - foreign-unmanaged: not labelled as a mirror, or a mirror label without source annotations;
 * - foreign-unproven: looks like a mirror of a dead source but kubemirror never wrote it (writtenByKubemirror).
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
  // a mirror of a source in another cluster (or, in another cluster, one not written from here): never ours
  if (a[keys.sourceCluster] !== keys.origin) return 'foreign-other-source';
  const srcNs = source.metadata.namespace ?? '';
  if (isProvablyMirrorOf(live, srcNs, source.metadata.name, source.metadata.uid ?? '', keys)) return 'owned';
  // this very object's mirror, made under another governor (its annotations, or another MirrorPolicy): whoever
  // governs the object now takes it over (SPEC §11); only its own governor would ever delete it
  if (ns === srcNs && name === source.metadata.name && uid === source.metadata.uid) return 'adoptable';
  if (isSourceLive(ns, name, uid)) return 'foreign-other-source';
  // only a re-created source (same namespace and name, new uid) adopts; a dead other source's mirror is
  // collected by that source's cleanup, not taken over
  if (ns !== srcNs || name !== source.metadata.name) return 'foreign-other-source';
  return writtenByKubemirror(live, keys) ? 'adoptable' : 'foreign-unproven';
}
