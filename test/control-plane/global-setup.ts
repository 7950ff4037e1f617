import type { TestProject } from 'vitest/node';
import { type ControlPlaneBinaries, ControlPlaneBuildError, ensureControlPlaneBinaries } from './build.js';

declare module 'vitest' {
  export interface ProvidedContext {
    controlPlaneBinaries: ControlPlaneBinaries;
  }
}

/**
 * Builds the pinned control plane once per run, before any worker starts (several minutes cold, cached after),
 * and hands the binaries to the test files of the `real` project through `inject('controlPlaneBinaries')`.
 * Each file then starts control planes of its own (see test/helpers/real-harness.ts for why). A missing Go or a
 * failed build ends the run with the cause and the fix, never a skip.
 */
export async function setup(project: TestProject): Promise<void> {
  try {
    const binaries = await ensureControlPlaneBinaries((line) =>
      process.stderr.write(`[control-plane] ${line}\n`),
    );
    project.provide('controlPlaneBinaries', binaries);
  } catch (err) {
    if (err instanceof ControlPlaneBuildError) process.stderr.write(`\n[control-plane] ${err.message}\n\n`);
    throw err;
  }
}
