import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SandboxCli, startCli, startSandboxCli } from '../helpers/cli.js';
import { waitForMirrorsIn } from './mirror-assertions.js';

/**
 * `kubemirror sandbox --clusters east,west` as a user runs it: two independent API servers, one kubeconfig with
 * a context per cluster (east current), the quickstart seeded into east, the controller mirroring in east only.
 */
let sb: SandboxCli;

beforeAll(async () => {
  sb = await startSandboxCli(['--clusters', 'east,west', '--seed', 'examples/quickstart.yaml']);
});
afterAll(async () => {
  await sb?.stop();
});

describe('kubemirror sandbox --clusters east,west', () => {
  it('prints each cluster URL and context and says the controller runs against the current one', async () => {
    const out = sb.process.lines.join('\n');
    expect(out).toMatch(/ {2}east {2}http:\/\/127\.0\.0\.1:\d+ {2}\(context east, current\)/);
    expect(out).toMatch(/ {2}west {2}http:\/\/127\.0\.0\.1:\d+ {2}\(context west\)/);
    expect(out).toContain('controller running inside the sandbox against context east');
    expect((await sb.kubectl.ok(['config', 'get-contexts', '-o', 'name'])).trim().split('\n')).toEqual([
      'east',
      'west',
    ]);
  });

  it('mirrors in east (the current context) and leaves west empty', async () => {
    await waitForMirrorsIn(sb.kubectl, 'configmaps', 'platform', 'app-settings', [
      'app-backend',
      'app-frontend',
    ]);
    const west = await sb.kubectl.run(['--context', 'west', 'get', 'namespace', 'platform']);
    expect(west.code).not.toBe(0);
    expect(west.stderr).toContain('NotFound');
    const westMirrors = await sb.kubectl.ok([
      '--context',
      'west',
      'get',
      'configmaps',
      '-A',
      '-l',
      'kubemirror.io/mirror=true',
      '-o',
      'name',
    ]);
    expect(westMirrors.trim()).toBe('');
  });

  it('keeps what kubectl creates in west out of east', async () => {
    await sb.kubectl.ok(['--context', 'west', 'create', 'namespace', 'west-only']);
    expect(await sb.kubectl.ok(['--context', 'west', 'get', 'ns', 'west-only', '-o', 'name'])).toContain(
      'namespace/west-only',
    );
    const east = await sb.kubectl.run(['get', 'ns', 'west-only']);
    expect(east.stderr).toContain('NotFound');
  });
});

describe('kubemirror sandbox with bad --clusters', () => {
  it('names every problem in one error and exits 2 before it starts anything', async () => {
    const proc = startCli([
      'sandbox',
      '--clusters',
      'East,,b,b',
      '--seed',
      'zz=x.yaml',
      '--max-targets=lots',
    ]);
    const exit = await proc.exited;
    expect(exit.code).toBe(2);
    const err = proc.stderr();
    for (const problem of [
      'cluster name "East"',
      'cluster names must not be empty',
      'cluster name "b" is given more than once',
      'no cluster "zz" in --clusters',
      '--max-targets',
    ])
      expect(err).toContain(problem);
    expect(proc.lines.join('\n')).toBe('');
  });
});
