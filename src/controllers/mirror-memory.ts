import { afterInSync, afterWrite, type FightPolicy, type FightState } from '../core/fights.js';
import type { DriftVerdict } from '../core/live-drift.js';
import type { KubeObject } from '../core/types.js';

interface Remembered {
  /** the resourceVersion the server gave our last write */
  resourceVersion?: string;
  fight?: FightState;
  /** the desired hash the API server refused (400/422), and the short reason */
  refused?: { hash: string; reason: string };
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
  /** keys with a refusal, so a namespace event does not scan every mirror */
  private readonly refusedKeys = new Set<string>();

  constructor(
    /** the number of mirrors of a type currently fighting changed */
    private readonly onFighting: (typeId: string, count: number) => void = () => {},
    private readonly limit = 500_000,
  ) {}

  lastWrite(typeId: string, namespace: string, name: string): { resourceVersion: string } | undefined {
    const e = this.entries.get(key(typeId, namespace, name));
    return e?.resourceVersion ? { resourceVersion: e.resourceVersion } : undefined;
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
    if (!this.entries.has(k) && this.entries.size >= this.limit) this.clear();
    const e = this.entries.get(k) ?? {};
    const { state, started } = afterWrite(e.fight, at, repair, policy);
    this.setFight(typeId, e, state);
    e.resourceVersion = stored.metadata.resourceVersion;
    delete e.refused;
    this.refusedKeys.delete(k);
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

  /** The API server refused this desired mirror (400/422): it is not sent again while it stays the same. */
  refuse(typeId: string, namespace: string, name: string, hash: string, reason: string): void {
    const k = key(typeId, namespace, name);
    if (!this.entries.has(k) && this.entries.size >= this.limit) this.clear();
    const e = this.entries.get(k) ?? {};
    e.refused = { hash, reason };
    this.entries.set(k, e);
    this.refusedKeys.add(k);
  }

  refusal(typeId: string, namespace: string, name: string): { hash: string; reason: string } | undefined {
    return this.entries.get(key(typeId, namespace, name))?.refused;
  }

  /** A namespace changed (labels, policy): what its server refused may be accepted now. */
  forgetRefusals(namespace: string): void {
    for (const k of this.refusedKeys) {
      if (!k.includes(`|${namespace}/`)) continue;
      const e = this.entries.get(k);
      if (e) delete e.refused;
      this.refusedKeys.delete(k);
    }
  }

  /** The mirror is gone (deleted by us). */
  forget(typeId: string, namespace: string, name: string): void {
    const k = key(typeId, namespace, name);
    const e = this.entries.get(k);
    if (e) this.setFight(typeId, e, undefined);
    this.entries.delete(k);
    this.refusedKeys.delete(k);
  }

  /** Over the limit (mirrors that vanished while we were not looking): start over, as after a restart. */
  private clear(): void {
    this.entries.clear();
    this.refusedKeys.clear();
    for (const [typeId, n] of this.fightingByType) if (n !== 0) this.onFighting(typeId, 0);
    this.fightingByType.clear();
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
