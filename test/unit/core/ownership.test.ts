import { describe, expect, it } from 'vitest';
import { DEFAULT_STRIP_KEYS } from '../../../src/config/config.js';
import { buildDesiredMirror } from '../../../src/core/desired-mirror.js';
import { mirrorKeys } from '../../../src/core/keys.js';
import {
  classifyExisting,
  isProvablyMirrorOf,
  type Ownership,
  writtenByKubemirror,
} from '../../../src/core/ownership.js';
import type { KubeObject } from '../../../src/core/types.js';
import { aSource, asLive } from '../../helpers/builders.js';

const keys = mirrorKeys();
const source = aSource().inNamespace('platform').named('tls').withUid('uid-new').build();
const mirrorOf = (src: KubeObject) =>
  asLive(buildDesiredMirror(src, 'app-1', { keys, stripKeys: DEFAULT_STRIP_KEYS }).mirror);
const live = new Set(['platform/tls/uid-new', 'infra/tls/uid-infra']);
const isLive = (ns: string, name: string, uid: string) => live.has(`${ns}/${name}/${uid}`);

function edited(obj: KubeObject, edit: (o: KubeObject) => void): KubeObject {
  const c = structuredClone(obj);
  edit(c);
  return c;
}

const owned = mirrorOf(source);
const oldUid = mirrorOf(aSource().inNamespace('platform').named('tls').withUid('uid-old').build());
const otherLive = mirrorOf(aSource().inNamespace('infra').named('tls').withUid('uid-infra').build());
const otherDead = mirrorOf(aSource().inNamespace('gone').named('tls').withUid('uid-gone').build());
const unmanaged = asLive({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'tls', namespace: 'app-1' },
  data: {},
});
const labelOnly = asLive({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'tls', namespace: 'app-1', labels: { [keys.mirror]: 'true' } },
});

describe('classifyExisting', () => {
  it.each<[string, KubeObject, Ownership]>([
    ['our mirror', owned, 'owned'],
    ['our mirror, edited body (still ours)', edited(owned, (o) => (o.data = { x: 'eQ==' })), 'owned'],
    ['mirror of a re-created source (old uid, not live)', oldUid, 'adoptable'],
    ['mirror of another source that is live', otherLive, 'foreign-other-source'],
    [
      'mirror of another source that no longer exists (left to its cleanup)',
      otherDead,
      'foreign-other-source',
    ],
    ['object without the mirror label', unmanaged, 'foreign-unmanaged'],
    [
      'mirror label "false"',
      edited(owned, (o) => (o.metadata.labels![keys.mirror] = 'false')),
      'foreign-unmanaged',
    ],
    ['mirror label without source annotations', labelOnly, 'foreign-unmanaged'],
  ])('%s → %s', (_n, obj, expected) => {
    expect(classifyExisting(obj, source, keys, isLive)).toBe(expected);
  });
});

describe('isProvablyMirrorOf', () => {
  it.each<[string, KubeObject, boolean]>([
    ['our mirror', owned, true],
    ['old uid', oldUid, false],
    ['other source', otherLive, false],
    ['unlabelled', unmanaged, false],
    ['label removed', edited(owned, (o) => delete o.metadata.labels![keys.mirror]), false],
    [
      'source-namespace annotation changed',
      edited(owned, (o) => (o.metadata.annotations![keys.sourceNamespace] = 'x')),
      false,
    ],
    [
      'source-name annotation changed',
      edited(owned, (o) => (o.metadata.annotations![keys.sourceName] = 'x')),
      false,
    ],
    ['object renamed', edited(owned, (o) => (o.metadata.name = 'other')), false],
  ])('%s → %s', (_n, obj, expected) => {
    expect(isProvablyMirrorOf(obj, 'platform', 'tls', 'uid-new', keys)).toBe(expected);
  });

  it('an empty source uid proves nothing', () => {
    const noUid = edited(owned, (o) => (o.metadata.annotations![keys.sourceUid] = ''));
    expect(isProvablyMirrorOf(noUid, 'platform', 'tls', '', keys)).toBe(false);
  });
});

describe('writtenByKubemirror', () => {
  const keys = mirrorKeys();
  const labelled: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'm',
      namespace: 'app',
      labels: { [keys.mirror]: 'true' },
      annotations: { [keys.sourceUid]: 'u' },
    },
  };
  const fields = {
    'f:metadata': {
      'f:labels': { [`f:${keys.mirror}`]: {} },
      'f:annotations': { [`f:${keys.sourceUid}`]: {} },
    },
  };

  it('needs kubemirror’s manager to own the mirror label and the source uid', () => {
    const ours = {
      ...labelled,
      metadata: { ...labelled.metadata, managedFields: [{ manager: 'kubemirror', fieldsV1: fields }] },
    };
    const copied = {
      ...labelled,
      metadata: {
        ...labelled.metadata,
        managedFields: [{ manager: 'kubectl-client-side-apply', fieldsV1: fields }],
      },
    };
    expect(writtenByKubemirror(ours, keys)).toBe(true);
    expect(writtenByKubemirror(copied, keys)).toBe(false);
  });

  it('an object with no managedFields at all proves nothing (every real server records them)', () => {
    expect(writtenByKubemirror(labelled, keys)).toBe(false);
  });
});
