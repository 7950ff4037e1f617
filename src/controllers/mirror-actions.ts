import type { Logger } from 'pino';
import { KubemirrorError } from '../core/errors.js';
import { mirrorContentHash } from '../core/hash.js';
import { classifyExisting } from '../core/ownership.js';
import type { Action } from '../core/plan.js';
import type { KubeObject } from '../core/types.js';
import { classifyApiError } from '../kube/api-errors.js';
import type { SourceReconcilerDeps } from './source-reconciler.js';
import type { WatchedType } from './watched-type.js';

/** How many writes of one source's fan-out are in flight at once. */
const FANOUT_CONCURRENCY = 8;

export interface ActionsOutcome {
  synced: number;
  conflicts: string[];
  errors: Array<{ namespace: string; reason: string }>;
  /** failures worth retrying (the source is requeued with backoff) */
  transient: number;
}

/**
 * Carries out a source's planned actions through the writer: creates, replaces, recreates (immutable fields),
 * deletes (uid-guarded) and reports conflicts, never touching what the source does not own. A failed target
 * never stops the others; the outcome says what happened to each.
 */
export class MirrorActions {
  constructor(private readonly d: SourceReconcilerDeps) {}

  async run(w: WatchedType, source: KubeObject, actions: Action[], log: Logger): Promise<ActionsOutcome> {
    const conflicts: string[] = [];
    const errors: Array<{ namespace: string; reason: string }> = [];
    let synced = 0;
    let transient = 0;
    const run = async (a: Action): Promise<void> => {
      try {
        const outcome = await this.apply(w, source, a, log);
        if (outcome === 'synced') synced++;
        else if (outcome === 'conflict') conflicts.push(a.namespace);
      } catch (err) {
        if (err instanceof TargetError) {
          errors.push({ namespace: a.namespace, reason: err.message });
          this.d.hooks.syncError(err.reason);
          return;
        }
        const e = classifyApiError(err);
        errors.push({
          namespace: a.namespace,
          reason: e.reason === 'Unknown' ? e.message : e.reason.toLowerCase(),
        });
        this.d.hooks.syncError(e.reason);
        if (e.reason !== 'Forbidden' && e.reason !== 'Invalid') transient++;
        log.warn(
          { namespace: a.namespace, action: a.type, reason: e.reason, err: e.message },
          'mirror write failed',
        );
      }
    };
    await runLimited(actions, FANOUT_CONCURRENCY, run);
    const writes: Record<string, number> = {};
    for (const a of actions)
      if (a.type !== 'noop' && a.type !== 'error') writes[a.type] = (writes[a.type] ?? 0) + 1;
    if (Object.keys(writes).length > 0)
      log.info({ ...writes, synced, failed: errors.length }, 'source reconciled');
    for (let i = 0; i < conflicts.length; i++) this.d.hooks.conflict(w.type.plural);
    return { synced, conflicts, errors, transient };
  }

  /** Performs one planned action; returns whether the target now holds an in-sync mirror. */
  private async apply(
    w: WatchedType,
    source: KubeObject,
    a: Action,
    log: Logger,
  ): Promise<'synced' | 'conflict' | 'other'> {
    const { writer } = this.d;
    switch (a.type) {
      case 'noop':
        return 'synced';
      case 'create':
        try {
          this.remember(w, await writer.create(w.type, a.desired));
          log.debug({ namespace: a.namespace, reason: a.reason }, 'mirror created');
          return 'synced';
        } catch (err) {
          if (classifyApiError(err).reason !== 'AlreadyExists') throw err;
          return this.alreadyExists(w, source, a.namespace, a.hash);
        }
      case 'update':
        try {
          const written = await writer.replace(w.type, {
            ...a.desired,
            metadata: { ...a.desired.metadata, resourceVersion: a.live.metadata.resourceVersion },
          });
          this.remember(w, written);
          log.debug({ namespace: a.namespace, reason: a.reason }, 'mirror updated');
          return 'synced';
        } catch (err) {
          if (classifyApiError(err).reason !== 'Invalid') throw err;
          // 422 on update: an immutable field; delete and recreate.
          return this.recreate(
            w,
            source,
            a.live,
            a.desired,
            'the API server rejected the update as invalid',
            log,
          );
        }
      case 'recreate':
        return this.recreate(w, source, a.live, a.desired, a.reason, log);
      case 'delete':
        await writer.delete(w.type, {
          namespace: a.namespace,
          name: a.live.metadata.name,
          uid: a.live.metadata.uid,
        });
        log.debug({ namespace: a.namespace, reason: a.reason }, 'mirror deleted');
        return 'other';
      case 'conflict':
        await this.conflict(w, source, a.namespace, a.reason);
        return 'conflict';
      case 'error':
        throw new TargetError(a.reason);
    }
  }

