import { describe, expect, it } from 'vitest';
import { Informer, type RestartReason } from '../../../src/runtime/informer.js';
import type { ListOptions, ListPage, ListWatch, WatchOptions } from '../../../src/runtime/list-watch.js';
import { until } from './fake-clock.js';

interface Obj {
  metadata: { name: string; namespace?: string; resourceVersion?: string };
}

const obj = (name: string, rv: string): Obj => ({ metadata: { name, namespace: 'ns', resourceVersion: rv } });

/** A scripted ListWatch: `lists` answers list calls in order, each open watch is exposed to the test. */
class FakeListWatch implements ListWatch<Obj> {
  lists: Array<(o: ListOptions) => ListPage<Obj> | Error> = [];
  listCalls: ListOptions[] = [];
  watchCalls: WatchOptions[] = [];
  current: { emit: (type: string, o: unknown) => void; end: (err?: unknown) => void } | null = null;
  refuseWith: Error | null = null;

  async list(o: ListOptions): Promise<ListPage<Obj>> {
    this.listCalls.push(o);
    const next = this.lists.shift();
    if (!next) throw new Error('unexpected list');
    const r = next(o);
    if (r instanceof Error) throw r;
    return r;
  }

  async watch(o: WatchOptions, onEvent: (t: string, o: unknown) => void, onDone: (err?: unknown) => void) {
    this.watchCalls.push(o);
    if (this.refuseWith) {
      onDone(this.refuseWith);
      return { abort: () => {} };
    }
    this.current = { emit: onEvent, end: onDone };
    return { abort: () => {} };
  }
}

/** what the Kubernetes edge hands the informer: an error carrying the HTTP status as `code` (ApiError) */
const httpError = (code: number) => Object.assign(new Error(`HTTP ${code}`), { code });

function setup(lw: FakeListWatch) {
  const events: string[] = [];
  const restarts: RestartReason[] = [];
  const handlerErrors: unknown[] = [];
  const inf = new Informer<Obj>({
    listWatch: lw,
    restartBackoff: { baseMs: 1, maxMs: 5 },
    onRestart: (r) => restarts.push(r),
    onHandlerError: (e) => handlerErrors.push(e),
  });
  inf.onAdd((o) => events.push(`add ${o.metadata.name}`));
  inf.onUpdate((a, b) =>
    events.push(`update ${a.metadata.name} ${a.metadata.resourceVersion}->${b.metadata.resourceVersion}`),
  );
  inf.onDelete((o) => events.push(`delete ${o.metadata.name}`));
  return { inf, events, restarts, handlerErrors };
}

