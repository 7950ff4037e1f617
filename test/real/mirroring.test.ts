import { afterAll, beforeAll, describe, it } from 'vitest';
import { RealHarness } from '../helpers/real-harness.js';
import { SCENARIOS } from '../integration/scenarios.js';

describe('mirroring behaviour table on kube-apiserver (etcd, kube-controller-manager, real controller)', () => {
  let h: RealHarness;
  beforeAll(async () => {
    h = await RealHarness.start();
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
