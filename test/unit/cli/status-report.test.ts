import { describe, expect, it } from 'vitest';
import {
  conflictsInSyncStatus,
  coverageOf,
  formatStatusTable,
  levelOf,
  namespaceInfoOf,
  type ReportOptions,
  type SourceStatusRow,
  sourceStatusRows,
} from '../../../src/cli/status-report.js';
import { DEFAULT_STRIP_KEYS } from '../../../src/config/config.js';
import { buildDesiredMirror } from '../../../src/core/desired-mirror.js';
import { mirrorKeys } from '../../../src/core/keys.js';
import { DEFAULT_TRANSFORM_LIMITS } from '../../../src/core/transform/index.js';
import type { KubeObject, NamespaceInfo } from '../../../src/core/types.js';
import { aNamespace, aSource, asLive, namespaces } from '../../helpers/builders.js';

const keys = mirrorKeys();
const opts = (o: Partial<ReportOptions['policy']> & { sourceNamespaces?: string[] } = {}): ReportOptions => ({
  policy: {
    keys,
    excludedNamespaces: [],
    includedNamespaces: [],
    systemNamespaces: ['kube-system'],
    maxTargets: 100,
    ...o,
  },
  stripKeys: DEFAULT_STRIP_KEYS,
  sourceNamespaces: o.sourceNamespaces ?? [],
  transformLimits: DEFAULT_TRANSFORM_LIMITS,
});
const nss = namespaces('platform', 'app-1', 'app-2', 'app-3', 'app-4', 'kube-system');

/** The mirror the controller would have written, as read back from the server. */
function mirrorOf(source: KubeObject, target: string): KubeObject {
  return asLive(buildDesiredMirror(source, target, { keys, stripKeys: DEFAULT_STRIP_KEYS }).mirror);
}

