import { CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/sandbox.js';
import { rejection, waitFor } from './helpers.js';

let sandbox: Sandbox;
let kc: KubeConfig;
let core: CoreV1Api;
let nsCounter = 0;

async function freshNamespace(): Promise<string> {
  const name = `wl-${++nsCounter}`;
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
}

interface Seen {
  type: string;
  name: string;
  rv: string;
  object: {
    metadata?: { name?: string; resourceVersion?: string; annotations?: Record<string, string> };
    code?: number;
    reason?: string;
  };
}

async function watch(path: string, params: Record<string, string | number | boolean | undefined> = {}) {
  const events: Seen[] = [];
  let ended: ((err: unknown) => void) | undefined;
  const done = new Promise<unknown>((resolve) => {
    ended = resolve;
  });
  const req = await new Watch(kc).watch(
    path,
    params,
    (type, object: Seen['object']) =>
      events.push({
        type,
        name: object?.metadata?.name ?? '',
        rv: object?.metadata?.resourceVersion ?? '',
        object,
      }),
    (err) => ended?.(err),
  );
  return {
    events,
    done,
    stop: () => req.abort(),
    types: () => events.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type} ${e.name}`),
  };
}

beforeAll(async () => {
  sandbox = await startSandbox({ historyWindow: 40, bookmarkIntervalMs: 50 });
  kc = new KubeConfig();
  kc.loadFromString(sandbox.kubeconfigYaml());
  core = kc.makeApiClient(CoreV1Api);
});
afterAll(async () => {
  await sandbox.stop();
});

describe('list', () => {
  it.each([
    ['tier=web', ['a']],
    ['tier==web', ['a']],
    ['tier!=web', ['b', 'c']],
    ['tier in (web,db)', ['a', 'b']],
    ['tier notin (web)', ['b', 'c']],
    ['env', ['a', 'b']],
    ['!env', ['c']],
    ['env=prod,tier in (db)', ['b']],
  ])('filters by label selector %s', async (selector, expected) => {
    const ns = `sel-${expected.join('')}-${++nsCounter}`;
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'a', labels: { tier: 'web', env: 'prod' } } },
    });
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'b', labels: { tier: 'db', env: 'prod' } } },
    });
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'c', labels: { other: 'x' } } },
    });
    const list = await core.listNamespacedConfigMap({ namespace: ns, labelSelector: selector });
    expect(list.items.map((i) => i.metadata?.name)).toEqual(expected);
  });

  it('rejects a malformed label selector with 400 BadRequest', async () => {
    const bad = await rejection(core.listConfigMapForAllNamespaces({ labelSelector: 'a in (b' }));
    expect(bad).toMatchObject({ code: 400, reason: 'BadRequest' });
  });

  it('filters by metadata.name and metadata.namespace field selectors', async () => {
    const ns1 = await freshNamespace();
    const ns2 = await freshNamespace();
    for (const ns of [ns1, ns2]) {
      await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'x' } } });
      await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'y' } } });
    }
    const byName = await core.listSecretForAllNamespaces({ fieldSelector: 'metadata.name=x' });
    expect(
      byName.items
        .filter((i) => [ns1, ns2].includes(i.metadata!.namespace!))
        .map((i) => i.metadata?.namespace),
    ).toEqual([ns1, ns2].sort());
    const byNs = await core.listSecretForAllNamespaces({
      fieldSelector: `metadata.namespace=${ns2},metadata.name!=x`,
    });
    expect(byNs.items.map((i) => `${i.metadata?.namespace}/${i.metadata?.name}`)).toEqual([`${ns2}/y`]);
    expect((await rejection(core.listSecretForAllNamespaces({ fieldSelector: 'spec.foo=x' }))).code).toBe(
      400,
    );
  });

  it('pages with limit and continue, and answers 410 Expired for a continue token older than the history', async () => {
    const ns = await freshNamespace();
    for (const n of ['p1', 'p2', 'p3', 'p4', 'p5'])
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: n } } });
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await core.listNamespacedConfigMap({
        namespace: ns,
        limit: 2,
        ...(token ? { _continue: token } : {}),
      });
      names.push(...page.items.map((i) => i.metadata!.name!));
      token = page.metadata?._continue;
      pages++;
    } while (token);
    expect(names).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
    expect(pages).toBe(3);
    const first = await core.listNamespacedConfigMap({ namespace: ns, limit: 2 });
    sandbox.faults.compactHistory();
    const expired = await rejection(
      core.listNamespacedConfigMap({ namespace: ns, limit: 2, _continue: first.metadata!._continue! }),
    );
    expect(expired).toMatchObject({ code: 410, reason: 'Expired' });
  });
});

describe('watch', () => {
  it('flushes headers at once, then streams ADDED/MODIFIED/DELETED after the given resourceVersion', async () => {
    const ns = await freshNamespace();
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'before' } } });
    const list = await core.listNamespacedSecret({ namespace: ns });
    const controller = new AbortController();
    const res = await fetch(
      `${sandbox.url}/api/v1/namespaces/${ns}/secrets?watch=1&resourceVersion=${list.metadata!.resourceVersion}`,
      { signal: controller.signal },
    );
    expect(res.status).toBe(200);
    controller.abort();
    const w = await watch(`/api/v1/namespaces/${ns}/secrets`, {
      resourceVersion: list.metadata!.resourceVersion,
    });
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 's' } } });
    await core.patchNamespacedSecret({
      namespace: ns,
      name: 's',
      body: [{ op: 'add', path: '/data', value: { a: 'YQ==' } }],
    });
    await core.deleteNamespacedSecret({ namespace: ns, name: 's' });
    await waitFor(() => w.types().length === 3);
    expect(w.types()).toEqual(['ADDED s', 'MODIFIED s', 'DELETED s']);
    const rvs = w.events.map((e) => Number(e.rv));
    expect(rvs).toEqual([...rvs].sort((a, b) => a - b));
    w.stop();
  });

  it('replays events since an older resourceVersion from the history window', async () => {
    const ns = await freshNamespace();
    const created = await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'old' } },
    });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'newer' } } });
    const w = await watch(`/api/v1/namespaces/${ns}/configmaps`, {
      resourceVersion: created.metadata!.resourceVersion,
    });
    await waitFor(() => w.types().length === 1);
    expect(w.types()).toEqual(['ADDED newer']);
    w.stop();
  });

  it('sends synthetic ADDED for the current state when resourceVersion is 0 or unset', async () => {
    const ns = await freshNamespace();
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'one' } } });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'two' } } });
    for (const params of [{ resourceVersion: '0' }, {}]) {
      const w = await watch(`/api/v1/namespaces/${ns}/configmaps`, params);
      await waitFor(() => w.types().length === 2);
      expect(w.types()).toEqual(['ADDED one', 'ADDED two']);
      w.stop();
    }
  });

  it('turns a MODIFIED that enters the selector into ADDED and one that leaves it into DELETED', async () => {
    const ns = await freshNamespace();
    const cm = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'm' } } });
    const w = await watch(`/api/v1/namespaces/${ns}/configmaps`, {
      labelSelector: 'kubemirror.io/mirror=true',
      resourceVersion: cm.metadata!.resourceVersion,
    });
    await core.patchNamespacedConfigMap({
      namespace: ns,
      name: 'm',
      body: [{ op: 'add', path: '/metadata/labels', value: { 'kubemirror.io/mirror': 'true' } }],
    });
    await core.patchNamespacedConfigMap({
      namespace: ns,
      name: 'm',
      body: [{ op: 'add', path: '/data', value: { a: '1' } }],
    });
    await core.patchNamespacedConfigMap({
      namespace: ns,
      name: 'm',
      body: [{ op: 'remove', path: '/metadata/labels' }],
    });
    await waitFor(() => w.types().length === 3);
    expect(w.types()).toEqual(['ADDED m', 'MODIFIED m', 'DELETED m']);
    w.stop();
  });

  it('sends BOOKMARKs when allowed, and the initial-events-end bookmark with sendInitialEvents', async () => {
    const ns = await freshNamespace();
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'i' } } });
    const w = await watch(`/api/v1/namespaces/${ns}/configmaps`, {
      allowWatchBookmarks: true,
      sendInitialEvents: true,
      resourceVersionMatch: 'NotOlderThan',
    });
    await waitFor(() => w.events.filter((e) => e.type === 'BOOKMARK').length >= 2);
    expect(w.events[0]!.type).toBe('ADDED');
    expect(w.events[1]).toMatchObject({
      type: 'BOOKMARK',
      object: { metadata: { annotations: { 'k8s.io/initial-events-end': 'true' } } },
    });
    w.stop();
    const plain = await watch(`/api/v1/namespaces/${ns}/configmaps`, { resourceVersion: '0' });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'j' } } });
    await waitFor(() => plain.types().includes('ADDED j'));
    expect(plain.events.some((e) => e.type === 'BOOKMARK')).toBe(false);
    plain.stop();
  });

  it('ends the watch after timeoutSeconds', async () => {
    const ns = await freshNamespace();
    const w = await watch(`/api/v1/namespaces/${ns}/configmaps`, { timeoutSeconds: 1 });
    await expect(
      Promise.race([w.done.then(() => 'ended'), new Promise((r) => setTimeout(() => r('still open'), 3000))]),
    ).resolves.toBe('ended');
  });

  it('answers a resourceVersion outside the history window with one ERROR 410 Expired event, then closes', async () => {
    const ns = await freshNamespace();
    const first = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'c0' } } });
    for (let i = 1; i <= 45; i++)
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: `c${i}` } } });
    const w = await watch(`/api/v1/namespaces/${ns}/configmaps`, {
      resourceVersion: first.metadata!.resourceVersion,
    });
    await w.done;
    expect(w.events).toHaveLength(1);
    expect(w.events[0]).toMatchObject({ type: 'ERROR', object: { code: 410, reason: 'Expired' } });
  });

  it('forces 410 for every earlier resourceVersion after compactHistory()', async () => {
    const ns = await freshNamespace();
    const list = await core.listNamespacedConfigMap({ namespace: ns });
    sandbox.faults.compactHistory();
    const w = await watch(`/api/v1/namespaces/${ns}/configmaps`, {
      resourceVersion: list.metadata!.resourceVersion,
    });
    await w.done;
    expect(w.events.map((e) => e.object.code)).toEqual([410]);
    const relisted = await core.listNamespacedConfigMap({ namespace: ns });
    const ok = await watch(`/api/v1/namespaces/${ns}/configmaps`, {
      resourceVersion: relisted.metadata!.resourceVersion,
    });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'after' } } });
    await waitFor(() => ok.types().includes('ADDED after'));
    ok.stop();
  });
});

describe('faults and accounting', () => {
  it('drops open watches on demand', async () => {
    const ns = await freshNamespace();
    const w = await watch(`/api/v1/namespaces/${ns}/secrets`, {});
    await waitFor(() => sandbox.requests.total({ verbs: ['watch'] }) > 0);
    sandbox.faults.dropWatches();
    await expect(w.done).resolves.toBeFalsy();
  });

  it('refuses watches with 503 while asked to', async () => {
    sandbox.faults.refuseWatches(true);
    const w = await watch('/api/v1/secrets', {});
    const err = (await w.done) as { statusCode?: number };
    expect(err.statusCode).toBe(503);
    sandbox.faults.clear();
    const ok = await watch('/api/v1/secrets', { resourceVersion: '0' });
    await waitFor(() => ok.events.length > 0);
    ok.stop();
  });

  it('fails matching requests with the injected code (429 with Retry-After) and stops when the rule is removed', async () => {
    const ns = await freshNamespace();
    const remove = sandbox.faults.failRequests({
      fraction: 1,
      code: 429,
      verbs: ['create'],
      resources: ['secrets'],
    });
    const res = await fetch(`${sandbox.url}/api/v1/namespaces/${ns}/secrets`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ metadata: { name: 'x' } }),
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(((await res.json()) as { reason: string }).reason).toBe('TooManyRequests');
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'unaffected' } } });
    for (const code of [500, 503, 409] as const) {
      const stop = sandbox.faults.failRequests({ fraction: 1, code, verbs: ['get'] });
      expect((await rejection(core.readNamespace({ name: ns }))).code).toBe(code);
      stop();
    }
    remove();
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'x' } } });
  });

  it('adds latency to every request', async () => {
    sandbox.faults.setLatency(150);
    const started = Date.now();
    await core.listNamespace();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    sandbox.faults.clear();
  });

  it('counts requests per audit verb and resource', async () => {
    const ns = await freshNamespace();
    sandbox.requests.reset();
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'c' } } });
    const s = await core.readNamespacedSecret({ namespace: ns, name: 'c' });
    await core.replaceNamespacedSecret({ namespace: ns, name: 'c', body: s });
    await core.patchNamespacedSecret({
      namespace: ns,
      name: 'c',
      body: [{ op: 'add', path: '/data', value: {} }],
    });
    await core.listNamespacedSecret({ namespace: ns });
    await core.listNamespacedSecret({ namespace: ns });
    await core.deleteNamespacedSecret({ namespace: ns, name: 'c' });
    expect(sandbox.requests.counts()).toEqual({
      'create secrets': 1,
      'get secrets': 1,
      'update secrets': 1,
      'patch secrets': 1,
      'list secrets': 2,
      'delete secrets': 1,
    });
    expect(sandbox.requests.total({ verbs: ['list'] })).toBe(2);
    expect(sandbox.requests.total({ resources: ['secrets'] })).toBe(7);
  });
});

describe('bearer token auth', () => {
  it('answers 401 without the token and serves requests with it', async () => {
    const secured = await startSandbox({ token: 'sekret-token' });
    try {
      expect((await fetch(`${secured.url}/api/v1/namespaces`)).status).toBe(401);
      const authed = new KubeConfig();
      authed.loadFromString(secured.kubeconfigYaml());
      const names = (await authed.makeApiClient(CoreV1Api).listNamespace()).items.map(
        (n) => n.metadata?.name,
      );
      expect(names).toContain('default');
    } finally {
      await secured.stop();
    }
  });
});
