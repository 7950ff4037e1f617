import { afterEach, describe, expect, it } from 'vitest';
import { ControlPlaneBuildError, ensureControlPlaneBinaries } from '../../control-plane/build.js';

/** A machine without Go gets told why and how to fix it, instead of a skipped tier. */
describe('ensureControlPlaneBinaries', () => {
  const path = process.env.PATH;
  afterEach(() => {
    process.env.PATH = path;
  });

  it('ends with the cause and the fix when Go is missing', async () => {
    process.env.PATH = '/nonexistent';
    const err = await ensureControlPlaneBinaries().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ControlPlaneBuildError);
    expect(String((err as Error).message)).toMatch(/Go was not found.*\n\s+fix: install Go 1\.26 or newer/);
  });
});
