import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/types.js';
import {
  ApplyConflict,
  applyWithOwnership,
  conflictStatusParts,
  fieldsV1Of,
  managerFor,
  recordUpdate,
} from '../../src/sandbox/managed-fields.js';

const T1 = '2026-01-01T00:00:00Z';
const T2 = '2026-01-01T00:01:00Z';
const cm = (data: Record<string, string>, extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'c', namespace: 'default', ...extra },
  data,
});
const created = (): KubeObject => {
  const next = cm({ key: 'a' });
  const managedFields = recordUpdate({
    old: undefined,
    next,
    manager: 'kubectl',
    apiVersion: 'v1',
    time: T1,
  });
  return { ...next, metadata: { ...next.metadata, managedFields } };
};

describe('managedFields', () => {
  it('a create records the Update entry with "." for the added map', () => {
    expect(created().metadata.managedFields).toEqual([
      {
        manager: 'kubectl',
        operation: 'Update',
        apiVersion: 'v1',
        time: T1,
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { '.': {}, 'f:key': {} } },
      },
    ]);
  });

  it('an apply changing a field another manager owns conflicts with the real message', () => {
    const live = created();
    const run = () =>
      applyWithOwnership({
        live,
        config: cm({ key: 'b' }),
        manager: 'a',
        apiVersion: 'v1',
        time: T2,
        force: false,
      });
    expect(run).toThrow(ApplyConflict);
    try {
      run();
    } catch (e) {
      const parts = conflictStatusParts(e as ApplyConflict);
      expect(parts.message).toBe('Apply failed with 1 conflict: conflict with "kubectl" using v1: .data.key');
      expect(parts.causes).toEqual([
        { reason: 'FieldManagerConflict', message: 'conflict with "kubectl" using v1', field: '.data.key' },
      ]);
    }
  });

  it('an equal value is shared, force moves ownership', () => {
    const shared = applyWithOwnership({
      live: created(),
      config: cm({ key: 'a' }),
      manager: 'a',
      apiVersion: 'v1',
      time: T2,
      force: false,
    });
    expect(shared.managedFields.map((m) => m.manager)).toEqual(['a', 'kubectl']);
    const forced = applyWithOwnership({
      live: created(),
      config: cm({ key: 'b' }),
      manager: 'a',
      apiVersion: 'v1',
      time: T2,
      force: true,
    });
    expect(forced.object.data).toEqual({ key: 'b' });
    // kubectl keeps only the map itself (".data"), the forced leaf moved to "a"
    expect(forced.managedFields.map((m) => [m.manager, m.fieldsV1])).toEqual([
      ['a', { 'f:data': { 'f:key': {} } }],
      ['kubectl', { 'f:data': {} }],
    ]);
  });

  it('an Update by a second manager moves only the changed fields', () => {
    const live = { ...created(), data: { key: 'a', other: 'x' } };
    const next = { ...live, data: { key: 'z', other: 'x' } };
    const out = recordUpdate({ old: live, next, manager: 'm2', apiVersion: 'v1', time: T2 });
    expect(out.find((m) => m.manager === 'm2')?.fieldsV1).toEqual({ 'f:data': { 'f:key': {} } });
  });

  it('a field applied before and omitted now is removed', () => {
    const first = applyWithOwnership({
      live: undefined,
      config: cm({ a: '1', b: '2' }),
      manager: 'a',
      apiVersion: 'v1',
      time: T1,
      force: false,
    });
    const second = applyWithOwnership({
      live: first.object,
      config: cm({ a: '1' }),
      manager: 'a',
      apiVersion: 'v1',
      time: T2,
      force: false,
    });
    expect(second.object.data).toEqual({ a: '1' });
  });

  it('fieldsV1 of a Deployment and a Service', () => {
    expect(fieldsV1Of({ spec: { template: { spec: { containers: [{ name: 'c', image: 'i' }] } } } })).toEqual(
      {
        'f:spec': {
          'f:template': {
            'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
          },
        },
      },
    );
    expect(fieldsV1Of({ spec: { ports: [{ port: 80, protocol: 'TCP' }] } })).toEqual({
      'f:spec': {
        'f:ports': { 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:port': {}, 'f:protocol': {} } },
      },
    });
  });

  it('managerFor', () => {
    expect(managerFor('mine', 'kubectl/v1.30')).toBe('mine');
    expect(managerFor(undefined, 'kubectl/v1.30 (linux/amd64)')).toBe('kubectl');
    expect(managerFor(undefined, 'x'.repeat(200))).toHaveLength(128);
  });
});
