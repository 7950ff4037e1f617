import type { Logger } from 'pino';
import type { FightReport, SyncOutcome, TargetFailure } from '../core/decide.js';
import { KubemirrorError } from '../core/errors.js';
import type { FightPolicy } from '../core/fights.js';
import { mirrorContentHash } from '../core/hash.js';
import type { MirrorKeys } from '../core/keys.js';
import { classifyExisting } from '../core/ownership.js';
import { type Action, refusedReason } from '../core/plan.js';
import type { KubeObject } from '../core/types.js';
import { ApiError, classifyApiError } from '../kube/api-errors.js';
import type { EventRecorder } from '../kube/event-recorder.js';
import type { Writer } from '../kube/writer.js';
import { runLimited } from '../runtime/run-limited.js';
import type { MirrorMemory } from './mirror-memory.js';
import type { OwnWrites } from './own-writes.js';
import type { SourceRef } from './source-key.js';
import type { WatchedType } from './watched-type.js';

/** How many writes of one source's fan-out are in flight at once. */
export const FANOUT_CONCURRENCY = 8;

/** Actions that write a target (for the propagation time: the answer to the last of them ends it). */
const WRITES: ReadonlySet<Action['type']> = new Set(['create', 'update', 'recreate', 'delete']);

/** Where the executor's Events go: the source itself, or the MirrorPolicy that governs it (SPEC §11). */
export type EventSink = Pick<EventRecorder, 'record'>;

/** What the executor uses: the writer, the Event recorder and the controller's bookkeeping. */
export interface MirrorActionsDeps {
  keys: MirrorKeys;
  writer: Writer;
  events: EventSink;
  ownWrites: OwnWrites;
  /** the stored form of our last write and the fight state, per mirror */
  memory: MirrorMemory;
  fightPolicy: () => FightPolicy;
  /** see SourceReconcilerDeps.occupants */
  occupants: Map<string, { object: KubeObject; seenAt: number }>;
  readSource: (w: WatchedType, ref: SourceRef) => Promise<KubeObject | null>;
  hooks: {
    conflict(resource: string): void;
    drift(resource: string): void;
    syncError(reason: string): void;
    /** a mirror was found fighting another writer */
    fightStarted(resource: string): void;
  };
  now: () => Date;
  /** how a target namespace is named in status, Events and outcomes: `cluster/ns` in another cluster */
  where?: (namespace: string) => string;
}

export interface ActionsOutcome extends SyncOutcome {
  /** failures worth retrying (the source is requeued with backoff) */
  transient: number;
  /** epoch ms at which the source must be looked at again (a held or just-repaired fight), if any */
  lookAgainAt?: number;
  /** epoch ms at which the last write of this fan-out (create, update, recreate, delete) was answered */
  lastWriteAt?: number;
}

/** Per run: the fights seen and the earliest time one of them needs a look. */
interface FightNotes {
  fighting: FightReport[];
  lookAgainAt?: number;
}

/** The short form of an API failure for the status line: the reason, and for a refusal the field(s). */
function shortReason(e: ApiError): string {
  const fields = [...new Set(e.causes.map((c) => c.field).filter((f): f is string => Boolean(f)))];
  const base = e.reason === 'Unknown' ? e.message : e.reason.toLowerCase();
  return fields.length > 0 ? `${base} ${fields.join(',')}` : base;
}

/**
 * A 409 on our own write (our cache was behind our last write) or an AlreadyExists on our own mirror not yet
 * cached: a retry from the cache resolves it, so it is retried quietly, never reported as an error or Event.
 */
function isSelfRace(err: unknown): boolean {
  return err instanceof CacheLagError || (err instanceof ApiError && err.reason === 'Conflict');
}

/**
 * The executor of a sync decision: carries out a source's planned actions through the writer: creates, replaces, recreates (immutable fields),
 * deletes (uid-guarded) and reports conflicts, never touching what the source does not own. A failed target
 * never stops the others; the outcome says what happened to each.
 */
export class MirrorActions {
  private readonly where: (namespace: string) => string;

  constructor(private readonly d: MirrorActionsDeps) {
    this.where = d.where ?? ((ns) => ns);
  }

