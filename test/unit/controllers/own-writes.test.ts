import { describe, expect, it } from 'vitest';
import { OwnWrites } from '../../../src/controllers/own-writes.js';

/** own-writes.ts: echoes of our writes, and our writes the cache cannot show yet. */
describe('OwnWrites', () => {
  const setup = () => {
    let now = 1_000;
    const replayed: string[] = [];
    const own = new OwnWrites(
      (t, ns, n) => replayed.push(`${t}|${ns}/${n}`),
      100,
      () => now,
    );
    return { own, replayed, advance: (ms: number) => (now += ms) };
  };

  it('recognises the echo of a write once, and then no longer reports the write as unseen', () => {
    const { own } = setup();
    own.begin('cm', 'a', 'x');
    own.end('cm', 'a', 'x', '7', 'h1');
    expect(own.unseen('cm', 'a', 'x')).toEqual({ resourceVersion: '7', hash: 'h1', at: 1_000 });
    expect(own.isEcho('cm', 'a', 'x', '7')).toBe(true);
    expect(own.isEcho('cm', 'a', 'x', '7')).toBe(false);
    expect(own.unseen('cm', 'a', 'x')).toBeUndefined();
  });

  it('an echo that beat the response is held, and the write is not left unseen', () => {
    const { own, replayed } = setup();
    own.begin('cm', 'a', 'x');
    expect(own.isEcho('cm', 'a', 'x', '7')).toBe(true);
    own.end('cm', 'a', 'x', '7', 'h1');
    expect(own.unseen('cm', 'a', 'x')).toBeUndefined();
    expect(replayed).toEqual([]);
  });

  it("someone else's change held during our write is replayed", () => {
    const { own, replayed } = setup();
    own.begin('cm', 'a', 'x');
    own.isEcho('cm', 'a', 'x', '6');
    own.end('cm', 'a', 'x', '7', 'h1');
    expect(replayed).toEqual(['cm|a/x']);
  });

  it('an unseen write is trusted for a bounded time only (an echo lost to a relist never comes)', () => {
    const { own, advance } = setup();
    own.end('cm', 'a', 'x', '7', 'h1');
    advance(5_000);
    expect(own.unseen('cm', 'a', 'x')?.resourceVersion).toBe('7');
    advance(1);
    expect(own.unseen('cm', 'a', 'x')).toBeUndefined();
  });

  it('an event of another version ends the lag (a relist skipped the echo): a drift seen then is repaired', () => {
    const { own } = setup();
    own.end('cm', 'a', 'x', '7', 'h1');
    expect(own.isEcho('cm', 'a', 'x', '9')).toBe(false);
    expect(own.unseen('cm', 'a', 'x')).toBeUndefined();
    // a late echo is still recognised as ours
    expect(own.isEcho('cm', 'a', 'x', '7')).toBe(true);
  });

  it('a failed write leaves nothing unseen', () => {
    const { own } = setup();
    own.begin('cm', 'a', 'x');
    own.end('cm', 'a', 'x', undefined, 'h1');
    expect(own.unseen('cm', 'a', 'x')).toBeUndefined();
  });
});
