import type { DriftVerdict } from './live-drift.js';

/**
 * A fight: another writer keeps changing a mirror right after kubemirror wrote it (a controller that owns a
 * field of the copy, a webhook that rewrites it, a GitOps tool that holds the same object). Repairing every
 * time would make the two ping-pong at API speed; never repairing would leave real drift in place. So repairs
 * that follow our previous write within `windowMs`, `rounds` times running, make the mirror "fighting": from
 * then on each repair waits `baseMs`, doubling per round, up to `maxMs` (the resync period). The fight ends by
 * itself when a look at least `windowMs` after our last write finds the mirror in sync.
 */
export interface FightPolicy {
  windowMs: number;
  rounds: number;
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_FIGHT_POLICY: FightPolicy = {
  windowMs: 60_000,
  rounds: 3,
  baseMs: 120_000,
  maxMs: 10 * 60_000,
};

export interface FightState {
  /** repairs in a row, each soon after our previous write */
  rounds: number;
  /** epoch ms of our last write of this mirror */
  lastWriteAt: number;
  fighting: boolean;
  /** while fighting: no repair before this (epoch ms) */
  holdUntil: number;
  /** the other writer(s), from managedFields, and the fields they change */
  managers: string[];
  fields: string[];
}

/**
 * The state after one of our writes. `repair` is the drift it repaired, or null for a write that carried a
 * source change (which only moves `lastWriteAt`). `started` is true on the write that found the fight.
 */
export function afterWrite(
  prev: FightState | undefined,
  at: number,
  repair: DriftVerdict | null,
  policy: FightPolicy,
): { state: FightState; started: boolean } {
  if (!repair) {
    const state = prev
      ? { ...prev, lastWriteAt: at }
      : { rounds: 0, lastWriteAt: at, fighting: false, holdUntil: 0, managers: [], fields: [] };
    return { state, started: false };
  }
  const soon = prev !== undefined && at - prev.lastWriteAt <= policy.windowMs;
  const rounds = prev?.fighting || soon ? (prev?.rounds ?? 0) + 1 : 1;
  const fighting = rounds >= policy.rounds;
  const hold = fighting ? Math.min(policy.baseMs * 2 ** (rounds - policy.rounds), policy.maxMs) : 0;
  return {
    state: {
      rounds,
      lastWriteAt: at,
      fighting,
      holdUntil: fighting ? at + hold : 0,
      managers: repair.managers,
      fields: repair.fields,
    },
    started: fighting && !prev?.fighting,
  };
}

/** The state after a look that found the mirror in sync: forgotten once quiet for a window (the fight is over). */
export function afterInSync(
  prev: FightState | undefined,
  now: number,
  policy: FightPolicy,
): FightState | undefined {
  if (!prev) return undefined;
  return now - prev.lastWriteAt >= policy.windowMs ? undefined : prev;
}

/** `app-1 (kube-controller-manager)`: who the mirror fights with, for the status line. */
export function fightLabel(namespace: string, state: Pick<FightState, 'managers'>): string {
  return `${namespace} (${state.managers.length > 0 ? state.managers.join(', ') : 'unknown writer'})`;
}
