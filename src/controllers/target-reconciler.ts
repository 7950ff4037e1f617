import type { Logger } from 'pino';
import { mirrorContentHash } from '../core/hash.js';
import type { MirrorKeys } from '../core/keys.js';
import { done, type ReconcileResult } from '../runtime/reconcile-result.js';
import { parseSourceKey, sourceKey } from './source-key.js';
import type { WatchedType } from './watched-type.js';

export interface TargetReconcilerDeps {
  keys: MirrorKeys;
  watchedType: (typeId: string) => WatchedType | undefined;
  /** hands the owning source to the source reconciler, which decides and writes */
  enqueueSource: (key: string) => void;
  driftDetected: (resource: string) => void;
  log: Logger;
}

/**
 * Reconciles one mirror (key `<typeId>|<ns>/<name>`): a mirror whose actual content no longer hashes to its
 * own `P/source-content-hash` was edited by someone else, and a mirror whose source is not in the cache may
 * be an orphan (controller was down, finalizers off). Both are handed to the source reconciler, the only one
 * that writes mirrors. Our own writes come back here and are recognised as in sync, so they cost no API call.
 */
export class TargetReconciler {
  constructor(private readonly d: TargetReconcilerDeps) {}

  async reconcile(key: string): Promise<ReconcileResult> {
    const ref = parseSourceKey(key);
    const w = this.d.watchedType(ref.typeId);
    const mirror = w?.mirrors?.get(`${ref.namespace}/${ref.name}`);
    if (!w || !mirror) return done; // deletions are handed over by the informer handler directly
    const a = mirror.metadata.annotations ?? {};
    const srcNs = a[this.d.keys.sourceNamespace];
    const srcName = a[this.d.keys.sourceName];
    if (!srcNs || !srcName) return done; // not provably anyone's mirror: never touched
    const owner = sourceKey(w.id, srcNs, srcName);
    const source = w.sources.get(`${srcNs}/${srcName}`);
    if (!source) {
      if (w.sources.hasSynced()) this.d.enqueueSource(owner);
      return done;
    }
    if (mirrorContentHash(mirror, this.d.keys) !== a[this.d.keys.contentHash]) {
      this.d.driftDetected(w.type.plural);
      this.d.log.info(
        { resource: w.type.plural, namespace: ref.namespace, name: ref.name },
        'mirror edited, restoring',
      );
      this.d.enqueueSource(owner);
    } else if (a[this.d.keys.sourceUid] !== source.metadata.uid) {
      this.d.enqueueSource(owner); // source re-created under the same name: adopt
    }
    return done;
  }
}
