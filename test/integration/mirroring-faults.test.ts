// Sandbox-only (SPEC §10): the behaviour table under the sandbox's injected 500s/429s/409s (the plain table runs on kube-apiserver in test/real/mirroring.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mirrorKeys } from '../../src/core/keys.js';
import { readSourceSpec } from '../../src/core/source-spec.js';
import { sourceWantsNamespace, type TargetPolicy } from '../../src/core/targeting.js';
import type { KubeObject, NamespaceInfo } from '../../src/core/types.js';
import { Harness } from '../helpers/harness.js';
import { TestKube } from '../helpers/kube.js';
import { waitFor } from '../helpers/wait.js';
import { configMap, SCENARIOS } from './scenarios.js';

/**
 * The behaviour table again, under a hostile API server: 5% of all requests fail with 500, 5% of writes
 * with 409, every watch is dropped every ~300 ms and the watch history is compacted (410 on resume) every
 * ~2 s. The controller must reach the same final state, leave nothing orphaned and report nothing that is
 * not true. The test's own client sees the same faults, so it retries what the sandbox injected.
 */

const WRITES = ['create', 'update', 'patch', 'delete'];
const WAIT_MS = 30_000;
const KEYS = mirrorKeys();
const KINDS: Array<[string, string]> = [
  ['v1', 'Secret'],
  ['v1', 'ConfigMap'],
  ['v1', 'Service'],
];

/** TestKube whose calls retry what fault injection made fail (never a real AlreadyExists). */
class RetryingKube extends TestKube {
  private async retry<T>(what: () => Promise<T>, anyConflict = false): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await what();
      } catch (err) {
        const code = (err as { code?: number }).code;
        const body = JSON.stringify((err as { body?: unknown }).body ?? '');
        const injected =
          code === 500 ||
          code === 503 ||
          code === 429 ||
          (code === 409 && (anyConflict || body.includes('injected fault')));
        if (!injected || attempt >= 100) throw err;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
  override get(apiVersion: string, kind: string, namespace: string, name: string) {
    return this.retry(() => super.get(apiVersion, kind, namespace, name));
  }
  override list(apiVersion: string, kind: string, namespace?: string, labelSelector?: string) {
    return this.retry(() => super.list(apiVersion, kind, namespace, labelSelector));
  }
  override create(obj: KubeObject) {
    return this.retry(() => super.create(obj));
  }
  // apply reads then replaces: a genuine 409 (the controller wrote in between) is retried from a fresh read
  override apply(obj: KubeObject) {
    return this.retry(() => super.apply(obj), true);
  }
  override mergePatch(
    apiVersion: string,
    kind: string,
    namespace: string,
    name: string,
    patch: Record<string, unknown>,
  ) {
    return this.retry(() => super.mergePatch(apiVersion, kind, namespace, name, patch));
  }
  override delete(apiVersion: string, kind: string, namespace: string, name: string) {
    return this.retry(() => super.delete(apiVersion, kind, namespace, name));
  }
}

/** The harness as the scenarios see it: the retrying client and longer waits. */
function underFaults(h: Harness, kube: TestKube): Harness {
  return new Proxy(h, {
    get(target, prop, receiver) {
      if (prop === 'kube') return kube;
      if (prop === 'expectMirrorsIn')
        return (apiVersion: string, kind: string, name: string, namespaces: string[]) =>
          Harness.prototype.expectMirrorsIn.call(receiver, apiVersion, kind, name, namespaces, WAIT_MS);
      if (prop === 'expectStatus')
        return (apiVersion: string, kind: string, ns: string, name: string, ok: (l: string) => boolean) =>
          Harness.prototype.expectStatus.call(receiver, apiVersion, kind, ns, name, ok, WAIT_MS);
      return Reflect.get(target, prop, receiver);
    },
  });
}

function nsInfo(o: KubeObject): NamespaceInfo {
  return {
    name: o.metadata.name,
    labels: o.metadata.labels ?? {},
    annotations: o.metadata.annotations ?? {},
    terminating:
      Boolean(o.metadata.deletionTimestamp) || (o.status as { phase?: string })?.phase === 'Terminating',
  };
}

const POLICY: TargetPolicy = {
  keys: KEYS,
  excludedNamespaces: [],
  includedNamespaces: [],
  systemNamespaces: ['kube-system', 'kube-public', 'kube-node-lease'],
  maxTargets: 100,
};

