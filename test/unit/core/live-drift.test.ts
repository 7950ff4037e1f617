import { describe, expect, it } from 'vitest';
import { afterInSync, afterWrite, DEFAULT_FIGHT_POLICY, type FightPolicy } from '../../../src/core/fights.js';
import { mirrorKeys } from '../../../src/core/keys.js';
import { liveDrift } from '../../../src/core/live-drift.js';
import type { KubeObject } from '../../../src/core/types.js';

const keys = mirrorKeys();
const entry = (manager: string, fieldsV1: object, time = '2026-12-03T10:00:00Z') => ({
  manager,
  operation: 'Update',
  apiVersion: 'v1',
  time,
  fieldsType: 'FieldsV1',
  fieldsV1,
});

const desiredSvc: KubeObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'a', labels: { app: 'web' } },
  spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 80 }] },
};

function live(over: (o: KubeObject) => void, base: KubeObject = desiredSvc): KubeObject {
  const o = structuredClone(base);
  over(o);
  return o;
}

describe('liveDrift', () => {
  it('what the server added on our write (allocated IP, defaults owned by us or nobody) is not drift', () => {
    const l = live((o) => {
      Object.assign(o.spec as object, {
        clusterIP: '10.0.0.7',
        sessionAffinity: 'None',
        ipFamilies: ['IPv4'],
        internalTrafficPolicy: 'Cluster',
      });
      o.metadata.labels!['webhook/injected'] = 'yes';
      o.metadata.managedFields = [entry('kubemirror', { 'f:spec': { 'f:sessionAffinity': {} } })] as never;
    });
    expect(liveDrift(desiredSvc, l, keys)).toEqual({ drift: false, fields: [], managers: [] });
  });

  it('a field another manager added is drift, naming the field and the manager', () => {
    const l = live((o) => {
      (o.spec as Record<string, unknown>).externalTrafficPolicy = 'Local';
      o.metadata.managedFields = [
        entry('kubemirror', { 'f:spec': { 'f:ports': {} } }),
        entry('kubectl-edit', { 'f:spec': { 'f:externalTrafficPolicy': {} } }),
      ] as never;
    });
    expect(liveDrift(desiredSvc, l, keys)).toEqual({
      drift: true,
      fields: ['spec.externalTrafficPolicy'],
      managers: ['kubectl-edit'],
    });
  });

  it('a value changed inside a keyed list is drift, owned through its k: key', () => {
    const l = live((o) => {
      (o.spec as { ports: { port: number }[] }).ports[0]!.port = 81;
      o.metadata.managedFields = [
        entry('ops', { 'f:spec': { 'f:ports': { 'k:{"port":81,"protocol":"TCP"}': { 'f:port': {} } } } }),
      ] as never;
    });
    expect(liveDrift(desiredSvc, l, keys)).toEqual({
      drift: true,
      fields: ['spec.ports[0].port'],
      managers: ['ops'],
    });
  });

  it('a removed field is drift; the last other writer is named when nobody owns the gap', () => {
    const l = live((o) => {
      delete o.metadata.labels!.app;
      o.metadata.managedFields = [
        entry('kubemirror', {}, '2026-12-03T10:00:00Z'),
        entry('older', {}, '2026-12-03T09:00:00Z'),
        entry('newest', {}, '2026-12-03T11:00:00Z'),
      ] as never;
    });
    expect(liveDrift(desiredSvc, l, keys)).toMatchObject({
      drift: true,
      fields: ['metadata.labels.app'],
      managers: ['newest'],
    });
  });

  it('an extra ConfigMap data key is drift whoever owns it', () => {
    const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } };
    const l = live((o) => {
      (o.data as Record<string, string>).b = '2';
    }, cm);
    expect(liveDrift(cm, l, keys)).toMatchObject({ drift: true, fields: ['data.b'] });
  });

  it("the Deployment controller's revision annotation is never compared (FOREIGN_OWNED_BY_DESIGN)", () => {
    const dep: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', annotations: { note: 'x' } },
      spec: { replicas: 1 },
    };
    const l = live((o) => {
      o.metadata.annotations!['deployment.kubernetes.io/revision'] = '4';
      o.metadata.managedFields = [
        entry('kube-controller-manager', {
          'f:metadata': { 'f:annotations': { 'f:deployment.kubernetes.io/revision': {} } },
        }),
      ] as never;
    }, dep);
    expect(liveDrift(dep, l, keys).drift).toBe(false);
  });

  it('our own volatile annotations (hash, last sync) are not compared', () => {
    const l = live((o) => {
      o.metadata.annotations = { [keys.lastSyncTime]: 'later', [keys.contentHash]: 'other' };
    });
    expect(liveDrift(desiredSvc, l, keys).drift).toBe(false);
  });
});

describe('fight policy', () => {
  const p: FightPolicy = { windowMs: 100, rounds: 3, baseMs: 100, maxMs: 1000 };
  const verdict = { drift: true, fields: ['data.x'], managers: ['bot'] };

  it('three repairs each soon after our previous write make a fight; holds double up to the max', () => {
    let s = afterWrite(undefined, 0, null, p).state;
    const holds: number[] = [];
    let started = 0;
    for (let i = 1; i <= 8; i++) {
      const at = i === 1 ? 50 : s.holdUntil > 0 ? s.holdUntil : s.lastWriteAt + 50;
      const r = afterWrite(s, at, verdict, p);
      if (r.started) started++;
      s = r.state;
      if (s.fighting) holds.push(s.holdUntil - s.lastWriteAt);
    }
    expect(started).toBe(1);
    expect(holds).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(s.managers).toEqual(['bot']);
  });

  it('a repair long after our last write is a fresh first round, not a fight', () => {
    const a = afterWrite(undefined, 0, verdict, p).state;
    const b = afterWrite(a, 50, verdict, p).state;
    const c = afterWrite(b, 500, verdict, p);
    expect(c.state).toMatchObject({ rounds: 1, fighting: false });
  });

  it('the fight ends at the first in-sync look a quiet window after our last write', () => {
    const s = { rounds: 5, lastWriteAt: 1000, fighting: true, holdUntil: 1400, managers: [], fields: [] };
    expect(afterInSync(s, 1050, p)).toBe(s);
    expect(afterInSync(s, 1100, p)).toBeUndefined();
  });

  it('defaults: a minute of window, two of first hold, ten minutes at most', () => {
    expect(DEFAULT_FIGHT_POLICY).toEqual({ windowMs: 60_000, rounds: 3, baseMs: 120_000, maxMs: 600_000 });
  });
});
