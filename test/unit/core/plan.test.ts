import { describe, expect, it } from 'vitest';
import { DEFAULT_STRIP_KEYS } from '../../../src/config/config.js';
import { buildDesiredMirror } from '../../../src/core/desired-mirror.js';
import { mirrorKeys } from '../../../src/core/keys.js';
import { type Action, type PlanInput, planSource } from '../../../src/core/plan.js';
import type { KubeObject } from '../../../src/core/types.js';
import { aSource, asLive } from '../../helpers/builders.js';

const keys = mirrorKeys();
const now = () => new Date('2026-01-01T00:00:00Z');
const v1 = aSource().inNamespace('platform').named('tls').withUid('uid-1').build();
const v2 = aSource()
  .inNamespace('platform')
  .named('tls')
  .withUid('uid-1')
  .withBody({ data: { token: 'djI=' } })
  .build();
const desiredOf = (src: KubeObject) => (ns: string) =>
  buildDesiredMirror(src, ns, { keys, stripKeys: DEFAULT_STRIP_KEYS, now });
const liveMirror = (src: KubeObject, ns: string) =>
  asLive(desiredOf(src)(ns).mirror, { resourceVersion: `rv-${ns}` });
const isLive = (ns: string, name: string, uid: string) =>
  `${ns}/${name}/${uid}` === 'platform/tls/uid-1' || uid === 'uid-other';

function plan(over: Partial<PlanInput>): Action[] {
  return planSource({
    source: v1,
    targets: [],
    desired: desiredOf(v1),
    existingMirrors: [],
    keys,
    isSourceLive: isLive,
    ...over,
  });
}

const summary = (actions: Action[]) => actions.map((a) => `${a.namespace}:${a.type}`);

function edit(obj: KubeObject, f: (o: KubeObject) => void): KubeObject {
  const c = structuredClone(obj);
  f(c);
  return c;
}

