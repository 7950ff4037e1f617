import { describe, expect, it } from 'vitest';
import { DEFAULT_STRIP_KEYS } from '../../../src/config/config.js';
import {
  type DecideConfig,
  type Decision,
  decide,
  decideGone,
  failedReport,
  predictedOutcome,
  type SourceSnapshot,
  syncReport,
} from '../../../src/core/decide.js';
import { buildDesiredMirror } from '../../../src/core/desired-mirror.js';
import { mirrorKeys } from '../../../src/core/keys.js';
import { compileTransform } from '../../../src/core/transform/index.js';
import type { KubeObject, NamespaceInfo } from '../../../src/core/types.js';
import { aSource, asLive, namespaces } from '../../helpers/builders.js';

/** decide(snapshot) without a cluster: every branch of the source decision, the gone-source decision, reports. */

const keys = mirrorKeys();
const now = () => new Date('2026-01-01T00:00:00Z');
const NS = namespaces('app-1', 'app-2', 'app-3', 'platform', 'kube-system');
const config: DecideConfig = {
  keys,
  policy: {
    keys,
    excludedNamespaces: [],
    includedNamespaces: [],
    systemNamespaces: ['kube-system'],
    maxTargets: 100,
  },
  sourceNamespaces: [],
  finalizers: true,
  stripKeys: DEFAULT_STRIP_KEYS,
};

const source = aSource().inNamespace('platform').named('tls').withTargets('app-*').fromServer().build();
const withFinalizer = (s: KubeObject): KubeObject => ({
  ...s,
  metadata: { ...s.metadata, finalizers: [keys.finalizer] },
});
const mirrorOf = (s: KubeObject, ns: string) =>
  asLive(buildDesiredMirror(s, ns, { keys, stripKeys: DEFAULT_STRIP_KEYS, now }).mirror);

function snapshot(over: Partial<SourceSnapshot> = {}): SourceSnapshot {
  const nsList: NamespaceInfo[] = (over.namespaces as NamespaceInfo[] | undefined) ?? NS;
  return {
    source: withFinalizer(source),
    denied: null,
    transform: { ok: true, program: null },
    namespaces: nsList,
    namespace: (n) => nsList.find((x) => x.name === n),
    live: [],
    isSourceLive: (ns, name, uid) => ns === 'platform' && name === 'tls' && uid === source.metadata.uid,
    config,
    now,
    ...over,
  };
}

const targetsOf = (d: Decision) =>
  d.type === 'sync' ? d.actions.map((a) => `${a.namespace}:${a.type}`) : [];

describe('decide: what happens to a source', () => {
  const cases: Array<[string, Partial<SourceSnapshot>, (d: Decision) => void]> = [
    [
      'a new source: finalizer first, then a create per target',
      { source },
      (d) => {
        expect(d).toMatchObject({ type: 'sync', addFinalizer: true, wanted: 3 });
        expect(targetsOf(d)).toEqual(['app-1:create', 'app-2:create', 'app-3:create']);
      },
    ],
    [
      'finalizers off: no finalizer added',
      { source, config: { ...config, finalizers: false } },
      (d) => expect(d).toMatchObject({ type: 'sync', addFinalizer: false }),
    ],
    [
      'in sync everywhere: noop per target, nothing to write',
      {
        live: ['app-1', 'app-2', 'app-3'].map((ns) => mirrorOf(withFinalizer(source), ns)),
      },
      (d) => expect(targetsOf(d)).toEqual(['app-1:noop', 'app-2:noop', 'app-3:noop']),
    ],
    [
      'sync turned off: cleanup of every provable mirror, then the finalizer',
      {
        source: withFinalizer({
          ...source,
          metadata: { ...source.metadata, annotations: { [keys.sync]: 'false' } },
        }),
        live: [
          mirrorOf(source, 'app-1'),
          mirrorOf({ ...source, metadata: { ...source.metadata, uid: 'x' } }, 'app-2'),
        ],
      },
      (d) => {
        expect(d).toMatchObject({ type: 'cleanup', why: 'sync turned off', removeFinalizer: true });
        if (d.type === 'cleanup') expect(d.deletes.map((m) => m.metadata.namespace)).toEqual(['app-1']);
      },
    ],
    [
      'source being deleted: cleanup',
      { source: withFinalizer({ ...source, metadata: { ...source.metadata, deletionTimestamp: 'now' } }) },
      (d) => expect(d).toMatchObject({ type: 'cleanup', why: 'source deleted' }),
    ],
    [
      'refused kind: fail, nothing written',
      { denied: 'Pod is never mirrored' },
      (d) => expect(d).toEqual({ type: 'fail', reason: 'Refused', message: 'Pod is never mirrored' }),
    ],
    [
      'source namespace not allowed to publish: fail with the policy',
      { config: { ...config, sourceNamespaces: ['shared-*'] } },
      (d) =>
        expect(d).toMatchObject({
          type: 'fail',
          reason: 'Refused',
          message: 'namespace platform may not publish sources (controller source-namespaces: shared-*)',
        }),
    ],
    [
      'more targets than max-targets: fail with the count, existing mirrors untouched',
      {
        config: { ...config, policy: { ...config.policy, maxTargets: 2 } },
        live: [mirrorOf(source, 'app-1')],
      },
      (d) => expect(d).toMatchObject({ type: 'fail', reason: 'TooManyTargets' }),
    ],
    [
      'invalid transform: fail, nothing written',
      { transform: { ok: false, error: 'invalid transform: rules[0]: path is required' } },
      (d) => expect(d).toMatchObject({ type: 'fail', reason: 'TransformFailed' }),
    ],
    [
      'a target held by an unmanaged object: conflict there, the others created',
      {
        occupant: (ns) =>
          ns === 'app-2'
            ? ({
                apiVersion: 'v1',
                kind: 'Secret',
                metadata: { name: 'tls', namespace: 'app-2', uid: 'u' },
              } as KubeObject)
            : undefined,
      },
      (d) => expect(targetsOf(d)).toEqual(['app-1:create', 'app-2:conflict', 'app-3:create']),
    ],
    [
      'a namespace no longer targeted: its mirror deleted',
      {
        source: withFinalizer(
          aSource().inNamespace('platform').named('tls').withTargets('app-1').fromServer().build(),
        ),
        live: [mirrorOf(source, 'app-1'), mirrorOf(source, 'app-3')],
      },
      (d) => expect(targetsOf(d)).toEqual(['app-1:noop', 'app-3:delete']),
    ],
  ];
  for (const [name, over, check] of cases) it(name, () => check(decide(snapshot(over))));

  it('skipped non-strict rules are reported per target, and the mirror is still written', () => {
    const compiled = compileTransform('rules:\n- path: items[2].name\n  value: x\n', {
      prefix: keys.prefix,
    });
    if (!compiled.ok) throw new Error(compiled.errors.join('; '));
    const d = decide(snapshot({ transform: { ok: true, program: compiled.program } }));
    expect(d.type).toBe('sync');
    if (d.type !== 'sync') return;
    expect(d.skipped.map((s) => s.namespace)).toEqual(['app-1', 'app-2', 'app-3']);
    expect(targetsOf(d)).toEqual(['app-1:create', 'app-2:create', 'app-3:create']);
  });
});

