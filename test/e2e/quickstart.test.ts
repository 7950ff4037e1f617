import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SandboxCli, startSandboxCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';
import { expectFaithfulMirror, getObject, mirrorsOf, waitForMirrorsIn } from './mirror-assertions.js';

/**
 * What a newcomer sees after `npm start` (the sandbox seeded with examples/quickstart.yaml, controller inside),
 * and the three things the quickstart comment invites them to try, all through the real kubectl.
 */
let sb: SandboxCli;

beforeAll(async () => {
  sb = await startSandboxCli(['--seed', 'examples/quickstart.yaml']);
});
afterAll(async () => {
  await sb?.stop();
});

describe('npm start (kubemirror sandbox --seed examples/quickstart.yaml)', () => {
  it('prints how to point kubectl at the sandbox, with the controller running', () => {
    const out = sb.process.lines.join('\n');
    expect(out).toContain(`export KUBECONFIG=${sb.kubeconfig}`);
    expect(out).toMatch(/applied \d+ seed object\(s\) from examples\/quickstart\.yaml/);
    expect(out).toContain('controller running inside the sandbox');
  });

  it('mirrors the three quickstart sources into exactly the namespaces the comment promises', async () => {
    const k = sb.kubectl;
    const [secrets, settings, ca] = await Promise.all([
      waitForMirrorsIn(k, 'secrets', 'platform', 'db-credentials', ['team-a', 'team-b']),
      waitForMirrorsIn(k, 'configmaps', 'platform', 'app-settings', ['app-backend', 'app-frontend']),
      waitForMirrorsIn(k, 'configmaps', 'platform', 'shared-ca', ['sandbox-opted-in']),
    ]);
    const dbSource = await getObject(k, 'secret', 'platform', 'db-credentials');
    for (const m of secrets.values()) expectFaithfulMirror(m, dbSource);
    const settingsSource = await getObject(k, 'configmap', 'platform', 'app-settings');
    for (const m of settings.values()) expectFaithfulMirror(m, settingsSource);
    expectFaithfulMirror(
      ca.get('sandbox-opted-in')!,
      await getObject(k, 'configmap', 'platform', 'shared-ca'),
    );
  });

  it('kubectl create ns app-new: app-settings appears there', async () => {
    await sb.kubectl.ok(['create', 'namespace', 'app-new']);
    await waitForMirrorsIn(sb.kubectl, 'configmaps', 'platform', 'app-settings', [
      'app-backend',
      'app-frontend',
      'app-new',
    ]);
  });

  it('kubectl delete configmap app-settings -n app-frontend: it comes back', async () => {
    const k = sb.kubectl;
    const before = (await mirrorsOf(k, 'configmaps', 'platform', 'app-settings')).get('app-frontend');
    expect(before).toBeDefined();
    await k.ok(['delete', 'configmap', 'app-settings', '-n', 'app-frontend']);
    const back = await waitFor(
      'app-settings to be recreated in app-frontend',
      async () => (await mirrorsOf(k, 'configmaps', 'platform', 'app-settings')).get('app-frontend'),
      (m) => m !== undefined && m.metadata.uid !== before!.metadata.uid,
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    expectFaithfulMirror(back!, await getObject(k, 'configmap', 'platform', 'app-settings'));
  });

  it('stops on SIGTERM with exit code 0', async () => {
    expect(await sb.stop()).toEqual({ code: 0, signal: null });
  });
});