describe('planSource: one action per behaviour', () => {
  const inSync = liveMirror(v1, 'app-1');
  const secretOther = aSource().inNamespace('infra').named('tls').withUid('uid-other').build();
  const cases: Array<[string, Partial<PlanInput>, string[], RegExp?]> = [
    ['create when no live object', { targets: ['app-1'] }, ['app-1:create'], /missing/],
    ['noop when in sync', { targets: ['app-1'], existingMirrors: [inSync] }, ['app-1:noop'], /in sync/],
    [
      'update when the source changed',
      { source: v2, desired: desiredOf(v2), targets: ['app-1'], existingMirrors: [inSync] },
      ['app-1:update'],
      /source changed/,
    ],
    [
      'update when the mirror was edited (drift)',
      { targets: ['app-1'], existingMirrors: [edit(inSync, (o) => (o.data = { token: 'aGFja2Vk' }))] },
      ['app-1:update'],
      /edited/,
    ],
    [
      'update when someone edited the hash annotation only',
      {
        targets: ['app-1'],
        existingMirrors: [edit(inSync, (o) => (o.metadata.annotations![keys.contentHash] = 'x'))],
      },
      ['app-1:update'],
      /source changed/,
    ],
    [
      'update (adopt) a mirror of the re-created source',
      {
        targets: ['app-1'],
        existingMirrors: [liveMirror({ ...v1, metadata: { ...v1.metadata, uid: 'uid-0' } }, 'app-1')],
      },
      ['app-1:update'],
      /adopting/,
    ],
    [
      'recreate when the Secret type changes',
      {
        targets: ['app-1'],
        existingMirrors: [inSync],
        desired: desiredOf(edit(v1, (o) => (o.type = 'kubernetes.io/tls'))),
      },
      ['app-1:recreate'],
      /type is immutable/,
    ],
    [
      'recreate an immutable mirror whose content changed',
      {
        source: v2,
        desired: desiredOf(edit(v2, (o) => (o.immutable = true))),
        targets: ['app-1'],
        existingMirrors: [
          liveMirror(
            edit(v1, (o) => (o.immutable = true)),
            'app-1',
          ),
        ],
      },
      ['app-1:recreate'],
      /immutable/,
    ],
    [
      'noop for an immutable mirror in sync',
      {
        desired: desiredOf(edit(v1, (o) => (o.immutable = true))),
        targets: ['app-1'],
        existingMirrors: [
          liveMirror(
            edit(v1, (o) => (o.immutable = true)),
            'app-1',
          ),
        ],
      },
      ['app-1:noop'],
    ],
    [
      'conflict with an unmanaged object',
      {
        targets: ['app-1'],
        existingMirrors: [
          asLive({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tls', namespace: 'app-1' } }),
        ],
      },
      ['app-1:conflict'],
      /not managed/,
    ],
    [
      'conflict with a mirror of another live source',
      { targets: ['app-1'], existingMirrors: [liveMirror(secretOther, 'app-1')] },
      ['app-1:conflict'],
      /infra\/tls/,
    ],
    [
      'delete our mirror in a namespace no longer targeted',
      { targets: ['app-1'], existingMirrors: [inSync, liveMirror(v1, 'app-2')] },
      ['app-1:noop', 'app-2:delete'],
      undefined,
    ],
    [
      'a copy of our mirror (same labels and annotations, not written by kubemirror) where no mirror is wanted: left alone, reported',
      {
        targets: [],
        existingMirrors: [
          edit(liveMirror(v1, 'app-2'), (o) => {
            (o.metadata as { managedFields?: unknown }).managedFields = [
              { manager: 'kubectl-client-side-apply', operation: 'Update', fieldsV1: { 'f:metadata': {} } },
            ];
          }),
        ],
      },
      ['app-2:conflict'],
      /not written by kubemirror/,
    ],
    [
      'never delete a foreign mirror in an untargeted namespace',
      { targets: [], existingMirrors: [liveMirror(secretOther, 'app-2')] },
      [],
    ],
    [
      'never delete an old-uid mirror (not provably ours; orphan collection handles it)',
      {
        targets: [],
        existingMirrors: [liveMirror({ ...v1, metadata: { ...v1.metadata, uid: 'uid-0' } }, 'app-2')],
      },
      [],
    ],
    [
      'error when the desired mirror fails',
      { targets: ['app-1'], desired: () => ({ error: 'strict transform failed' }) },
      ['app-1:error'],
      /strict/,
    ],
    [
      'error when the desired function throws',
      {
        targets: ['app-1'],
        desired: () => {
          throw new Error('kaboom');
        },
      },
      ['app-1:error'],
      /kaboom/,
    ],
    [
      'noop while a live mirror is being deleted',
      {
        targets: ['app-1'],
        existingMirrors: [edit(inSync, (o) => (o.metadata.deletionTimestamp = '2026-01-01T00:00:00Z'))],
      },
      ['app-1:noop'],
      /being deleted/,
    ],
    [
      'nothing at all for a refused target result (no creates, updates or deletes)',
      {
        targets: {
          ok: false,
          reason: 'TooManyTargets',
          count: 140,
          message: '140 targets exceed max-targets 100',
        },
        source: v2,
        desired: desiredOf(v2),
        existingMirrors: [inSync, liveMirror(v1, 'app-2')],
      },
      [],
    ],
    [
      'an ok target result is used like a list',
      { targets: { ok: true, targets: ['app-2', 'app-1'] }, existingMirrors: [inSync] },
      ['app-1:noop', 'app-2:create'],
    ],
    [
      'objects with another name are ignored',
      { targets: ['app-1'], existingMirrors: [edit(inSync, (o) => (o.metadata.name = 'other'))] },
      ['app-1:create'],
    ],
  ];

  it.each(cases)('%s', (_n, input, expected, reason) => {
    const actions = plan(input);
    expect(summary(actions)).toEqual(expected);
    if (reason) expect(actions[0]!.reason).toMatch(reason);
  });
});

describe('planSource: action payloads', () => {
  it('update carries the live mirror (its resourceVersion guards the write), the desired mirror and its hash', () => {
    const [a] = plan({
      source: v2,
      desired: desiredOf(v2),
      targets: ['app-1'],
      existingMirrors: [liveMirror(v1, 'app-1')],
    });
    expect(a?.type).toBe('update');
    if (a?.type !== 'update') return;
    expect(a.live.metadata.resourceVersion).toBe('rv-app-1');
    expect(a.desired.metadata.namespace).toBe('app-1');
    expect(a.desired.metadata.annotations?.[keys.contentHash]).toBe(a.hash);
    expect(a.drift).toBe(false);
  });

  it('drift update is flagged as drift, naming the field and the manager that added it', () => {
    const live = edit(liveMirror(v1, 'app-1'), (o) => {
      o.metadata.labels!.x = 'y';
      (o.metadata as { managedFields?: unknown }).managedFields = [
        {
          manager: 'kubectl-label',
          operation: 'Update',
          fieldsV1: { 'f:metadata': { 'f:labels': { 'f:x': {} } } },
        },
      ];
    });
    const [a] = plan({ targets: ['app-1'], existingMirrors: [live] });
    expect(a?.type === 'update' && a.drift).toBe(true);
    if (a?.type !== 'update') return;
    expect(a.verdict).toEqual({ drift: true, fields: ['metadata.labels.x'], managers: ['kubectl-label'] });
  });

  it('a label nobody owns (added by an admission webhook on our write) is not drift', () => {
    const live = edit(liveMirror(v1, 'app-1'), (o) => (o.metadata.labels!.injected = 'yes'));
    expect(plan({ targets: ['app-1'], existingMirrors: [live] })[0]).toMatchObject({
      type: 'noop',
      reason: 'in sync',
    });
  });

  it('a mirror still at the resourceVersion of our last write is in sync, whatever the server stored', () => {
    const live = edit(liveMirror(v1, 'app-1'), (o) => {
      o.data = { other: 'c2VydmVyLXNpZGU=' };
    });
    const lastWrite = () => ({ resourceVersion: 'rv-app-1' });
    expect(plan({ targets: ['app-1'], existingMirrors: [live], lastWrite })[0]).toMatchObject({
      type: 'noop',
    });
    expect(plan({ targets: ['app-1'], existingMirrors: [live] })[0]).toMatchObject({
      type: 'update',
      drift: true,
    });
  });

  it('a drifted mirror that is fighting waits for its hold to end, then is repaired', () => {
    const live = edit(liveMirror(v1, 'app-1'), (o) => (o.data = { ...(o.data as object), extra: 'eA==' }));
    const fight = () => ({
      rounds: 3,
      lastWriteAt: 1000,
      fighting: true,
      holdUntil: 5000,
      managers: ['rev-bot'],
      fields: ['data.extra'],
    });
    expect(plan({ targets: ['app-1'], existingMirrors: [live], fight, now: 4000 })[0]).toMatchObject({
      type: 'fight',
      retryAt: 5000,
    });
    expect(plan({ targets: ['app-1'], existingMirrors: [live], fight, now: 5000 })[0]).toMatchObject({
      type: 'update',
      drift: true,
    });
  });

  it('delete carries the live object (its uid guards the delete)', () => {
    const live = liveMirror(v1, 'app-9');
    const [a] = plan({ targets: [], existingMirrors: [live] });
    expect(a).toMatchObject({
      type: 'delete',
      namespace: 'app-9',
      live: { metadata: { uid: live.metadata.uid } },
    });
  });

  it('does not compute the desired mirror for conflicting targets', () => {
    const seen: string[] = [];
    plan({
      targets: ['app-1', 'app-2'],
      existingMirrors: [
        asLive({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tls', namespace: 'app-1' } }),
      ],
      desired: (ns) => {
        seen.push(ns);
        return desiredOf(v1)(ns);
      },
    });
    expect(seen).toEqual(['app-2']);
  });

  it('is deterministic and sorted by namespace whatever the input order', () => {
    const input: Partial<PlanInput> = {
      targets: ['c', 'a', 'b'],
      existingMirrors: [liveMirror(v1, 'z'), liveMirror(v1, 'b'), liveMirror(v1, 'y')],
    };
    const first = plan(input);
    expect(summary(first)).toEqual(['a:create', 'b:noop', 'c:create', 'y:delete', 'z:delete']);
    expect(
      plan({ ...input, targets: ['b', 'c', 'a'], existingMirrors: [...input.existingMirrors!].reverse() }),
    ).toEqual(first);
  });
});
