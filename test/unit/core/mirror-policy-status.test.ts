import { describe, expect, it } from 'vitest';
import { type PolicyObjectResult, policyStatus, sameStatus } from '../../../src/core/mirror-policy-status.js';

/** The status of a MirrorPolicy (SPEC §11) from its objects' results: counts, coverage, level, Ready. */

const now = new Date('2026-01-01T00:00:00.123Z');
const decided = (name: string, wanted: number, synced: number, more: object = {}): PolicyObjectResult => ({
  kind: 'Secret',
  name,
  state: 'decided',
  summary: { wanted, synced, conflicts: [], errors: [], ...more },
});

describe('policyStatus', () => {
  it('all synced: Ready True, reason Synced, the sync-status line as message, Full', () => {
    const s = policyStatus({
      generation: 3,
      problems: [],
      results: [decided('a', 4, 4), decided('b', 6, 6)],
      now,
    });
    expect(s).toMatchObject({
      observedGeneration: 3,
      sources: 2,
      targets: 10,
      synced: 10,
      conflicts: 0,
      failed: 0,
      skipped: 0,
      coverage: 100,
      level: 'Full',
    });
    expect(s.conditions).toEqual([
      {
        type: 'Ready',
        status: 'True',
        reason: 'Synced',
        message: 'Synced 10/10',
        observedGeneration: 3,
        lastTransitionTime: '2026-01-01T00:00:00Z',
      },
    ]);
  });

  it('a conflict and an error: Ready False, Partial, naming object and namespace; coverage rounded down', () => {
    const s = policyStatus({
      generation: 1,
      problems: [],
      results: [
        decided('a', 3, 1, { conflicts: ['app-1'], errors: [{ namespace: 'app-2', reason: 'forbidden' }] }),
        decided('b', 0, 0),
      ],
      now,
    });
    expect(s.conditions[0]).toMatchObject({
      status: 'False',
      reason: 'Partial',
      message: 'Partial 1/3: 1 conflict (a→app-1), 1 error (a→app-2: forbidden)',
    });
    expect(s).toMatchObject({ coverage: 33, level: 'Partial', conflicts: 1, failed: 1 });
  });

  it('a problem of the policy or a refused object: Ready False with its reason, nothing counted, None', () => {
    const p = policyStatus({
      generation: 2,
      problems: [{ reason: 'KindNotServed', message: 'Widget (example.com/v1) is not served' }],
      results: [],
      now,
    });
    expect(p.conditions[0]).toMatchObject({ status: 'False', reason: 'KindNotServed' });
    expect(p).toMatchObject({ targets: 0, coverage: 0, level: 'None' });
    const f = policyStatus({
      generation: 2,
      problems: [],
      results: [
        { kind: 'Secret', name: 'tok', state: 'failed', reason: 'Refused', message: 'never mirrored' },
      ],
      now,
    });
    expect(f.conditions[0]).toMatchObject({
      reason: 'Refused',
      message: 'Error: Secret tok: never mirrored',
    });
  });

  it('skipped objects are named in the message and counted, not as sources', () => {
    const s = policyStatus({
      generation: 1,
      problems: [],
      results: [
        decided('a', 1, 1),
        { kind: 'Secret', name: 'b', state: 'skipped', why: 'an older policy governs it' },
      ],
      now,
    });
    expect(s).toMatchObject({ sources: 1, skipped: 1 });
    expect(s.conditions[0]?.message).toBe('Synced 1/1; 1 skipped (Secret b: an older policy governs it)');
  });

  it('keeps the transition time while the condition status stays; sameStatus ignores it', () => {
    const first = policyStatus({ generation: 1, problems: [], results: [decided('a', 1, 1)], now });
    const later = policyStatus({
      generation: 1,
      problems: [],
      results: [decided('a', 1, 1)],
      previous: first.conditions[0],
      now: new Date('2026-02-01T00:00:00Z'),
    });
    expect(later.conditions[0]?.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
    expect(sameStatus(first, later)).toBe(true);
    const flipped = policyStatus({
      generation: 1,
      problems: [],
      results: [decided('a', 2, 1)],
      previous: first.conditions[0],
      now: new Date('2026-02-01T00:00:00Z'),
    });
    expect(flipped.conditions[0]?.lastTransitionTime).toBe('2026-02-01T00:00:00Z');
    expect(sameStatus(first, flipped)).toBe(false);
    expect(sameStatus(undefined, first)).toBe(false);
  });
});