describe('decideGone: the source left the cache', () => {
  const mine = mirrorOf(source, 'app-1');
  const forged = {
    ...mirrorOf({ ...source, metadata: { ...source.metadata, uid: 'forged' } }, 'app-2'),
  };
  forged.metadata.managedFields = [{ manager: 'kubectl', operation: 'Update' }];
  const orphan = mirrorOf({ ...source, metadata: { ...source.metadata, uid: 'earlier' } }, 'app-3');
  const base = {
    ref: { namespace: 'platform', name: 'tls' },
    mirrors: [mine, forged, orphan],
    lastSeenUid: source.metadata.uid,
    cachedUid: undefined,
    keys,
  };

  it('deleted: its mirrors and kubemirror-written orphans go, a forgery stays and is reported', () => {
    const g = decideGone({ ...base, live: null });
    expect(g.stillSource).toBe(false);
    expect(g.deletes.map((x) => [x.mirror.metadata.namespace, x.why])).toEqual([
      ['app-1', 'mirror of a deleted source deleted'],
      ['app-3', 'orphaned mirror deleted'],
    ]);
    expect(g.leftAlone.map((m) => m.mirror.metadata.namespace)).toEqual(['app-2']);
  });

  it('still a source on the server (the cache lags): nothing', () => {
    expect(decideGone({ ...base, live: source }).stillSource).toBe(true);
  });

  it('label removed: mirrors deleted, our finalizer dropped from the live object', () => {
    const live = withFinalizer({ ...source, metadata: { ...source.metadata, labels: {} } });
    expect(decideGone({ ...base, live })).toMatchObject({ stillSource: false, removeFinalizer: true });
  });

  it('a new incarnation in the cache owns the mirrors that name it', () => {
    const g = decideGone({ ...base, live: null, cachedUid: source.metadata.uid });
    expect(g.deletes.map((x) => x.mirror.metadata.namespace)).toEqual(['app-3']);
  });
});

describe('reports', () => {
  it('a sync report: line, and Events only for what a person must act on', () => {
    const r = syncReport(
      3,
      {
        synced: 1,
        conflicts: ['app-2'],
        errors: [
          { namespace: 'app-3', reason: 'forbidden', detail: 'Forbidden: no', retrying: false },
          { namespace: 'app-4', reason: 'transient', detail: 'Transient: 503', retrying: true },
        ],
      },
      [{ namespace: 'app-1', rule: 0, path: 'data.x', message: 'no such helper' }],
    );
    expect(r.line).toBe(
      'Partial 1/3: 1 conflict (app-2), 2 errors (app-3: forbidden, app-4: transient), 1 rule skipped',
    );
    expect(r.events.map((e) => e.reason)).toEqual(['SyncPartial', 'MirrorFailed', 'TransformRuleSkipped']);
    expect(r.events[2]!.message).toBe('1 transform rule skipped: app-1: rule 0 (data.x): no such helper');
  });

  it('a failed report carries the whole message', () => {
    const r = failedReport('140 targets exceed max-targets 100');
    expect(r.line).toBe('Error: 140 targets exceed max-targets 100');
    expect(r.events).toEqual([
      { type: 'Warning', reason: 'SyncFailed', message: '140 targets exceed max-targets 100' },
    ]);
  });

  it('the predicted outcome counts in-sync targets, conflicts, errors and pending writes', () => {
    const d = decide(
      snapshot({
        live: [mirrorOf(withFinalizer(source), 'app-1')],
        occupant: (ns) =>
          ns === 'app-2'
            ? ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tls', namespace: ns } } as KubeObject)
            : undefined,
      }),
    );
    if (d.type !== 'sync') throw new Error(d.type);
    expect(predictedOutcome(d.actions)).toEqual({
      synced: 1,
      conflicts: ['app-2'],
      errors: [],
      pending: ['app-3'],
    });
  });
});
