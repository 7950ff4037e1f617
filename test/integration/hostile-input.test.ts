import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/types.js';
import { type ControllerHarness as Harness, startAnyHarness } from '../helpers/any-harness.js';
import { waitFor } from '../helpers/wait.js';
import { configMap } from './scenarios.js';

/**
 * Hostile and unusual input (issue 9): each test names the promise it keeps. The real controller runs
 * against the sandbox over HTTP; every wait is on a condition.
 */

const T = 'kubemirror.io/target-namespaces';
const TRANSFORM = 'kubemirror.io/transform';
const STRICT = 'kubemirror.io/transform-strict';

/** An object someone else made to look like a mirror of `source`: the labels, the annotations, another uid. */
function forgedMirror(ns: string, source: KubeObject, uid: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: source.metadata.name,
      namespace: ns,
      labels: { 'kubemirror.io/mirror': 'true', 'kubemirror.io/managed-by': 'kubemirror' },
      annotations: {
        'kubemirror.io/source-namespace': source.metadata.namespace ?? '',
        'kubemirror.io/source-name': source.metadata.name,
        'kubemirror.io/source-uid': uid,
      },
    },
    data: { mine: 'not yours' },
  };
}

/** What a real API server records for an object made with kubectl: another field manager owns its fields. */
function writtenBy(manager: string, obj: KubeObject): KubeObject {
  const fields = {
    'f:metadata': {
      'f:labels': Object.fromEntries(Object.keys(obj.metadata.labels ?? {}).map((k) => [`f:${k}`, {}])),
      'f:annotations': Object.fromEntries(
        Object.keys(obj.metadata.annotations ?? {}).map((k) => [`f:${k}`, {}]),
      ),
    },
  };
  return {
    ...obj,
    metadata: {
      ...obj.metadata,
      managedFields: [
        { manager, operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: fields },
      ],
    },
  };
}

async function eventsOf(h: Harness, ns: string, name: string): Promise<KubeObject[]> {
  return (await h.kube.list('v1', 'Event', ns)).filter(
    (e) => (e.involvedObject as { name?: string } | undefined)?.name === name,
  );
}

