import type { CompiledTransform, StatusReport } from '../core/decide.js';
import type { MirrorKeys } from '../core/keys.js';
import type { SourceSpec } from '../core/source-spec.js';
import type { KubeObject } from '../core/types.js';
import type { MirrorActions } from './mirror-actions.js';
import type { RemoteCluster } from './remote-clusters.js';
import type { WatchedType } from './watched-type.js';

/**
 * Who governs a source and what follows from it (SPEC §11): the keys its mirrors are handled with, the spec it is
 * decided with, where its status and Events go, and the executor of its writes. An annotated source governs itself
 * (its `P/sync-status`, its Events, its finalizer); an object a MirrorPolicy selects is governed by the policy (its
 * mirrors carry `P/policy`, its status and Events go to the policy, and the object itself is never written).
 */
export interface Governor {
  keys: MirrorKeys;
  /** the spec to decide with; read from the source when absent */
  spec?: SourceSpec;
  transform?: CompiledTransform;
  /** whether `P/finalizer` is kept on the source */
  finalizers: boolean;
  controller: 'source' | 'policy';
  actions: MirrorActions;
  actionsIn(c: RemoteCluster): MirrorActions;
  /** the status line last reported for this source (annotated: its `P/sync-status`) */
  lastLine(source: KubeObject): string | undefined;
  report(
    w: WatchedType,
    source: KubeObject,
    report: StatusReport,
    failure?: { reason: string },
  ): Promise<void>;
  /** a fan-out finished with nothing to retry: freshness bookkeeping */
  synced(w: WatchedType, source: KubeObject, lastWriteAt: number | undefined): void;
  forgetStatus(w: WatchedType, source: KubeObject): void;
}
