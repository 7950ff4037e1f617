import { describe, expect, it } from 'vitest';
import { DEFAULT_STRIP_KEYS } from '../../../src/config/config.js';
import { buildDesiredMirror } from '../../../src/core/desired-mirror.js';
import { mirrorKeys } from '../../../src/core/keys.js';
import { isAsWritten, liveContentHash, summarizeMirror } from '../../../src/core/mirror-summary.js';
import { classifyExisting } from '../../../src/core/ownership.js';
import type { KubeObject } from '../../../src/core/types.js';

const keys = mirrorKeys();
const source: KubeObject = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'ca', namespace: 'src', uid: 'u-1', labels: { 'kubemirror.io/enabled': 'true' } },
  type: 'Opaque',
  data: { 'ca.crt': Buffer.from('x'.repeat(64 * 1024)).toString('base64') },
};

/** The mirror as the server stores it after kubemirror wrote it. */
function stored(extra: (o: KubeObject) => void = () => {}): KubeObject {
  const { mirror, hash } = buildDesiredMirror(source, 'app-1', { keys, stripKeys: DEFAULT_STRIP_KEYS });
  const o = structuredClone(mirror);
  o.metadata = {
    ...o.metadata,
    uid: 'm-1',
    resourceVersion: '9',
    managedFields: [
      {
        manager: 'kubemirror',
        operation: 'Update',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:data': { 'f:ca.crt': {} },
          'f:metadata': {
            'f:labels': { [`f:${keys.mirror}`]: {} },
            'f:annotations': { [`f:${keys.sourceUid}`]: {} },
          },
        },
      },
    ],
  } as KubeObject['metadata'];
  expect(o.metadata.annotations?.[keys.contentHash]).toBe(hash);
  extra(o);
  return o;
}

describe('summarizeMirror', () => {
  it('keeps metadata, type and the content hash of a mirror as recorded, and drops the payload', () => {
    const full = stored();
    const s = summarizeMirror(full, keys);
    expect(s.data).toBeUndefined();
    expect(s.type).toBe('Opaque');
    expect(s.metadata.resourceVersion).toBe('9');
    expect(liveContentHash(s, keys)).toBe(full.metadata.annotations?.[keys.contentHash]);
    expect(JSON.stringify(s).length).toBeLessThan(2048);
  });

  it('keeps the proof of ownership an adoption needs', () => {
    const full = stored();
    const s = summarizeMirror(full, keys);
    const reborn = { ...source, metadata: { ...source.metadata, uid: 'u-2' } };
    expect(classifyExisting(full, reborn, keys, () => false)).toBe('adoptable');
    expect(classifyExisting(s, reborn, keys, () => false)).toBe('adoptable');
  });

  it('keeps a mirror whole when its content is not what was recorded (server change or edit)', () => {
    const edited = stored((o) => {
      o.metadata.labels = { ...o.metadata.labels, injected: 'yes' };
    });
    const s = summarizeMirror(edited, keys);
    expect(s).toBe(edited);
    expect(liveContentHash(s, keys)).not.toBe(edited.metadata.annotations?.[keys.contentHash]);
  });

  it('summarises the echo of our own write without hashing it, even when the server changed it on the way in', () => {
    const defaulted = stored((o) => {
      o.metadata.labels = { ...o.metadata.labels, injected: 'yes' };
    });
    const s = summarizeMirror(defaulted, keys, true);
    expect(s.data).toBeUndefined();
    expect(isAsWritten(s)).toBe(true);
    expect(isAsWritten(summarizeMirror(defaulted, keys))).toBe(false);
  });
});