describe('objects kubemirror does not own', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startAnyHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('deleting a source leaves alone an object labelled as its mirror that carries another uid', async () => {
    for (const n of ['fo-src', 'fo-a', 'fo-b']) await h.kube.namespace(n);
    const source = await h.kube.create(configMap('fo-src', 'named', { [T]: 'fo-a' }));
    await h.expectMirrorsIn('v1', 'ConfigMap', 'named', ['fo-a']);
    await h.kube.create(writtenBy('kubectl-create', forgedMirror('fo-b', source, 'not-the-source-uid')));
    await h.kube.delete('v1', 'ConfigMap', 'fo-src', 'named');
    await waitFor(
      'source gone',
      () => h.kube.get('v1', 'ConfigMap', 'fo-src', 'named'),
      (o) => o === null,
    );
    await waitFor(
      'its mirror deleted',
      () => h.kube.get('v1', 'ConfigMap', 'fo-a', 'named'),
      (o) => o === null,
    );
    expect((await h.kube.get('v1', 'ConfigMap', 'fo-b', 'named'))?.data).toEqual({ mine: 'not yours' });
  });

  it('turning sync off leaves alone an object labelled as its mirror that carries another uid', async () => {
    for (const n of ['fs-src', 'fs-a', 'fs-b']) await h.kube.namespace(n);
    const source = await h.kube.create(configMap('fs-src', 'sync-off', { [T]: 'fs-a' }));
    await h.expectMirrorsIn('v1', 'ConfigMap', 'sync-off', ['fs-a']);
    await h.kube.create(writtenBy('kubectl-create', forgedMirror('fs-b', source, 'forged-uid')));
    await h.kube.mergePatch('v1', 'ConfigMap', 'fs-src', 'sync-off', {
      metadata: { annotations: { 'kubemirror.io/sync': null } },
    });
    await waitFor(
      'its mirror deleted',
      () => h.kube.get('v1', 'ConfigMap', 'fs-a', 'sync-off'),
      (o) => o === null,
    );
    expect(await h.kube.get('v1', 'ConfigMap', 'fs-b', 'sync-off')).not.toBeNull();
  });

  it('a forged mirror in a target namespace is reported as a conflict, never adopted or overwritten', async () => {
    for (const n of ['fa-src', 'fa-a', 'fa-b']) await h.kube.namespace(n);
    const ghost = configMap('fa-src', 'taken', {});
    await h.kube.create(writtenBy('kubectl-create', forgedMirror('fa-b', ghost, 'some-dead-uid')));
    await h.kube.create(configMap('fa-src', 'taken', { [T]: 'fa-a,fa-b' }));
    await h.expectStatus('v1', 'ConfigMap', 'fa-src', 'taken', (l) => l === 'Partial 1/2: 1 conflict (fa-b)');
    expect((await h.kube.get('v1', 'ConfigMap', 'fa-b', 'taken'))?.data).toEqual({ mine: 'not yours' });
  });

  it('a source deleted while the controller was down: its own mirrors are collected, a copy of one is not', async () => {
    for (const n of ['oc-src', 'oc-a', 'oc-b']) await h.kube.namespace(n);
    await h.kube.create(configMap('oc-src', 'copied', { [T]: 'oc-a' }));
    await h.expectMirrorsIn('v1', 'ConfigMap', 'copied', ['oc-a']);
    const mirror = (await h.kube.get('v1', 'ConfigMap', 'oc-a', 'copied'))!;
    // `kubectl get -o yaml | kubectl apply` into another namespace: same labels and annotations, not ours
    const {
      uid: _u,
      resourceVersion: _r,
      creationTimestamp: _c,
      managedFields: _m,
      ...meta
    } = mirror.metadata;
    await h.kube.create(
      writtenBy('kubectl-client-side-apply', { ...mirror, metadata: { ...meta, namespace: 'oc-b' } }),
    );
    await h.whileStopped(async () => {
      await h.kube.forceDelete('v1', 'ConfigMap', 'oc-src', 'copied');
    });
    await waitFor(
      'the orphan collected',
      () => h.kube.get('v1', 'ConfigMap', 'oc-a', 'copied'),
      (o) => o === null,
    );
    // the copy is still there, with a warning in the log naming it
    await waitFor(
      'the copy reported',
      async () => h.logs.some((l) => l.includes('not written by kubemirror') && l.includes('oc-b')),
      Boolean,
    );
    expect(await h.kube.get('v1', 'ConfigMap', 'oc-b', 'copied')).not.toBeNull();
  });
});

