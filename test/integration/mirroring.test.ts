import { afterAll, beforeAll, describe, it } from 'vitest';
import { Harness } from '../helpers/harness.js';
import { SCENARIOS } from './scenarios.js';

describe('mirroring behaviour table (sandbox over HTTP, real controller)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(async () => {
    await h?.stop();
  });

  SCENARIOS.forEach((s, i) => {
    it(s.name, async () => {
      await s.run(h, `r${i}`);
    });
  });
});