  async run(w: WatchedType, source: KubeObject, actions: Action[], log: Logger): Promise<ActionsOutcome> {
    const conflicts: string[] = [];
    const errors: TargetFailure[] = [];
    let synced = 0;
    let transient = 0;
    let lastWriteAt: number | undefined;
    const notes: FightNotes = { fighting: [] };
    const run = async (a: Action): Promise<void> => {
      try {
        const outcome = await this.apply(w, source, a, log, notes);
        if (WRITES.has(a.type) && outcome !== 'conflict') lastWriteAt = this.d.now().getTime();
        if (outcome === 'synced') synced++;
        else if (outcome === 'conflict') conflicts.push(this.where(a.namespace));
      } catch (err) {
        if (err instanceof TargetError) {
          errors.push({
            namespace: this.where(a.namespace),
            reason: err.message,
            detail: err.message,
            retrying: false,
          });
          this.d.hooks.syncError(err.reason);
          log.warn({ namespace: a.namespace, reason: err.reason, err: err.message }, 'mirror not written');
          return;
        }
        if (isSelfRace(err)) {
          transient++;
          log.debug(
            { namespace: a.namespace, action: a.type, err: (err as Error).message },
            'retrying from the cache',
          );
          return;
        }
        const e = classifyApiError(err);
        const retrying = e.reason !== 'Forbidden' && e.reason !== 'Invalid';
        // A refused body is refused again: not written again until the desired mirror or the namespace changes
        const remembered = e.reason === 'Invalid' && 'hash' in a && a.hash;
        if (remembered) this.d.memory.refuse(w.id, a.namespace, source.metadata.name, a.hash, shortReason(e));
        errors.push({
          namespace: this.where(a.namespace),
          reason: remembered ? refusedReason(shortReason(e)) : shortReason(e),
          detail: `${e.reason}: ${e.message}`,
          retrying,
        });
        this.d.hooks.syncError(e.reason);
        if (retrying) transient++;
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
    return {
      synced,
      conflicts,
      errors,
      transient,
      ...(notes.fighting.length > 0 ? { fighting: notes.fighting } : {}),
      ...(notes.lookAgainAt !== undefined ? { lookAgainAt: notes.lookAgainAt } : {}),
      ...(lastWriteAt !== undefined ? { lastWriteAt } : {}),
    };
  }

  /** Notes a fight for the status line and when the source must be looked at again. */
  private noteFight(notes: FightNotes, report: FightReport, lookAt: number): 'fighting' {
    notes.fighting.push(report);
    notes.lookAgainAt = Math.min(notes.lookAgainAt ?? lookAt, lookAt);
    return 'fighting';
  }

  /** Our write answered with `stored`: remember its form, and count the fight if it repaired drift. */
  private written(
    w: WatchedType,
    stored: KubeObject,
    repair: Extract<Action, { type: 'update' }>['verdict'] | null,
    notes: FightNotes,
    log: Logger,
  ): 'synced' | 'fighting' {
    const now = this.d.now().getTime();
    const policy = this.d.fightPolicy();
    const { fight, started } = this.d.memory.wrote(w.id, stored, now, repair, policy);
    if (!fight.fighting) return 'synced';
    const ns = stored.metadata.namespace ?? '';
    if (started) {
      this.d.hooks.fightStarted(w.type.plural);
      log.warn({ namespace: ns, managers: fight.managers, fields: fight.fields }, 'mirror fight detected');
    }
    const report = { namespace: this.where(ns), managers: fight.managers, fields: fight.fields, started };
    return this.noteFight(notes, report, now + policy.windowMs);
  }

  /** Performs one planned action; returns whether the target now holds an in-sync mirror. */
  private async apply(
    w: WatchedType,
    source: KubeObject,
    a: Action,
    log: Logger,
    notes: FightNotes,
  ): Promise<'synced' | 'conflict' | 'fighting' | 'other'> {
    const { writer } = this.d;
    switch (a.type) {
      case 'noop': {
        // the common case, every target of every resync: no fight state, nothing to compute
        if (!a.live || !this.d.memory.fight(w.id, a.namespace, a.live.metadata.name)) return 'synced';
        const now = this.d.now().getTime();
        const policy = this.d.fightPolicy();
        const fight = this.d.memory.inSync(w.id, a.namespace, a.live.metadata.name, now, policy);
        if (!fight?.fighting) return 'synced';
        // in sync for now, but the fight is not over until a quiet window has passed since our last write
        const report = { namespace: this.where(a.namespace), managers: fight.managers, fields: fight.fields };
        return this.noteFight(notes, report, fight.lastWriteAt + policy.windowMs);
      }
      case 'fight':
        log.debug({ namespace: a.namespace, reason: a.reason }, 'mirror repair held: fighting');
        return this.noteFight(
          notes,
          { namespace: this.where(a.namespace), managers: a.verdict.managers, fields: a.verdict.fields },
          a.retryAt,
        );
      case 'create':
        try {
          const stored = await this.tracked(w, a.desired, a.hash, () => writer.create(w.type, a.desired));
          log.debug({ namespace: a.namespace, reason: a.reason }, 'mirror created');
          return this.written(w, stored, null, notes, log);
        } catch (err) {
          if (classifyApiError(err).reason !== 'AlreadyExists') throw err;
          return this.alreadyExists(w, source, a.namespace, a.hash);
        }
      case 'update': {
        const unseen = this.d.ownWrites.unseen(w.id, a.namespace, a.live.metadata.name);
        if (unseen && unseen.resourceVersion !== a.live.metadata.resourceVersion) {
          // decided from a cache that has not caught up with our own write of moments ago: when that write
          // already holds what is wanted there is nothing to do; otherwise wait for the cache (a replace now
          // would carry the old resourceVersion and be refused)
          if (unseen.hash === a.hash) return 'synced';
          throw new CacheLagError(
            `${a.namespace}/${a.live.metadata.name}: our last write is not in the cache yet`,
          );
        }
        try {
          const stored = await this.tracked(w, a.desired, a.hash, () =>
            writer.replace(w.type, {
              ...a.desired,
              metadata: { ...a.desired.metadata, resourceVersion: a.live.metadata.resourceVersion },
            }),
          );
          if (a.drift) this.d.hooks.drift(w.type.plural);
          log[a.drift ? 'info' : 'debug']({ namespace: a.namespace, reason: a.reason }, 'mirror updated');
          return this.written(w, stored, a.drift ? a.verdict : null, notes, log);
        } catch (err) {
          const e = classifyApiError(err);
          // Only a refused change of an immutable field is mended by delete + create; any other 422 (an
          // invalid label, say) would be refused on the create too and leave the target with no mirror.
          if (!e.isImmutableField()) throw err;
          const fields = e.causes.map((c) => c.field ?? '<object>').join(', ');
          return this.recreate(w, source, a.live, a.desired, `immutable field changed (${fields})`, log);
        }
      }
      case 'recreate':
        return this.recreate(w, source, a.live, a.desired, a.reason, log);
      case 'delete':
        // the version judged ours: one changed since (taken over by another governor) answers Conflict
        await writer.delete(w.type, {
          namespace: a.namespace,
          name: a.live.metadata.name,
          uid: a.live.metadata.uid,
          resourceVersion: a.live.metadata.resourceVersion,
        });
        this.d.memory.forget(w.id, a.namespace, a.live.metadata.name);
        log.debug({ namespace: a.namespace, reason: a.reason }, 'mirror deleted');
        return 'other';
      case 'conflict':
        await this.conflict(w, source, a.namespace, a.reason);
        return 'conflict';
      case 'error':
        throw new TargetError(a.code ?? 'TransformFailed', a.reason);
    }
  }

  /** A mirror write whose watch echo is recognised as ours (own-writes.ts), even when it beats the response. */
  private async tracked(
    w: WatchedType,
    obj: KubeObject,
    hash: string | undefined,
    write: () => Promise<KubeObject>,
  ): Promise<KubeObject> {
    const ns = obj.metadata.namespace ?? '';
    this.d.ownWrites.begin(w.id, ns, obj.metadata.name);
    let written: KubeObject | undefined;
    try {
      written = await write();
      return written;
    } finally {
      this.d.ownWrites.end(w.id, ns, obj.metadata.name, written?.metadata.resourceVersion, hash);
    }
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
    if (this.d.occupants.size > 10_000) this.d.occupants.clear();
    this.d.occupants.set(`${w.id}|${namespace}/${source.metadata.name}`, {
      object: { apiVersion: live.apiVersion, kind: live.kind, metadata: live.metadata },
      seenAt: this.d.now().getTime(),
    });
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
    // Never delete before the replacement is known to be accepted: the server validates a dry-run create.
    await this.d.writer.createWouldBeAccepted(w.type, desired);
    await this.d.writer.delete(w.type, {
      namespace: live.metadata.namespace ?? '',
      name: live.metadata.name,
      uid: live.metadata.uid,
    });
    const stored = await this.tracked(w, desired, undefined, () => this.d.writer.create(w.type, desired));
    this.d.memory.wrote(w.id, stored, this.d.now().getTime(), null, this.d.fightPolicy());
    log.info({ namespace: live.metadata.namespace, reason }, 'mirror recreated');
    await this.d.events.record(
      w.type,
      source,
      'Normal',
      'MirrorRecreated',
      `mirror in ${this.where(live.metadata.namespace ?? '')} deleted and recreated: ${reason}`,
    );
    return 'synced';
  }

  private async conflict(w: WatchedType, source: KubeObject, ns: string, why: string): Promise<void> {
    await this.d.events.record(
      w.type,
      source,
      'Warning',
      'MirrorConflict',
      `not mirrored to ${this.where(ns)}: ${why}`,
    );
  }
}

/** Our own write is not in the cache yet: retried with backoff, counted as transient. */
class CacheLagError extends KubemirrorError {
  constructor(message: string) {
    super('Transient', message);
  }
}

/** The desired mirror could not be built (strict transform failure, invalid result): not retried. */
class TargetError extends KubemirrorError {}
