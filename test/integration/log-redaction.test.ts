import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControllerHarness as Harness, startAnyHarness } from '../helpers/any-harness.js';
import { waitFor } from '../helpers/wait.js';
import { secret } from './scenarios.js';

/**
 * SPEC §5: Secret data never appears in logs. A Secret with distinctive values goes through every flow that
 * logs or records something (create, source edit, drift repair, a conflict with a foreign Secret, an
 * immutable mirror recreated after a 422) with the controller at debug level; then no value — raw or
 * base64 — may be found in any log line, Event, sync-status or /status output.
 */

const T = 'kubemirror.io/target-namespaces';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const marker = (what: string) => `KMREDACT-${what}-${randomBytes(8).toString('hex')}`;

describe('Secret data never reaches logs or Events', () => {
  let h: Harness;
  const markers = {
    data: marker('data'),
    stringData: marker('stringdata'),
    edited: marker('edited'),
    drift: marker('drift'),
    foreign: marker('foreign'),
    immutable: marker('immutable'),
    immutable2: marker('immutable2'),
  };
  /** every forbidden string: each marker and its base64 */
  const forbidden = Object.values(markers).flatMap((m) => [m, b64(m)]);

  beforeAll(async () => {
    h = await startAnyHarness();
    for (const n of ['rd-src', 'rd-a', 'rd-b']) await h.kube.namespace(n);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('create, source edit, drift repair and conflict flows run at debug level', async () => {
    // a foreign Secret holds the name in rd-b: a conflict the controller reports
    await h.kube.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'marked', namespace: 'rd-b' },
      type: 'Opaque',
      data: { mine: b64(markers.foreign) },
    });
    await h.kube.create(
      secret(
        'rd-src',
        'marked',
        // a rule that cannot apply (data.token is a string): skipped, logged at debug and warn
        { [T]: 'rd-a,rd-b', 'kubemirror.io/transform': 'rules:\n- path: data.token.sub\n  value: x\n' },
        { token: b64(markers.data) },
        { stringData: { password: markers.stringData } },
      ),
    );
    await h.expectStatus('v1', 'Secret', 'rd-src', 'marked', (l) => l.startsWith('Partial 1/2: 1 conflict'));
    const mirror = await h.kube.get('v1', 'Secret', 'rd-a', 'marked');
    expect(mirror?.data).toEqual({ token: b64(markers.data), password: b64(markers.stringData) });

    // the source changes: the mirror follows
    await h.kube.mergePatch('v1', 'Secret', 'rd-src', 'marked', { data: { token: b64(markers.edited) } });
    await waitFor(
      'mirror carries the edited value',
      () => h.kube.get('v1', 'Secret', 'rd-a', 'marked'),
      (o) => (o?.data as Record<string, string>)?.token === b64(markers.edited),
    );

    // someone edits the mirror: the edit is reverted
    await h.kube.mergePatch('v1', 'Secret', 'rd-a', 'marked', { data: { token: b64(markers.drift) } });
    await waitFor(
      'drift reverted',
      () => h.kube.get('v1', 'Secret', 'rd-a', 'marked'),
      (o) => (o?.data as Record<string, string>)?.token === b64(markers.edited),
    );
  });

  it('an immutable mirror replaced with new data (422, delete and recreate)', async () => {
    await h.kube.create(
      secret('rd-src', 'frozen', { [T]: 'rd-a' }, { v: b64(markers.immutable) }, { immutable: true }),
    );
    await h.expectMirrorsIn('v1', 'Secret', 'frozen', ['rd-a']);
    // the source is immutable too: re-create it (without our finalizer) holding new data
    await h.whileStopped(async () => {
      await h.kube.forceDelete('v1', 'Secret', 'rd-src', 'frozen');
      await h.kube.create(
        secret('rd-src', 'frozen', { [T]: 'rd-a' }, { v: b64(markers.immutable2) }, { immutable: true }),
      );
    });
    await waitFor(
      'mirror recreated with the new data',
      () => h.kube.get('v1', 'Secret', 'rd-a', 'frozen'),
      (o) => (o?.data as Record<string, string>)?.v === b64(markers.immutable2),
    );
    // it went through the recreate path (the one that logs the API server's rejection)
    await waitFor(
      'a MirrorRecreated Event',
      () => h.kube.list('v1', 'Event', 'rd-src'),
      (es) => es.some((e) => e.reason === 'MirrorRecreated'),
    );
  });

  it('no marker, raw or base64, appears in logs, Events, sync-status or /status', async () => {
    // the flows above really were logged at debug level (a test that logs nothing proves nothing)
    const parsed = h.logs.map((l) => JSON.parse(l) as { level: string; msg: string });
    expect(parsed.some((l) => l.level === 'debug' && l.msg === 'transform rule skipped')).toBe(true);
    expect(h.logs.some((l) => l.includes('marked') && l.includes('mirror updated'))).toBe(true);

    const leaks = (where: string, texts: string[]) =>
      texts.flatMap((t, i) =>
        forbidden
          .filter((f) => t.includes(f))
          .map((f) => `${where}[${i}] contains marker #${forbidden.indexOf(f)}`),
      );
    const events = await h.kube.list('v1', 'Event');
    expect(events.length).toBeGreaterThan(0);
    const sources = await h.kube.list('v1', 'Secret', 'rd-src');
    const status = await (await fetch(`http://${h.running!.http.probeAddress}/status`)).text();
    // never print a leaking line itself: it holds the secret
    expect([
      ...leaks('log', h.logs),
      ...leaks(
        'event',
        events.map((e) => JSON.stringify({ message: e.message, reason: e.reason, note: e.note })),
      ),
      ...leaks(
        'sync-status',
        sources.map((s) => s.metadata.annotations?.['kubemirror.io/sync-status'] ?? ''),
      ),
      ...leaks('/status', [status]),
    ]).toEqual([]);
  });
});
