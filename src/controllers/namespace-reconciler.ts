import type { Config } from '../config/config.js';
import type { MirrorKeys } from '../core/keys.js';
import { readSourceSpec } from '../core/source-spec.js';
import { sourceWantsNamespace } from '../core/targeting.js';
import type { NamespaceInfo } from '../core/types.js';
import { done, type ReconcileResult } from '../runtime/reconcile-result.js';
import type { MirrorIndex } from './mirror-index.js';
import { sourceKey } from './source-key.js';
import { targetPolicy } from './target-policy.js';
import type { WatchedType } from './watched-type.js';

export interface NamespaceReconcilerDeps {
  config: () => Config;
  keys: MirrorKeys;
  watchedTypes: () => Iterable<WatchedType>;
  namespace: (name: string) => NamespaceInfo | undefined;
  mirrors: MirrorIndex;
  enqueueSource: (key: string) => void;
  /** sources whose last status names this namespace (a conflict or error there may have gone away) */
  mentioning: (namespace: string) => Array<{ typeId: string; namespace: string; name: string }>;
}

/**
 * A namespace appeared, changed labels or went away: every source that now wants it, or still has a mirror
 * in it, is re-planned. Answered from the in-memory caches and mirror index, never by listing the API.
 */
export class NamespaceReconciler {
  constructor(private readonly d: NamespaceReconcilerDeps) {}

  async reconcile(name: string): Promise<ReconcileResult> {
    const ns = this.d.namespace(name);
    const cfg = this.d.config();
    const policy = targetPolicy(cfg, this.d.keys);
    for (const m of this.d.mentioning(name)) this.d.enqueueSource(sourceKey(m.typeId, m.namespace, m.name));
    for (const w of this.d.watchedTypes()) {
      const affected = new Set(this.d.mirrors.sourcesWithMirrorIn(w.id, name));
      if (ns) {
        for (const source of w.sources.list()) {
          const spec = readSourceSpec(source, this.d.keys);
          if (spec.syncEnabled && sourceWantsNamespace(source, spec, ns, policy)) {
            affected.add(`${source.metadata.namespace}/${source.metadata.name}`);
          }
        }
      }
      for (const ref of affected) {
        const slash = ref.indexOf('/');
        this.d.enqueueSource(sourceKey(w.id, ref.slice(0, slash), ref.slice(slash + 1)));
      }
    }
    return done;
  }
}
