import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { PolicySelections, type ResolvedSelection } from '../../../src/controllers/policy-selections.js';
import { SECRETS } from '../../../src/core/builtin-types.js';
import { mirrorKeys } from '../../../src/core/keys.js';
import { readMirrorPolicy } from '../../../src/core/mirror-policy.js';
import type { KubeObject } from '../../../src/core/types.js';
import type { KubeClient, KubeRequest } from '../../../src/kube/kube-client.js';
import { waitFor } from '../../helpers/wait.js';

/**
 * The cost of a MirrorPolicy (SPEC §11): its watches are scoped to its namespace and filtered by its names or
 * selector, so a policy never lists (nor watches) a kind cluster-wide, nor objects it does not select.
 */

const secret = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'databases', uid: `uid-${name}`, resourceVersion: '5', labels },
  data: { password: 'czNjcmV0' },
});

/** A client whose lists answer `items` and record what was asked; watches go nowhere (a closed port). */
function fakeClient(items: KubeObject[]) {
  const lists: Array<{ path: string; query: Record<string, unknown> }> = [];
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'http://127.0.0.1:9' }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  const client = {
    kc,
    count: () => {},
    request: async (req: KubeRequest) => {
      lists.push({ path: req.path, query: { ...(req.query ?? {}) } });
      return { items, metadata: { resourceVersion: '7' } };
    },
  } as unknown as KubeClient;
  return { client, lists };
}

const resolved = (resources: unknown[]): ResolvedSelection[] =>
  readMirrorPolicy({
    apiVersion: 'kubemirror.io/v1alpha1',
    kind: 'MirrorPolicy',
    metadata: { name: 'pg', namespace: 'databases' },
    spec: { resources, targetNamespaces: ['a'] },
  }).selections.map((selection) => ({ typeId: 'Secret.v1', type: SECRETS, selection }));

let selections: PolicySelections | null = null;
const abort = new AbortController();
afterEach(async () => {
  await selections?.stop();
});

function start(items: KubeObject[], resources: unknown[]) {
  const { client, lists } = fakeClient(items);
  const changed: string[] = [];
  const synced: string[] = [];
  selections = new PolicySelections({
    client,
    keys: mirrorKeys(),
    clock: {
      now: () => Date.now(),
      setTimeout: (f, ms) => setTimeout(f, ms),
      clearTimeout: (h) => clearTimeout(h as never),
    },
    changed: (pk, typeId, name) => changed.push(`${pk}|${typeId}/${name}`),
    synced: (pk) => synced.push(pk),
    onRestart: () => {},
  } as ConstructorParameters<typeof PolicySelections>[0]);
  selections.ensure('policy:databases/pg', 'databases', resolved(resources), abort.signal);
  return { lists, changed, synced, s: selections };
}

describe('PolicySelections', () => {
  it('one name: a list (and watch) of that name in the policy namespace, by field selector', async () => {
    const { lists, synced, s } = start(
      [secret('app-pg-app')],
      [{ apiVersion: 'v1', kind: 'Secret', names: ['app-pg-app'] }],
    );
    await waitFor(
      'synced',
      () => synced.length,
      (n) => n === 1,
    );
    expect(lists[0]?.path).toBe('/api/v1/namespaces/databases/secrets');
    expect(lists[0]?.query).toMatchObject({
      fieldSelector: 'metadata.name=app-pg-app',
      labelSelector: undefined,
    });
    expect(s.find('policy:databases/pg', 'Secret.v1', 'app-pg-app')?.metadata.uid).toBe('uid-app-pg-app');
  });

  it('a selector: a list of the policy namespace filtered by it server-side', async () => {
    const { lists, synced, s } = start(
      [secret('a', { app: 'pg' })],
      [{ apiVersion: 'v1', kind: 'Secret', selector: { matchLabels: { app: 'pg' } } }],
    );
    await waitFor(
      'synced',
      () => synced.length,
      (n) => n === 1,
    );
    expect(lists[0]?.path).toBe('/api/v1/namespaces/databases/secrets');
    expect(lists[0]?.query).toMatchObject({ labelSelector: 'app=pg', fieldSelector: undefined });
    expect(s.selected('policy:databases/pg').map((x) => x.object.metadata.name)).toEqual(['a']);
  });

  it('several names: one list of the namespace, whose other objects are kept bare and never reported', async () => {
    const { lists, synced, changed, s } = start(
      [secret('a'), secret('b'), secret('unrelated')],
      [{ apiVersion: 'v1', kind: 'Secret', names: ['a', 'b'] }],
    );
    await waitFor(
      'synced',
      () => synced.length,
      (n) => n === 1,
    );
    expect(lists.map((l) => l.path)).toEqual(['/api/v1/namespaces/databases/secrets']);
    expect(
      s
        .selected('policy:databases/pg')
        .map((x) => x.object.metadata.name)
        .sort(),
    ).toEqual(['a', 'b']);
    expect(s.find('policy:databases/pg', 'Secret.v1', 'unrelated')).toBeUndefined();
    expect(changed.sort()).toEqual(['policy:databases/pg|Secret.v1/a', 'policy:databases/pg|Secret.v1/b']);
  });

  it('never lists a kind cluster-wide', async () => {
    const { lists, synced } = start(
      [],
      [
        { apiVersion: 'v1', kind: 'Secret', names: ['x'] },
        { apiVersion: 'v1', kind: 'Secret', selector: {} },
      ],
    );
    await waitFor(
      'synced',
      () => synced.length,
      (n) => n >= 1,
    );
    expect(lists.length).toBeGreaterThan(0);
    for (const l of lists) expect(l.path).toMatch(/^\/api\/v1\/namespaces\/databases\//);
  });
});