describe('what a source is told', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startAnyHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('a skipped non-strict rule shows in the status line and an Event with the whole reason', async () => {
    for (const n of ['sk-src', 'sk-a']) await h.kube.namespace(n);
    const rules = 'rules:\n  - path: data.k.sub\n    value: x\n  - path: data.extra\n    value: y\n';
    await h.kube.create(configMap('sk-src', 'skips', { [T]: 'sk-a', [TRANSFORM]: rules }));
    await h.expectStatus('v1', 'ConfigMap', 'sk-src', 'skips', (l) => l === 'Synced 1/1, 1 rule skipped');
    // the rule that works still applied
    expect((await h.kube.get('v1', 'ConfigMap', 'sk-a', 'skips'))?.data).toMatchObject({ extra: 'y' });
    const events = await waitFor(
      'a TransformRuleSkipped Event',
      () => eventsOf(h, 'sk-src', 'skips'),
      (es) => es.some((e) => e.reason === 'TransformRuleSkipped'),
    );
    const message = events.find((e) => e.reason === 'TransformRuleSkipped')!.message as string;
    expect(message).toContain('sk-a');
    expect(message).toContain('data.k.sub');
  });

  it('a strict per-target failure: the Event and the log carry the whole reason; the status line may clip', async () => {
    for (const n of ['st-src', 'st-a']) await h.kube.namespace(n);
    const key = 'a-key-whose-name-is-long-enough-to-push-any-reason-past-sixty-characters';
    const rules = `rules:\n  - path: data["${key}"].sub\n    value: x\n`;
    await h.kube.create(
      configMap('st-src', 'strict', { [T]: 'st-a', [TRANSFORM]: rules, [STRICT]: 'true' }, { [key]: 'v' }),
    );
    const line = await h.expectStatus('v1', 'ConfigMap', 'st-src', 'strict', (l) =>
      l.startsWith('Partial 0/1'),
    );
    const events = await waitFor(
      'a MirrorFailed Event',
      () => eventsOf(h, 'st-src', 'strict'),
      (es) => es.some((e) => e.reason === 'MirrorFailed'),
    );
    const message = events.find((e) => e.reason === 'MirrorFailed')!.message as string;
    expect(message).toContain(key);
    expect(line).not.toContain(key); // the line abbreviates: that is why the Event must not
    expect(h.logs.some((l) => l.includes('mirror not written') && l.includes(key))).toBe(true);
  });

  it('a transform writing a number into ConfigMap data mirrors its string', async () => {
    for (const n of ['nv-src', 'nv-a']) await h.kube.namespace(n);
    await h.kube.create(
      configMap('nv-src', 'port', {
        [T]: 'nv-a',
        [TRANSFORM]: 'rules:\n  - path: data.port\n    value: 8080\n',
      }),
    );
    await h.expectStatus('v1', 'ConfigMap', 'nv-src', 'port', (l) => l === 'Synced 1/1');
    expect((await h.kube.get('v1', 'ConfigMap', 'nv-a', 'port'))?.data).toMatchObject({ port: '8080' });
  });

  it('a transform writing a map into ConfigMap data is that target error, with the field named', async () => {
    for (const n of ['mv-src', 'mv-a']) await h.kube.namespace(n);
    await h.kube.create(
      configMap('mv-src', 'map', {
        [T]: 'mv-a',
        [TRANSFORM]: 'rules:\n  - path: data.port\n    value: {a: 1}\n',
      }),
    );
    const line = await h.expectStatus('v1', 'ConfigMap', 'mv-src', 'map', (l) => l.startsWith('Partial 0/1'));
    expect(line).toContain('data.port');
    expect(await h.kube.get('v1', 'ConfigMap', 'mv-a', 'map')).toBeNull();
  });
});

describe('a mirror that works is never lost', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startAnyHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('an update the server refuses for a non-immutable reason keeps the working mirror and names the field', async () => {
    for (const n of ['iv-src', 'iv-dst']) await h.kube.namespace(n);
    await h.kube.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'web',
        namespace: 'iv-src',
        labels: { 'kubemirror.io/enabled': 'true' },
        annotations: { 'kubemirror.io/sync': 'true', [T]: 'iv-dst' },
      },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    });
    await h.expectStatus('v1', 'Service', 'iv-src', 'web', (l) => l === 'Synced 1/1');
    const before = (await h.kube.get('v1', 'Service', 'iv-dst', 'web'))!;
    // a port the server refuses (out of range) reaches only the server's validation, not ours
    await h.kube.mergePatch('v1', 'Service', 'iv-src', 'web', {
      metadata: {
        annotations: {
          [TRANSFORM]: 'rules:\n  - path: spec.ports[0].port\n    value: 70000\n',
        },
      },
    });
    const line = await h.expectStatus('v1', 'Service', 'iv-src', 'web', (l) => l.startsWith('Partial 0/1'));
    expect(line).toContain('spec.ports');
    const after = await h.kube.get('v1', 'Service', 'iv-dst', 'web');
    expect(after?.metadata.uid).toBe(before.metadata.uid);
    const events = await eventsOf(h, 'iv-src', 'web');
    expect(events.some((e) => e.reason === 'MirrorRecreated')).toBe(false);
    expect(events.some((e) => e.reason === 'MirrorFailed' && String(e.message).includes('spec.ports'))).toBe(
      true,
    );
  });
});