/** Every mirror whose source is gone, has another uid, or no longer targets the mirror's namespace. */
async function orphans(kube: TestKube): Promise<string[]> {
  const namespaces = new Map((await kube.list('v1', 'Namespace')).map((n) => [n.metadata.name, nsInfo(n)]));
  const out: string[] = [];
  for (const [apiVersion, kind] of KINDS) {
    for (const m of await kube.list(apiVersion, kind, undefined, `${KEYS.mirror}=true`)) {
      const a = m.metadata.annotations ?? {};
      const where = `${kind} ${m.metadata.namespace}/${m.metadata.name}`;
      const src = await kube.get(apiVersion, kind, a[KEYS.sourceNamespace] ?? '', a[KEYS.sourceName] ?? '');
      if (!src) out.push(`${where}: source gone`);
      else if (src.metadata.uid !== a[KEYS.sourceUid]) out.push(`${where}: source uid differs`);
      else if (src.metadata.deletionTimestamp)
        continue; // finalizer flow still cleaning up
      else if (
        src.metadata.labels?.[KEYS.enabled] !== 'true' ||
        src.metadata.annotations?.[KEYS.sync] !== 'true' ||
        !sourceWantsNamespace(
          src,
          readSourceSpec(src, KEYS),
          namespaces.get(m.metadata.namespace ?? '') ?? nsInfo({ metadata: { name: '' } } as KubeObject),
          POLICY,
        )
      )
        out.push(`${where}: source no longer targets it`);
    }
  }
  return out;
}

/** A namespace listed as a conflict must really hold an object of that name that is not this source's. */
async function bogusConflicts(
  kube: TestKube,
  apiVersion: string,
  kind: string,
  name: string,
  sourceUid: string,
  namespaces: string[],
): Promise<string[]> {
  const out: string[] = [];
  for (const ns of namespaces) {
    const holder = await kube.get(apiVersion, kind, ns, name);
    if (!holder) {
      // the mirrors of a source that was deleted or narrowed since are legitimately gone
      const src = await kube.list(apiVersion, kind, undefined, `${KEYS.enabled}=true`);
      if (src.some((s) => s.metadata.uid === sourceUid && s.metadata.name === name))
        out.push(`${kind} ${name} in ${ns}: conflict reported but nothing holds the name`);
    } else if (holder.metadata.annotations?.[KEYS.sourceUid] === sourceUid)
      out.push(`${kind} ${name} in ${ns}: conflict reported against the source's own mirror`);
  }
  return out;
}

/** Parses the namespaces and error reasons out of a sync-status line. */
function parseStatus(line: string): { conflicts: string[]; errors: string[] } {
  const conflicts = /\d+ conflicts? \(([^)]*)\)/.exec(line)?.[1]?.split(', ') ?? [];
  const errors = (/\d+ errors? \((.*)\)$/.exec(line)?.[1]?.split(', ') ?? []).map((e) =>
    e.slice(e.indexOf(': ') + 2),
  );
  return { conflicts: conflicts.filter((c) => !c.startsWith('+')), errors };
}

/** Reasons a transient fault may legitimately leave in an Event while it lasted. */
// a 409 on our own write is retried from the cache quietly: never an error in a SyncPartial Event
const TRANSIENT_REASONS = new Set(['transient', 'throttled']);