function rowFor(
  sources: KubeObject[],
  mirrors: KubeObject[],
  o: ReportOptions = opts(),
  nsList: NamespaceInfo[] = nss,
  denied: string | null = null,
): SourceStatusRow {
  const rows = sourceStatusRows({ resource: 'secrets', sources, mirrors, denied }, nsList, o);
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

describe('status report: per-source coverage', () => {
  const source = aSource().withTargets('app-*').fromServer().build();

  it('counts a target as synced only with an up-to-date, unedited mirror of this source', () => {
    const stale = mirrorOf({ ...source, data: { token: 'b2xk' } }, 'app-2');
    const edited = mirrorOf(source, 'app-3');
    edited.data = { token: 'ZWRpdGVk' };
    const row = rowFor([source], [mirrorOf(source, 'app-1'), stale, edited]);
    expect(row).toMatchObject({
      resource: 'secrets',
      source: 'platform/shared',
      wanted: 4,
      synced: 1,
      conflicts: 0,
      failed: 3,
      coverage: 25,
      level: 'Partial',
      lastError: '',
      failedNamespaces: ['app-2', 'app-3', 'app-4'],
    });
  });

  it('is Full at 100% when every wanted target holds a synced mirror, system namespaces not wanted', () => {
    const mirrors = ['app-1', 'app-2', 'app-3', 'app-4'].map((t) => mirrorOf(source, t));
    expect(rowFor([source], mirrors)).toMatchObject({
      wanted: 4,
      synced: 4,
      failed: 0,
      coverage: 100,
      level: 'Full',
    });
  });

  it('counts a mirror of another source as a conflict, live or gone (its orphan awaits that source’s cleanup)', () => {
    const other = aSource().inNamespace('team-b').withTargets('app-1').fromServer().build();
    const gone = aSource().inNamespace('team-c').withUid('gone-uid').build();
    const row = rowFor(
      [source, { ...other, metadata: { ...other.metadata, annotations: {} } }],
      [
        mirrorOf(other, 'app-1'),
        mirrorOf(gone, 'app-2'),
        mirrorOf(source, 'app-3'),
        mirrorOf(source, 'app-4'),
      ],
    );
    expect(row).toMatchObject({ wanted: 4, synced: 2, conflicts: 2, failed: 0, level: 'Partial' });
    expect(row.conflictNamespaces).toEqual(['app-1', 'app-2']);
    expect(row.failedNamespaces).toEqual([]);
  });

  it('takes conflicts with unlabelled objects from the sync-status line, and the line as last error', () => {
    const line = 'Partial 2/4: 1 conflict (app-3), 1 error (app-4: forbidden)';
    const s = {
      ...source,
      metadata: {
        ...source.metadata,
        annotations: { ...source.metadata.annotations, [keys.syncStatus]: line },
      },
    };
    const row = rowFor([s], [mirrorOf(s, 'app-1'), mirrorOf(s, 'app-2')]);
    expect(row).toMatchObject({
      synced: 2,
      conflicts: 1,
      failed: 1,
      coverage: 50,
      level: 'Partial',
      lastError: line,
    });
    expect(row.conflictNamespaces).toEqual(['app-3']);
  });

  it('ignores a stale sync-status conflict on a target that is now synced', () => {
    const line = 'Partial 3/4: 1 conflict (app-1)';
    const s = {
      ...source,
      metadata: {
        ...source.metadata,
        annotations: { ...source.metadata.annotations, [keys.syncStatus]: line },
      },
    };
    const row = rowFor(
      [s],
      ['app-1', 'app-2', 'app-3'].map((t) => mirrorOf(s, t)),
    );
    expect(row).toMatchObject({ synced: 3, conflicts: 0, failed: 1 });
  });

  it('is None with 0 synced, and Full at 100% with nothing wanted and no error', () => {
    expect(rowFor([source], [])).toMatchObject({ wanted: 4, synced: 0, coverage: 0, level: 'None' });
    const nowhere = aSource().withTargets('nope-*').fromServer().build();
    expect(rowFor([nowhere], [])).toMatchObject({ wanted: 0, coverage: 100, level: 'Full', lastError: '' });
  });

  it.each([
    [
      'too many targets',
      opts({ maxTargets: 3 }),
      aSource().withTargets('app-*'),
      '4 targets exceed max-targets 3',
    ],
    ['an invalid spec', opts(), aSource().withTargets('Bad_Name'), 'invalid namespace name "Bad_Name"'],
    [
      'an invalid transform',
      opts(),
      aSource().withTargets('app-*').withTransform('rules: 5'),
      'invalid transform',
    ],
    [
      'a source namespace not allowed',
      opts({ sourceNamespaces: ['infra'] }),
      aSource().withTargets('app-*'),
      'may not publish',
    ],
  ])('is None with the error as last error for %s', (_name, o, builder, error) => {
    const s = builder.fromServer().build();
    const row = rowFor([s], [mirrorOf(s, 'app-1')], o);
    expect(row).toMatchObject({ wanted: 0, synced: 0, level: 'None', coverage: 0 });
    expect(row.lastError).toContain(error);
  });

  it('is None for a denied resource type whatever its mirrors', () => {
    const row = rowFor([source], [mirrorOf(source, 'app-1')], opts(), nss, 'Pod is never mirrored');
    expect(row).toMatchObject({ level: 'None', lastError: 'Pod is never mirrored' });
  });

  it('uses the transform per target when computing the desired hash', () => {
    const t = aSource()
      .withTargets('app-1,app-2')
      .withTransform('rules:\n  - path: metadata.labels.env\n    template: "{{TargetNamespace}}"\n')
      .fromServer()
      .build();
    const withEnv = (target: string) => {
      const desired = buildDesiredMirror(t, target, {
        keys,
        stripKeys: DEFAULT_STRIP_KEYS,
        transform: (o) => ({
          ...o,
          metadata: { ...o.metadata, labels: { ...o.metadata.labels, env: target } },
        }),
      });
      return asLive(desired.mirror);
    };
    // app-2's mirror carries app-1's rendering: not what app-2 wants.
    const wrong = { ...withEnv('app-1'), metadata: { ...withEnv('app-1').metadata, namespace: 'app-2' } };
    expect(rowFor([t], [withEnv('app-1'), wrong])).toMatchObject({
      synced: 1,
      failed: 1,
      failedNamespaces: ['app-2'],
    });
  });

  it('skips sources with sync off or being deleted', () => {
    const off = aSource().named('off').withTargets('app-*').withoutAnnotation(keys.sync).fromServer().build();
    const deleting = aSource().named('bye').withTargets('app-*').deleting().fromServer().build();
    expect(
      sourceStatusRows(
        { resource: 'secrets', sources: [off, deleting], mirrors: [], denied: null },
        nss,
        opts(),
      ),
    ).toEqual([]);
  });

  it('respects the controller namespace policy for wanted targets', () => {
    const row = rowFor([source], [], opts({ excludedNamespaces: ['app-4'], includedNamespaces: ['app-*'] }));
    expect(row.wanted).toBe(3);
    const withTerminating = [
      ...nss.filter((n) => n.name !== 'app-1'),
      aNamespace('app-1').terminating().build(),
    ];
    expect(rowFor([source], [], opts(), withTerminating).wanted).toBe(3);
  });
});

describe('status report: helpers', () => {
  it.each([
    ['Partial 10/12: 1 conflict (app-3), 1 error (app-7: forbidden)', 1, ['app-3']],
    ['Partial 7/12: 5 conflicts (a, b, c, +2 more)', 5, ['a', 'b', 'c']],
    ['Partial 1/2: 1 error (x: conflict (weird))', 0, []],
    ['Synced 3/3', 0, []],
    [undefined, 0, []],
  ])('reads conflicts from %j', (line, count, names) => {
    expect(conflictsInSyncStatus(line)).toEqual({ count, namespaces: names });
  });

  it.each([
    [0, 0, 100, 'Full'],
    [3, 0, 0, 'None'],
    [3, 2, 66, 'Partial'],
    [200, 199, 99, 'Partial'],
    [3, 3, 100, 'Full'],
  ] as const)('wanted %i synced %i → %i%% %s', (wanted, synced, coverage, level) => {
    expect(coverageOf(wanted, synced)).toBe(coverage);
    expect(levelOf(wanted, synced, false)).toBe(level);
  });

  it('a fatal error is None even with nothing wanted', () => {
    expect(levelOf(0, 0, true)).toBe('None');
  });

  it('reads a terminating namespace from its phase or deletion timestamp', () => {
    const ns = (extra: Partial<KubeObject>) =>
      namespaceInfoOf({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' }, ...extra });
    expect(ns({}).terminating).toBe(false);
    expect(ns({ status: { phase: 'Terminating' } }).terminating).toBe(true);
    expect(ns({ metadata: { name: 'a', deletionTimestamp: '2026-01-01T00:00:00Z' } }).terminating).toBe(true);
  });

  it('prints aligned columns with a dash for no error', () => {
    const row: SourceStatusRow = {
      resource: 'configmaps',
      source: 'platform/app-config',
      wanted: 3,
      synced: 3,
      conflicts: 0,
      failed: 0,
      coverage: 100,
      level: 'Full',
      lastError: '',
      conflictNamespaces: [],
      failedNamespaces: [],
    };
    expect(formatStatusTable([row]).split('\n')).toEqual([
      'RESOURCE     SOURCE                WANTED   SYNCED   CONFLICTS   FAILED   COVERAGE   LEVEL   LAST-ERROR',
      'configmaps   platform/app-config   3        3        0           0        100%       Full    -',
      '',
    ]);
  });

  it('never prints control characters from the status annotation', () => {
    const row: SourceStatusRow = {
      ...{ resource: 'secrets', source: 'a/b', wanted: 1, synced: 0, conflicts: 0, failed: 1, coverage: 0 },
      ...{
        level: 'None',
        lastError: 'Error: \u001b[31mred\u0007\nnext',
        conflictNamespaces: [],
        failedNamespaces: [],
      },
    };
    const out = formatStatusTable([row]);
    expect([...out].filter((ch) => ch !== '\n' && /\p{Cc}/u.test(ch))).toEqual([]);
    expect(out.split('\n')[1]).toMatch(/Error: \?\[31mred\? next$/);
  });
});
