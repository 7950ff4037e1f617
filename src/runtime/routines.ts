import type { Clock } from './clock.js';

/**
 * A small runtime for routines that exercise a system end to end (after coreos/khealth's routines and
 * collectors): a routine is set up once (`init`), then `poll`ed in a loop, and torn down (`cleanup`); every
 * step is an event with a time and a result, and a collector keeps the recent events and each routine's
 * current state for whoever exposes them (HTTP, metrics). Knows nothing about what the routines test.
 */

export type RoutineStep = 'init' | 'poll' | 'cleanup';

/** What a step says about itself; a step that throws is `{ ok: false, message: <the error> }`. */
export interface StepResult {
  ok: boolean;
  message?: string;
  /** a figure the step measured (e.g. a latency in seconds), kept on the event */
  value?: number;
  /** free-form detail kept on the event (keep it small: it is served as JSON) */
  detail?: Record<string, unknown>;
}

export interface Routine {
  readonly name: string;
  /** set up what the polls need; a failed init is retried after one interval, polls wait for it */
  init(signal: AbortSignal): Promise<StepResult | undefined>;
  /** one round; must finish (or fail) on its own in less than an interval, and stop when `signal` aborts */
  poll(signal: AbortSignal): Promise<StepResult>;
  /** remove what init created; only run when the runner is stopped with `cleanup: true` */
  cleanup(signal: AbortSignal): Promise<StepResult | undefined>;
}

export interface RoutineEvent {
  routine: string;
  step: RoutineStep;
  /** epoch ms the step started and finished, on the runner's clock */
  startedAt: number;
  time: number;
  ok: boolean;
  message: string;
  value?: number;
  detail?: Record<string, unknown>;
}

export interface RoutineState {
  name: string;
  phase: 'starting' | 'running' | 'stopped';
  /** the last finished step of any kind */
  last?: RoutineEvent;
  /** the last poll that succeeded / failed */
  lastSuccess?: RoutineEvent;
  lastFailure?: RoutineEvent;
  /** polls in a row that failed */
  consecutiveFailures: number;
  /** the most recent events of this routine, oldest first */
  events: RoutineEvent[];
}

/** Keeps the recent events and current state of every routine; listeners see each event as it is recorded. */
export class RoutineCollector {
  private readonly states = new Map<string, RoutineState>();
  private readonly listeners: Array<(e: RoutineEvent) => void> = [];

  constructor(private readonly keep = 20) {}

  onEvent(fn: (e: RoutineEvent) => void): void {
    this.listeners.push(fn);
  }

  phase(name: string, phase: RoutineState['phase']): void {
    this.state(name).phase = phase;
  }

  record(e: RoutineEvent): void {
    const s = this.state(e.routine);
    s.last = e;
    if (e.step === 'poll') {
      if (e.ok) {
        s.lastSuccess = e;
        s.consecutiveFailures = 0;
      } else {
        s.lastFailure = e;
        s.consecutiveFailures++;
      }
    }
    s.events.push(e);
    if (s.events.length > this.keep) s.events.splice(0, s.events.length - this.keep);
    for (const l of this.listeners) l(e);
  }

  get(name: string): RoutineState | undefined {
    const s = this.states.get(name);
    return s ? { ...s, events: [...s.events] } : undefined;
  }

  /** Every routine's state, by name (for `/status`). */
  snapshot(): Record<string, RoutineState> {
    const out: Record<string, RoutineState> = {};
    for (const name of [...this.states.keys()].sort()) out[name] = this.get(name) as RoutineState;
    return out;
  }

  private state(name: string): RoutineState {
    let s = this.states.get(name);
    if (!s) {
      s = { name, phase: 'starting', consecutiveFailures: 0, events: [] };
      this.states.set(name, s);
    }
    return s;
  }
}

export interface RunRoutineOptions {
  clock: Clock;
  collector: RoutineCollector;
  /** time between the starts of two polls (read before each wait, so it can change at run time) */
  intervalMs: () => number;
  /** stops the loop (no cleanup): e.g. the process shutting down */
  signal?: AbortSignal;
}

export interface RunningRoutine {
  /** stops polling (aborting a poll in flight), then runs `cleanup` when asked; resolves when done */
  stop(opts?: { cleanup?: boolean }): Promise<void>;
  /** resolves once init has succeeded (or the routine was stopped) */
  readonly initialised: Promise<void>;
}

/** Runs `routine`: init (retried each interval until it succeeds), then a poll each interval, never overlapping. */
export function runRoutine(routine: Routine, o: RunRoutineOptions): RunningRoutine {
  const abort = new AbortController();
  const onOuterAbort = () => abort.abort(o.signal?.reason);
  o.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let timer: unknown = null;
  let wake: (() => void) | null = null;
  let markInitialised: () => void = () => {};
  const initialised = new Promise<void>((r) => {
    markInitialised = r;
  });
  o.collector.phase(routine.name, 'starting');

  const step = async (name: RoutineStep, fn: () => Promise<StepResult | undefined>): Promise<boolean> => {
    const startedAt = o.clock.now();
    let r: StepResult;
    try {
      r = (await fn()) ?? { ok: true };
    } catch (err) {
      r = { ok: false, message: err instanceof Error ? err.message : String(err) };
    }
    o.collector.record({
      routine: routine.name,
      step: name,
      startedAt,
      time: o.clock.now(),
      ok: r.ok,
      message: r.message ?? (r.ok ? 'ok' : 'failed'),
      ...(r.value !== undefined ? { value: r.value } : {}),
      ...(r.detail !== undefined ? { detail: r.detail } : {}),
    });
    return r.ok;
  };

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = o.clock.setTimeout(() => {
        timer = null;
        wake = null;
        resolve();
      }, ms);
    });

  const loop = (async () => {
    while (!abort.signal.aborted) {
      const startedAt = o.clock.now();
      if (await step('init', () => routine.init(abort.signal))) break;
      if (abort.signal.aborted) return;
      await wait(Math.max(0, startedAt + o.intervalMs() - o.clock.now()));
    }
    if (abort.signal.aborted) return;
    markInitialised();
    o.collector.phase(routine.name, 'running');
    while (!abort.signal.aborted) {
      const startedAt = o.clock.now();
      await step('poll', () => routine.poll(abort.signal));
      if (abort.signal.aborted) return;
      await wait(Math.max(0, startedAt + o.intervalMs() - o.clock.now()));
    }
  })();

  let stopping: Promise<void> | null = null;
  return {
    initialised,
    stop: (opts = {}) => {
      stopping ??= (async () => {
        abort.abort(new Error('routine stopped'));
        o.signal?.removeEventListener('abort', onOuterAbort);
        if (timer !== null) o.clock.clearTimeout(timer);
        wake?.();
        await loop;
        markInitialised();
        if (opts.cleanup) {
          // a fresh signal: the cleanup must be allowed to finish although the loop was aborted
          await step('cleanup', () => routine.cleanup(new AbortController().signal));
        }
        o.collector.phase(routine.name, 'stopped');
      })();
      return stopping;
    },
  };
}