describe('mirroring behaviour table under injected API faults', () => {
  let h: Harness;
  let hf: Harness;
  let kube: RetryingKube;
  let driver: NodeJS.Timeout | undefined;
  const clearRules: Array<() => void> = [];

  beforeAll(async () => {
    h = await Harness.start({ controller: false });
    kube = new RetryingKube(h.sandbox.kubeconfigYaml());
    hf = underFaults(h, kube);
    const f = h.sandbox.faults;
    clearRules.push(f.failRequests({ fraction: 0.05, code: 500 }));
    clearRules.push(f.failRequests({ fraction: 0.05, code: 409, verbs: WRITES }));
    let tick = 0;
    driver = setInterval(() => {
      tick++;
      if (tick % 7 === 0) f.compactHistory(); // resuming from any old resourceVersion now answers 410
      f.dropWatches();
    }, 300);
    // the controller starts (lists, first watches) with the faults already on
    await h.startController();
  }, 60_000);

  afterAll(async () => {
    clearInterval(driver);
    await h?.stop();
  });

  SCENARIOS.forEach((s, i) => {
    it(`${s.name} (under faults)`, async () => {
      await s.run(hf, `f${i}`);
    }, 60_000);
  });

  it('a 429 storm on writes: the controller backs off and the mirrors still converge', async () => {
    await kube.namespace('storm-src');
    for (const n of ['storm-a', 'storm-b', 'storm-c']) await kube.namespace(n);
    const metrics = h.running!.metrics.registry;
    const throttled = async () => {
      const m = (await metrics.getMetricsAsJSON()).find((x) => x.name === 'kubemirror_api_requests_total');
      return (m?.values ?? [])
        .filter((v) => String(v.labels.code) === '429')
        .reduce((sum, v) => sum + Number(v.value), 0);
    };
    const before = await throttled();
    const endStorm = h.sandbox.faults.failRequests({ fraction: 0.9, code: 429, verbs: WRITES });
    try {
      await kube.create(configMap('storm-src', 'storm', { [KEYS.targetNamespaces]: 'storm-*' }));
      // the storm lasts until the controller has been refused several writes (its per-key backoff grows
      // exponentially, so this is a few seconds)
      await waitFor('the controller to be throttled repeatedly', throttled, (n) => n - before >= 6, {
        timeoutMs: WAIT_MS,
      });
    } finally {
      endStorm();
    }
    await hf.expectMirrorsIn('v1', 'ConfigMap', 'storm', ['storm-a', 'storm-b', 'storm-c']);
    await hf.expectStatus('v1', 'ConfigMap', 'storm-src', 'storm', (l) => l === 'Synced 3/3');
  }, 60_000);

  it('afterwards nothing is orphaned and no status or Event claims a problem that is not there', async () => {
    // faults off: let in-flight retries settle, then the cluster must be clean
    for (const clear of clearRules) clear();
    clearInterval(driver);
    await waitFor(
      'no orphaned mirrors',
      () => orphans(kube),
      (o) => o.length === 0,
      { timeoutMs: WAIT_MS },
    );

    const problems: string[] = [];
    for (const [apiVersion, kind] of KINDS) {
      for (const src of await kube.list(apiVersion, kind, undefined, `${KEYS.enabled}=true`)) {
        const a = src.metadata.annotations ?? {};
        if (a[KEYS.sync] !== 'true' || src.metadata.deletionTimestamp) continue;
        const where = `${kind} ${src.metadata.namespace}/${src.metadata.name}`;
        const line = await waitFor(
          `${where} to settle on Synced or a conflict`,
          async () =>
            (await kube.get(apiVersion, kind, src.metadata.namespace ?? '', src.metadata.name))?.metadata
              .annotations?.[KEYS.syncStatus] ?? '',
          (l) => /^Synced (\d+)\/\1$/.test(l) || (l.startsWith('Partial') && !l.includes('error')),
          { timeoutMs: WAIT_MS },
        );
        const { conflicts } = parseStatus(line);
        problems.push(
          ...(await bogusConflicts(
            kube,
            apiVersion,
            kind,
            src.metadata.name,
            src.metadata.uid ?? '',
            conflicts,
          )),
        );
      }
    }

    const events = await kube.list('v1', 'Event');
    for (const e of events) {
      const reason = e.reason as string;
      const message = (e.message as string) ?? '';
      const io = e.involvedObject as { apiVersion: string; kind: string; name: string; uid: string };
      const where = `Event ${reason} on ${io.kind} ${e.metadata.namespace}/${io.name}: ${message}`;
      if (reason === 'MirrorConflict') {
        const ns = /^not mirrored to ([^:]+):/.exec(message)?.[1] ?? '';
        problems.push(...(await bogusConflicts(kube, io.apiVersion, io.kind, io.name, io.uid, [ns])));
      } else if (reason === 'SyncPartial') {
        const { conflicts, errors } = parseStatus(message);
        for (const r of errors) if (!TRANSIENT_REASONS.has(r)) problems.push(`${where}: unexpected error`);
        problems.push(...(await bogusConflicts(kube, io.apiVersion, io.kind, io.name, io.uid, conflicts)));
      } else if (reason === 'MirrorRecreated') {
        // only the Secret whose type changed has a reason to be recreated
        if (!(io.kind === 'Secret' && io.name === 'typed')) problems.push(`${where}: unexpected recreate`);
      } else {
        problems.push(`${where}: unexpected Event`);
      }
    }
    expect(problems).toEqual([]);
  }, 60_000);
});
