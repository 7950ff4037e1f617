import { TerminalError } from '../core/errors.js';

/** What a reconcile returns: nothing / `done` = finished; `requeueAfter(ms)` = look again later. */
export type ReconcileResult = { requeueAfterMs?: number } | undefined;

export const done: ReconcileResult = Object.freeze({});

export function requeueAfter(ms: number): ReconcileResult {
  return { requeueAfterMs: ms };
}

/** The outcome label reported for every reconcile (`kubemirror_reconcile_total{result}`). */
export type ReconcileOutcome = 'success' | 'requeue' | 'error' | 'terminal';

export const RECONCILE_OUTCOMES: readonly ReconcileOutcome[] = ['success', 'requeue', 'error', 'terminal'];

/** The part of the work queue the decision needs. */
export interface RequeueTarget<K> {
  forget(key: K): void;
  addAfter(key: K, ms: number): void;
  addRateLimited(key: K): void;
}

/** How a reconcile ended: its returned value (a `ReconcileResult` or nothing), or what it threw. */
export type Settled = { ok: true; value: ReconcileResult | unknown } | { ok: false; error: unknown };

/**
 * The one place that decides what happens to a key after its reconcile:
 * - returned done → forget its backoff;
 * - returned `{ requeueAfterMs }` → forget its backoff and add it again after that delay;
 * - threw `TerminalError` → forget, no retry (only a change to the input can help; the caller reports it);
 * - threw anything else → retry with the key's exponential backoff.
 */
export function settleReconcile<K>(queue: RequeueTarget<K>, key: K, settled: Settled): ReconcileOutcome {
  if (settled.ok) {
    queue.forget(key);
    const after = (settled.value as ReconcileResult)?.requeueAfterMs;
    if (after !== undefined && Number.isFinite(after) && after >= 0) {
      queue.addAfter(key, after);
      return 'requeue';
    }
    return 'success';
  }
  if (settled.error instanceof TerminalError) {
    queue.forget(key);
    return 'terminal';
  }
  queue.addRateLimited(key);
  return 'error';
}