describe('Informer (fake ListWatch)', () => {
  it('treats a watch ending with code 410 as Gone: relists and emits only the difference', async () => {
    const lw = new FakeListWatch();
    lw.lists.push(() => ({ items: [obj('a', '1'), obj('b', '2')], resourceVersion: '10' }));
    lw.lists.push(() => ({ items: [obj('a', '1'), obj('b', '7'), obj('c', '8')], resourceVersion: '20' }));
    const { inf, events, restarts } = setup(lw);
    inf.start();
    await until(() => lw.current !== null);
    expect(lw.watchCalls[0]).toMatchObject({ resourceVersion: '10', allowWatchBookmarks: true });
    lw.current!.emit('BOOKMARK', { metadata: { resourceVersion: '15' } });
    expect(inf.lastResourceVersion()).toBe('15');
    events.length = 0;
    lw.current!.end(httpError(410));
    await until(() => lw.watchCalls.length === 2);
    expect(restarts).toEqual(['gone']);
    expect(events).toEqual(['update b 2->7', 'add c']);
    expect(lw.watchCalls[1]!.resourceVersion).toBe('20');
    await inf.stop();
  });

  it('starts over unpaginated when a continue token expires mid-list', async () => {
    const lw = new FakeListWatch();
    lw.lists.push(() => ({ items: [obj('a', '1')], resourceVersion: '5', continue: 'tok' }));
    lw.lists.push(() => httpError(410));
    lw.lists.push(() => ({ items: [obj('a', '1'), obj('b', '2')], resourceVersion: '9' }));
    const { inf, events } = setup(lw);
    inf.start();
    await inf.waitForSync();
    expect(lw.listCalls.map((c) => [c.limit, c.continue])).toEqual([
      [500, undefined],
      [500, 'tok'],
      [undefined, undefined],
    ]);
    expect(events).toEqual(['add a', 'add b']);
    await inf.stop();
  });

  it('retries a failing list, marks itself broken, and is not synced until a list succeeds', async () => {
    const lw = new FakeListWatch();
    lw.lists.push(
      () => httpError(500),
      () => httpError(500),
    );
    lw.lists.push(() => ({ items: [], resourceVersion: '3' }));
    const { inf, restarts } = setup(lw);
    inf.start();
    await until(() => restarts.length === 2);
    expect(inf.brokenSince()).not.toBeNull();
    await inf.waitForSync();
    await until(() => lw.current !== null);
    await until(() => inf.brokenSince() === null);
    expect(restarts).toEqual(['error', 'error']);
    await inf.stop();
  });

  it('says it is forbidden while lists are refused with 403 (RBAC), keeps retrying, and picks a later grant up', async () => {
    const lw = new FakeListWatch();
    // refused until the test grants the verb
    lw.lists = Array.from({ length: 1000 }, () => () => httpError(403));
    const { inf, restarts } = setup(lw);
    expect(inf.isForbidden()).toBe(false);
    inf.start();
    await until(() => restarts.length >= 2);
    expect(inf.isForbidden()).toBe(true);
    expect(inf.hasSynced()).toBe(false);
    lw.lists = [() => ({ items: [obj('a', '1')], resourceVersion: '4' })];
    await inf.waitForSync();
    expect(inf.isForbidden()).toBe(false);
    await inf.stop();
  });

  it('is not "forbidden" for other list errors', async () => {
    const lw = new FakeListWatch();
    lw.lists.push(() => httpError(500));
    lw.lists.push(() => ({ items: [], resourceVersion: '2' }));
    const { inf, restarts } = setup(lw);
    inf.start();
    await until(() => restarts.length === 1);
    expect(inf.isForbidden()).toBe(false);
    await inf.waitForSync();
    await inf.stop();
  });

  it('keeps going when a handler throws', async () => {
    const lw = new FakeListWatch();
    lw.lists.push(() => ({ items: [], resourceVersion: '1' }));
    const { inf, events, handlerErrors } = setup(lw);
    inf.onAdd(() => {
      throw new Error('handler bug');
    });
    inf.start();
    await until(() => lw.current !== null);
    lw.current!.emit('ADDED', obj('x', '2'));
    lw.current!.emit('ADDED', obj('y', '3'));
    expect(events).toEqual(['add x', 'add y']);
    expect(handlerErrors).toHaveLength(2);
    expect(inf.get('ns/y')).toBeDefined();
    await inf.stop();
  });

  it('re-watches from the last seen resourceVersion when the stream closes', async () => {
    const lw = new FakeListWatch();
    lw.lists.push(() => ({ items: [], resourceVersion: '1' }));
    const { inf, restarts } = setup(lw);
    inf.start();
    await until(() => lw.current !== null);
    lw.current!.emit('ADDED', obj('x', '42'));
    lw.current!.end();
    await until(() => lw.watchCalls.length === 2);
    expect(restarts).toEqual(['closed']);
    expect(lw.watchCalls[1]!.resourceVersion).toBe('42');
    expect(lw.listCalls).toHaveLength(1);
    await inf.stop();
  });

  it('waitForSync rejects when its signal aborts first', async () => {
    const lw = new FakeListWatch();
    const { inf } = setup(lw);
    const ctl = new AbortController();
    const p = inf.waitForSync(ctl.signal);
    ctl.abort(new Error('shutting down'));
    await expect(p).rejects.toThrow('shutting down');
  });
});
