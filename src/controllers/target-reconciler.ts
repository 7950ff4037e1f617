import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { mirrorContentHash } from '../core/hash.js';
import type { MirrorKeys } from '../core/keys.js';
import { readSourceSpec } from '../core/source-spec.js';
import { sourceWantsNamespace } from '../core/targeting.js';
import type { NamespaceInfo } from '../core/types.js';
import { done, type ReconcileResult } from '../runtime/reconcile-result.js';
import { parseSourceKey, sourceKey } from './source-key.js';
import { targetPolicy } from './target-policy.js';
import type { WatchedType } from './watched-type.js';

export interface TargetReconcilerDeps {
  config: () => Config;
  keys: MirrorKeys;
  namespace: (name: string) => NamespaceInfo | undefined;
  /** resourceVersions of mirrors this controller just wrote: their watch echo needs no re-check */
  recentWrites: Map<string, string>;
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
    // The echo of our own write has the content we wrote: no need to hash it again. Whether the source still
    // wants it is checked all the same (the cache may deliver the echo long after the namespace changed).
    const echo = this.d.recentWrites.get(key) === mirror.metadata.resourceVersion;
    if (echo) this.d.recentWrites.delete(key);
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
    if (!echo && mirrorContentHash(mirror, this.d.keys) !== a[this.d.keys.contentHash]) {
      this.d.driftDetected(w.type.plural);
      this.d.log.info(
        { resource: w.type.plural, namespace: ref.namespace, name: ref.name },
        'mirror edited, restoring',
      );
      this.d.enqueueSource(owner);
    } else if (a[this.d.keys.sourceUid] !== source.metadata.uid || !this.stillWanted(source, ref.namespace)) {
      // re-created source (adopt), or a mirror the source no longer wants (its cache entry arrived late)
      this.d.enqueueSource(owner);
    }
    return done;
  }

  private stillWanted(source: import('../core/types.js').KubeObject, namespace: string): boolean {
    const spec = readSourceSpec(source, this.d.keys);
    const ns = this.d.namespace(namespace);
    if (!spec.syncEnabled || !ns) return false;
    const cfg = this.d.config();
    return sourceWantsNamespace(source, spec, ns, targetPolicy(cfg, this.d.keys));
  }
}
