import { afterInSync, afterWrite, type FightPolicy, type FightState } from '../core/fights.js';
import { mirrorContentHash } from '../core/hash.js';
import type { MirrorKeys } from '../core/keys.js';
import type { DriftVerdict } from '../core/live-drift.js';
import type { KubeObject } from '../core/types.js';

interface Remembered {
  /** what the server stored on our last write: its resourceVersion and content hash */
  resourceVersion?: string;
  hash?: string;
  fight?: FightState;
}

/**
 * What kubemirror remembers of each mirror it wrote, beyond the watch cache: the form the server stored on our
 * last write (so defaults, pruning and webhooks on the way in are not taken for drift: PlanInput.lastWrite) and
 * its fight state (core/fights.ts). Two short strings and a few numbers per mirror; lost on restart, where
 * liveDrift judges from the object and its managedFields instead. Keyed `<typeId>|<ns>/<name>`.
 */
export class MirrorMemory {
  private readonly entries = new Map<string, Remembered>();
  private readonly fightingByType = new Map<string, number>();

  constructor(
    private readonly keys: MirrorKeys,
    /** the number of mirrors of a type currently fighting changed */
    private readonly onFighting: (typeId: string, count: number) => void = () => {},
    private readonly limit = 500_000,
  ) {}

  lastWrite(
    typeId: string,
    namespace: string,
    name: string,
  ): { resourceVersion: string; hash: string } | undefined {
    const e = this.entries.get(key(typeId, namespace, name));
    return e?.resourceVersion && e.hash ? { resourceVersion: e.resourceVersion, hash: e.hash } : undefined;
  }

  fight(typeId: string, namespace: string, name: string): FightState | undefined {
    return this.entries.get(key(typeId, namespace, name))?.fight;
  }

  /**
   * After our write answered with `stored`. `repair` is the drift the write repaired (null when it carried a
   * source change or created the mirror). Returns the fight state and whether this write found the fight.
   */
  wrote(
    typeId: string,
    stored: KubeObject,
    at: number,
    repair: DriftVerdict | null,
    policy: FightPolicy,
  ): { fight: FightState; started: boolean } {
    const k = key(typeId, stored.metadata.namespace ?? '', stored.metadata.name);
    if (!this.entries.has(k) && this.entries.size >= this.limit) this.entries.clear();
    const e = this.entries.get(k) ?? {};
    const { state, started } = afterWrite(e.fight, at, repair, policy);
    this.setFight(typeId, e, state);
    e.resourceVersion = stored.metadata.resourceVersion;
    e.hash = mirrorContentHash(stored, this.keys);
    this.entries.set(k, e);
    return { fight: state, started };
  }

  /** A look found the mirror in sync; returns the fight state that remains (none once the fight is over). */
  inSync(
    typeId: string,
    namespace: string,
    name: string,
    now: number,
    policy: FightPolicy,
  ): FightState | undefined {
    const e = this.entries.get(key(typeId, namespace, name));
    if (!e?.fight) return undefined;
    this.setFight(typeId, e, afterInSync(e.fight, now, policy));
    return e.fight;
  }

  /** The mirror is gone (deleted by us). */
  forget(typeId: string, namespace: string, name: string): void {
    const k = key(typeId, namespace, name);
    const e = this.entries.get(k);
    if (e) this.setFight(typeId, e, undefined);
    this.entries.delete(k);
  }

  private setFight(typeId: string, e: Remembered, next: FightState | undefined): void {
    const was = e.fight?.fighting === true;
    const is = next?.fighting === true;
    if (next && (next.fighting || next.rounds > 0)) e.fight = next;
    else delete e.fight;
    if (was === is) return;
    const n = (this.fightingByType.get(typeId) ?? 0) + (is ? 1 : -1);
    this.fightingByType.set(typeId, n);
    this.onFighting(typeId, n);
  }
}

const key = (typeId: string, namespace: string, name: string) => `${typeId}|${namespace}/${name}`;
