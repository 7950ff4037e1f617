import { describe, expect, it } from 'vitest';
import { Backoff } from '../../../src/runtime/backoff.js';

describe('Backoff', () => {
  it('doubles per consecutive failure from 5 ms and caps at 5 minutes', () => {
    const b = new Backoff();
    const delays = Array.from({ length: 20 }, () => b.next('k'));
    expect(delays.slice(0, 5)).toEqual([5, 10, 20, 40, 80]);
    expect(Math.max(...delays)).toBe(300_000);
    expect(delays[19]).toBe(300_000);
  });

  it('tracks keys independently and starts over after forget', () => {
    const b = new Backoff();
    b.next('a');
    b.next('a');
    expect(b.next('b')).toBe(5);
    expect(b.failureCount('a')).toBe(2);
    b.forget('a');
    expect(b.failureCount('a')).toBe(0);
    expect(b.next('a')).toBe(5);
  });
});
