import { describe, expect, it } from 'vitest';
import { formatSyncStatus, type SyncSummary } from '../../../src/core/sync-status.js';

const base: SyncSummary = { wanted: 12, synced: 12, conflicts: [], errors: [] };

describe('formatSyncStatus', () => {
  it.each<[string, Partial<SyncSummary>, string]>([
    ['all synced', {}, 'Synced 12/12'],
    ['no targets', { wanted: 0, synced: 0 }, 'Synced 0/0'],
    [
      'conflict and error',
      { synced: 10, conflicts: ['app-3'], errors: [{ namespace: 'app-7', reason: 'forbidden' }] },
      'Partial 10/12: 1 conflict (app-3), 1 error (app-7: forbidden)',
    ],
    ['plural conflicts, sorted', { synced: 10, conflicts: ['b', 'a'] }, 'Partial 10/12: 2 conflicts (a, b)'],
    [
      'only errors',
      { synced: 11, errors: [{ namespace: 'x', reason: 'timeout' }] },
      'Partial 11/12: 1 error (x: timeout)',
    ],
    ['pending without failures', { synced: 11 }, 'Partial 11/12'],
    [
      'long lists capped',
      { synced: 7, conflicts: ['n1', 'n2', 'n3', 'n4', 'n5'] },
      'Partial 7/12: 5 conflicts (n1, n2, n3, +2 more)',
    ],
    ['fatal', { fatal: '140 targets exceed max-targets 100' }, 'Error: 140 targets exceed max-targets 100'],
  ])('%s', (_n, over, expected) => {
    expect(formatSyncStatus({ ...base, ...over })).toBe(expected);
  });

  it('stays one short line with long, multi-line reasons', () => {
    const line = formatSyncStatus({
      ...base,
      synced: 0,
      errors: Array.from({ length: 12 }, (_, i) => ({
        namespace: `ns-${i}`,
        reason: `line one\nline two ${'x'.repeat(500)}`,
      })),
    });
    expect(line).not.toContain('\n');
    expect(line.length).toBeLessThan(300);
    expect(line).toContain('+9 more');
  });

  it('leads with the fights, naming namespace and field manager, before the usual counts', () => {
    const fighting = ['app-2 (rev-bot)', 'app-1 (kube-controller-manager)'];
    expect(formatSyncStatus({ wanted: 3, synced: 1, conflicts: [], errors: [], fighting })).toBe(
      'Fighting: app-1 (kube-controller-manager), app-2 (rev-bot); Partial 1/3',
    );
  });

  it('clips a long fatal message', () => {
    const line = formatSyncStatus({ ...base, fatal: 'y'.repeat(1000) });
    expect(line.length).toBeLessThanOrEqual(207);
  });
});
