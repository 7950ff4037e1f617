import { describe, expect, it } from 'vitest';
import {
  type Routine,
  RoutineCollector,
  runRoutine,
  type StepResult,
} from '../../../src/runtime/routines.js';
import { FakeClock, until } from './fake-clock.js';

/** A routine whose steps answer from scripts; each call is logged with the fake time it started at. */
function scripted(
  clock: FakeClock,
  script: { init?: Array<StepResult | Error>; poll?: Array<StepResult | Error | 'hang'> } = {},
) {
  const calls: Array<{ step: string; at: number }> = [];
  const next = <T>(list: T[] | undefined, fallback: T): T =>
    list && list.length > 0 ? (list.shift() as T) : fallback;
  const routine: Routine = {
    name: 'probe',
    init: async () => {
      calls.push({ step: 'init', at: clock.now() });
      const r = next(script.init, { ok: true } as StepResult | Error);
      if (r instanceof Error) throw r;
      return r;
    },
    poll: async (signal) => {
      calls.push({ step: 'poll', at: clock.now() });
      const r = next(script.poll, { ok: true, value: 0.5 } as StepResult | Error | 'hang');
      if (r === 'hang') {
        return new Promise<StepResult>((_, reject) =>
          signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }),
        );
      }
      if (r instanceof Error) throw r;
      return r;
    },
    cleanup: async () => {
      calls.push({ step: 'cleanup', at: clock.now() });
      return { ok: true, message: 'removed' };
    },
  };
  return { routine, calls };
}

describe('runRoutine', () => {
  it('inits once, then polls once per interval; every step is an event with its time and result', async () => {
    const clock = new FakeClock();
    const collector = new RoutineCollector();
    const { routine, calls } = scripted(clock, { poll: [{ ok: true, value: 1.5, message: 'fine' }] });
    const r = runRoutine(routine, { clock, collector, intervalMs: () => 1000 });
    await r.initialised;
    await until(() => calls.length === 2, 2000, 'first poll');
    expect(calls).toEqual([
      { step: 'init', at: 0 },
      { step: 'poll', at: 0 },
    ]);
    await until(() => clock.pending() === 1, 2000, 'next poll scheduled');
    clock.advance(999);
    expect(calls).toHaveLength(2);
    clock.advance(1);
    await until(() => calls.length === 3, 2000, 'second poll');
    expect(calls[2]).toEqual({ step: 'poll', at: 1000 });
    await until(() => collector.get('probe')?.events.length === 3, 2000, 'third event');
    const s = collector.get('probe')!;
    expect(s.phase).toBe('running');
    expect(s.events.map((e) => [e.step, e.time, e.ok])).toEqual([
      ['init', 0, true],
      ['poll', 0, true],
      ['poll', 1000, true],
    ]);
    expect(s.events[1]).toMatchObject({ message: 'fine', value: 1.5 });
    await r.stop();
    expect(collector.get('probe')?.phase).toBe('stopped');
    expect(calls.map((c) => c.step)).not.toContain('cleanup');
  });

  it('a failed init is retried after an interval and no poll runs before it succeeds', async () => {
    const clock = new FakeClock();
    const collector = new RoutineCollector();
    const { routine, calls } = scripted(clock, { init: [new Error('no namespace yet')] });
    const r = runRoutine(routine, { clock, collector, intervalMs: () => 500 });
    await until(() => clock.pending() === 1, 2000, 'init retry scheduled');
    expect(calls.map((c) => c.step)).toEqual(['init']);
    expect(collector.get('probe')?.last).toMatchObject({
      step: 'init',
      ok: false,
      message: 'no namespace yet',
    });
    expect(collector.get('probe')?.phase).toBe('starting');
    clock.advance(500);
    await r.initialised;
    await until(() => calls.length === 3, 2000, 'poll after init');
    expect(calls).toEqual([
      { step: 'init', at: 0 },
      { step: 'init', at: 500 },
      { step: 'poll', at: 500 },
    ]);
    await r.stop();
  });

  it('counts failed polls in a row, keeps the last success and failure, and recovers', async () => {
    const clock = new FakeClock();
    const collector = new RoutineCollector();
    const { routine, calls } = scripted(clock, {
      poll: [{ ok: true }, { ok: false, message: 'ns b did not get it' }, new Error('500'), { ok: true }],
    });
    const r = runRoutine(routine, { clock, collector, intervalMs: () => 100 });
    for (let i = 2; i <= 4; i++) {
      await until(() => clock.pending() === 1 && calls.length === i, 2000, `poll ${i - 1} done`);
      clock.advance(100);
    }
    await until(() => collector.get('probe')?.events.length === 5, 2000, 'fourth poll recorded');
    const s = collector.get('probe')!;
    expect(s.consecutiveFailures).toBe(0);
    expect(s.lastFailure).toMatchObject({ ok: false, message: '500', time: 200 });
    expect(s.lastSuccess).toMatchObject({ ok: true, time: 300 });
    const failures = s.events.filter((e) => !e.ok).map((e) => e.message);
    expect(failures).toEqual(['ns b did not get it', '500']);
    await r.stop();
  });

  it('the interval is read before every wait, so it can change at run time', async () => {
    const clock = new FakeClock();
    let interval = 1000;
    const { routine, calls } = scripted(clock);
    const r = runRoutine(routine, { clock, collector: new RoutineCollector(), intervalMs: () => interval });
    await until(() => clock.pending() === 1 && calls.length === 2, 2000, 'first poll');
    clock.advance(1000);
    interval = 200;
    await until(() => clock.pending() === 1 && calls.length === 3, 2000, 'second poll');
    clock.advance(200);
    await until(() => calls.length === 4, 2000, 'third poll after the shorter interval');
    expect(calls.map((c) => c.at)).toEqual([0, 0, 1000, 1200]);
    await r.stop();
  });

  it('stop aborts a poll in flight and runs cleanup only when asked', async () => {
    const clock = new FakeClock();
    const collector = new RoutineCollector();
    const { routine, calls } = scripted(clock, { poll: ['hang'] });
    const r = runRoutine(routine, { clock, collector, intervalMs: () => 1000 });
    await until(() => calls.length === 2, 2000, 'poll started');
    await r.stop({ cleanup: true });
    expect(calls.map((c) => c.step)).toEqual(['init', 'poll', 'cleanup']);
    const s = collector.get('probe')!;
    expect(s.phase).toBe('stopped');
    expect(s.events.map((e) => [e.step, e.ok, e.message])).toEqual([
      ['init', true, 'ok'],
      ['poll', false, 'aborted'],
      ['cleanup', true, 'removed'],
    ]);
    expect(clock.pending()).toBe(0);
  });

  it('the collector keeps only the most recent events and tells listeners about each one', async () => {
    const collector = new RoutineCollector(3);
    const seen: string[] = [];
    collector.onEvent((e) => seen.push(`${e.step}@${e.time}`));
    for (let t = 0; t < 5; t++)
      collector.record({ routine: 'x', step: 'poll', startedAt: t, time: t, ok: t % 2 === 0, message: '' });
    expect(collector.get('x')?.events.map((e) => e.time)).toEqual([2, 3, 4]);
    expect(seen).toEqual(['poll@0', 'poll@1', 'poll@2', 'poll@3', 'poll@4']);
    expect(Object.keys(collector.snapshot())).toEqual(['x']);
    expect(collector.get('x')?.consecutiveFailures).toBe(0);
  });
});