  private remember(w: WatchedType, written: KubeObject): void {
    const { namespace, name, resourceVersion } = written.metadata;
    if (!resourceVersion) return;
    if (this.d.recentWrites.size > 100_000) this.d.recentWrites.clear(); // echoes that never came
    this.d.recentWrites.set(`${w.id}|${namespace}/${name}`, resourceVersion);
  }

  /**
   * Create found the name taken by an object the mirror cache has not shown us. Usually it is our own mirror
   * written moments ago (the cache lags the write): read it once and tell apart ours (in sync, or retry once
   * the cache has it) from somebody else's object (a conflict, never touched).
   */
  private async alreadyExists(
    w: WatchedType,
    source: KubeObject,
    namespace: string,
    desiredHash: string,
  ): Promise<'synced' | 'conflict'> {
    const live = await this.d.readSource(w, { typeId: w.id, namespace, name: source.metadata.name });
    if (!live) throw new CacheLagError(`${namespace}/${source.metadata.name} vanished after AlreadyExists`);
    const sourceNs = source.metadata.namespace ?? '';
    const isSourceLive = (ns: string, name: string, uid: string) =>
      w.sources.get(`${ns}/${name}`)?.metadata.uid === uid;
    const ownership = classifyExisting(live, source, this.d.keys, isSourceLive);
    if (ownership === 'owned' || ownership === 'adoptable') {
      const recorded = live.metadata.annotations?.[this.d.keys.contentHash];
      if (
        ownership === 'owned' &&
        recorded === desiredHash &&
        mirrorContentHash(live, this.d.keys) === recorded
      )
        return 'synced';
      throw new CacheLagError(
        `mirror in ${namespace} of ${sourceNs}/${source.metadata.name} not in the cache yet`,
      );
    }
    const why =
      ownership === 'foreign-other-source'
        ? 'a mirror of another source holds this name'
        : 'an object not managed by kubemirror holds this name';
    await this.conflict(w, source, namespace, why);
    return 'conflict';
  }

  private async recreate(
    w: WatchedType,
    source: KubeObject,
    live: KubeObject,
    desired: KubeObject,
    reason: string,
    log: Logger,
  ): Promise<'synced'> {
    await this.d.writer.delete(w.type, {
      namespace: live.metadata.namespace ?? '',
      name: live.metadata.name,
      uid: live.metadata.uid,
    });
    this.remember(w, await this.d.writer.create(w.type, desired));
    log.info({ namespace: live.metadata.namespace, reason }, 'mirror recreated');
    await this.d.events.record(
      w.type,
      source,
      'Normal',
      'MirrorRecreated',
      `mirror in ${live.metadata.namespace} deleted and recreated: ${reason}`,
    );
    return 'synced';
  }

  private async conflict(w: WatchedType, source: KubeObject, ns: string, why: string): Promise<void> {
    await this.d.events.record(w.type, source, 'Warning', 'MirrorConflict', `not mirrored to ${ns}: ${why}`);
  }
}

/** Our own write is not in the cache yet: retried with backoff, counted as transient. */
class CacheLagError extends KubemirrorError {
  constructor(message: string) {
    super('Transient', message);
  }
}

class TargetError extends Error {
  readonly reason = 'TransformFailed';
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function runLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
