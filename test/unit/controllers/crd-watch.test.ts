import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CrdWatch, crdGroup } from '../../../src/controllers/crd-watch.js';
import type { KubeObject } from '../../../src/core/types.js';
import { apiErrorFromResponse } from '../../../src/kube/api-errors.js';
import type { KubeClient } from '../../../src/kube/kube-client.js';
import type { ListPage, ListWatch } from '../../../src/runtime/list-watch.js';
import { FakeClock, until } from '../runtime/fake-clock.js';

/** A CRD as a metadata-only watch delivers it. */
const crd = (name: string, rv: string, extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  apiVersion: 'meta.k8s.io/v1',
  kind: 'PartialObjectMetadata',
  metadata: { name, resourceVersion: rv, generation: 1, ...extra },
});

/** Lists `initial` (or fails with `listError`), then exposes the open watch to the test. */
class FakeCrds implements ListWatch<KubeObject> {
  lists = 0;
  emit: ((type: string, o: unknown) => void) | null = null;
  constructor(
    private readonly initial: KubeObject[] = [],
    private readonly listError: Error | null = null,
  ) {}
  async list(): Promise<ListPage<KubeObject>> {
    this.lists++;
    if (this.listError) throw this.listError;
    return { items: this.initial, resourceVersion: '1' };
  }
  async watch(_o: unknown, onEvent: (type: string, o: unknown) => void) {
    this.emit = onEvent;
    return { abort: () => {} };
  }
}

function setup(opts: { initial?: KubeObject[]; listError?: Error; relevant?: (n: string) => boolean } = {}) {
  const clock = new FakeClock();
  const lw = new FakeCrds(opts.initial, opts.listError ?? null);
  const served = new Set<string>();
  const logs: Array<{ level: number; msg: string }> = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void logs.push(JSON.parse(s)) });
  let discoveries = 0;
  /** what the next discovery will find served */
  const onServer = new Set<string>();
  const watch = new CrdWatch({
    client: {} as KubeClient,
    listWatch: lw,
    relevant: opts.relevant ?? (() => true),
    served: (n) => served.has(n),
    rediscover: async () => {
      discoveries++;
      served.clear();
      for (const n of onServer) served.add(n);
    },
    clock,
    log,
  });
  const controller = new AbortController();
  return {
    clock,
    lw,
    watch,
    logs,
    onServer,
    served,
    controller,
    discoveries: () => discoveries,
    start: () => watch.start(controller.signal),
    /** lets the fake discovery's promise settle */
    settle: () => until(() => true).then(() => new Promise((r) => setImmediate(r))),
  };
}

describe('CrdWatch', () => {
  it('runs one discovery for a burst of CRD events, after the debounce', async () => {
    const t = setup();
    t.start();
    await until(() => t.lw.emit !== null);
    t.onServer.add('gadgets.example.com').add('gizmos.example.com');
    t.lw.emit!('ADDED', crd('gadgets.example.com', '2'));
    t.lw.emit!('ADDED', crd('gizmos.example.com', '3'));
    t.lw.emit!('MODIFIED', crd('gadgets.example.com', '4'));
    t.clock.advance(199);
    expect(t.discoveries()).toBe(0);
    t.clock.advance(1);
    await t.settle();
    expect(t.discoveries()).toBe(1);
    // discovery shows both: nothing left to retry
    t.clock.advance(60_000);
    await t.settle();
    expect(t.discoveries()).toBe(1);
    await t.watch.stop();
  });

  it('looks again while discovery does not show a new CRD yet (not yet Established), then gives up', async () => {
    const t = setup();
    t.start();
    await until(() => t.lw.emit !== null);
    t.lw.emit!('ADDED', crd('late.example.com', '2'));
    t.clock.advance(200);
    await t.settle();
    expect(t.discoveries()).toBe(1);
    t.clock.advance(1000);
    await t.settle();
    expect(t.discoveries()).toBe(2);
    t.onServer.add('late.example.com');
    t.clock.advance(2000);
    await t.settle();
    expect(t.discoveries()).toBe(3);
    t.clock.advance(60_000);
    await t.settle();
    expect(t.discoveries()).toBe(3);

    // one that never shows (e.g. not served) is looked for three more times, then left to the periodic refresh
    t.lw.emit!('ADDED', crd('never.example.com', '5'));
    for (let i = 0; i < 10; i++) {
      t.clock.advance(5000);
      await t.settle();
    }
    expect(t.discoveries()).toBe(3 + 4);
    await t.watch.stop();
  });

  it('re-discovers on removal until discovery no longer serves the CRD', async () => {
    const t = setup({ initial: [crd('gone.example.com', '1')] });
    t.served.add('gone.example.com');
    t.onServer.add('gone.example.com');
    t.start();
    await until(() => t.lw.emit !== null);
    // the initial list held only what discovery already knew: no discovery for it
    t.clock.advance(1000);
    await t.settle();
    expect(t.discoveries()).toBe(0);
    t.lw.emit!('DELETED', crd('gone.example.com', '2'));
    t.clock.advance(200);
    await t.settle();
    expect(t.discoveries()).toBe(1);
    // discovery still listed it: once more, a second later
    t.onServer.delete('gone.example.com');
    t.clock.advance(1000);
    await t.settle();
    expect(t.discoveries()).toBe(2);
    expect(t.served.has('gone.example.com')).toBe(false);
    await t.watch.stop();
  });

  it('ignores status-only changes of a CRD discovery already serves, and CRDs that are not relevant', async () => {
    const t = setup({
      initial: [crd('known.example.com', '1')],
      relevant: (n) => crdGroup(n) !== 'other.io',
    });
    t.served.add('known.example.com');
    t.onServer.add('known.example.com');
    t.start();
    await until(() => t.lw.emit !== null);
    t.lw.emit!('MODIFIED', crd('known.example.com', '2'));
    t.lw.emit!('ADDED', crd('things.other.io', '3'));
    t.clock.advance(10_000);
    await t.settle();
    expect(t.discoveries()).toBe(0);
    // a new version served bumps the generation: that may change the preferred version
    t.lw.emit!('MODIFIED', crd('known.example.com', '4', { generation: 2 }));
    t.clock.advance(200);
    await t.settle();
    expect(t.discoveries()).toBe(1);
    await t.watch.stop();
  });

  it('picks up a CRD the first list finds that discovery missed (created while discovery ran)', async () => {
    const t = setup({ initial: [crd('racy.example.com', '1')] });
    t.onServer.add('racy.example.com');
    t.start();
    await until(() => t.lw.emit !== null);
    t.clock.advance(200);
    await t.settle();
    expect(t.discoveries()).toBe(1);
    await t.watch.stop();
  });

  it('when refused (RBAC 403) warns once, stops watching, and does not try again', async () => {
    const forbidden = apiErrorFromResponse(
      403,
      { reason: 'Forbidden', code: 403, message: 'customresourcedefinitions is forbidden' },
      'GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions',
    );
    const t = setup({ listError: forbidden });
    t.start();
    await until(() => !t.watch.active());
    t.clock.advance(120_000);
    t.start();
    t.clock.advance(120_000);
    await t.settle();
    expect(t.lw.lists).toBe(1);
    const warnings = t.logs.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toContain('customresourcedefinitions.apiextensions.k8s.io');
    expect(warnings[0]!.msg).toContain('--discovery-interval');
  });
});
