import { describe, expect, it } from 'vitest';
import { KubemirrorError, TerminalError } from '../../../src/core/errors.js';
import { done, requeueAfter, settleReconcile } from '../../../src/runtime/reconcile-result.js';

function recorder() {
  const calls: string[] = [];
  return {
    calls,
    queue: {
      forget: (k: string) => calls.push(`forget ${k}`),
      addAfter: (k: string, ms: number) => calls.push(`addAfter ${k} ${ms}`),
      addRateLimited: (k: string) => calls.push(`addRateLimited ${k}`),
    },
  };
}

describe('settleReconcile', () => {
  it.each([
    ['done', { ok: true as const, value: done }, 'success', ['forget k']],
    ['nothing returned', { ok: true as const, value: undefined }, 'success', ['forget k']],
    [
      'requeueAfter(30s)',
      { ok: true as const, value: requeueAfter(30_000) },
      'requeue',
      ['forget k', 'addAfter k 30000'],
    ],
    [
      'TerminalError',
      { ok: false as const, error: new TerminalError('Invalid', 'bad annotation') },
      'terminal',
      ['forget k'],
    ],
    ['a plain Error', { ok: false as const, error: new Error('boom') }, 'error', ['addRateLimited k']],
    [
      'a non-terminal KubemirrorError',
      { ok: false as const, error: new KubemirrorError('Conflict', '409') },
      'error',
      ['addRateLimited k'],
    ],
  ])('%s → %s', (_name, settled, outcome, calls) => {
    const r = recorder();
    expect(settleReconcile(r.queue, 'k', settled)).toBe(outcome);
    expect(r.calls).toEqual(calls);
  });
});
