import { describe, expect, it } from 'vitest';
import { DEFAULT_STRIP_KEYS } from '../../../src/config/config.js';
import { buildDesiredMirror } from '../../../src/core/desired-mirror.js';
import { canonicalJson, mirrorContentHash } from '../../../src/core/hash.js';
import { mirrorKeys } from '../../../src/core/keys.js';
import { neverMirrorReason } from '../../../src/core/sanitize.js';
import type { KubeObject } from '../../../src/core/types.js';
import { aSource, asLive, reverseKeys } from '../../helpers/builders.js';

const keys = mirrorKeys();
const now = () => new Date('2026-03-04T05:06:07.000Z');
const opts = { keys, stripKeys: DEFAULT_STRIP_KEYS, now };
const build = (
  src: KubeObject,
  ns = 'app-1',
  o: Partial<typeof opts> & { transform?: (x: KubeObject) => KubeObject } = {},
) => buildDesiredMirror(src, ns, { ...opts, ...o });

describe('buildDesiredMirror: metadata', () => {
  const source = aSource()
    .inNamespace('platform')
    .named('tls')
    .fromServer()
    .withLabels({
      team: 'payments',
      'app.kubernetes.io/instance': 'rel',
      'app.kubernetes.io/name': 'web',
      'helm.sh/chart': 'web-1.0',
    })
    .withAnnotations({
      note: 'keep',
      'kubectl.kubernetes.io/last-applied-configuration': '{}',
      'argocd.argoproj.io/tracking-id': 'x',
      'meta.helm.sh/release-name': 'rel',
      'kustomize.toolkit.fluxcd.io/name': 'k',
      [keys.targetNamespaces]: 'app-*',
      [keys.syncStatus]: 'Synced 1/1',
    })
    .withBody({ status: { phase: 'x' } })
    .build();
  source.metadata.ownerReferences = [{ kind: 'ExternalSecret' }];
  source.metadata.finalizers = [keys.finalizer];
  source.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
  const { mirror, hash } = build(source);

  it('has the source name, the target namespace and nothing server-set', () => {
    expect(Object.keys(mirror.metadata).sort()).toEqual(['annotations', 'labels', 'name', 'namespace']);
    expect(mirror.metadata.name).toBe('tls');
    expect(mirror.metadata.namespace).toBe('app-1');
    expect(mirror.status).toBeUndefined();
  });

  it('copies labels except P/* and strip-list keys, and adds the mirror labels', () => {
    expect(mirror.metadata.labels).toEqual({
      team: 'payments',
      'app.kubernetes.io/name': 'web',
      [keys.mirror]: 'true',
      [keys.managedBy]: 'kubemirror',
    });
  });

  it('copies annotations except P/* and strip-list keys, and adds the source annotations', () => {
    expect(mirror.metadata.annotations).toEqual({
      note: 'keep',
      [keys.sourceNamespace]: 'platform',
      [keys.sourceName]: 'tls',
      [keys.sourceUid]: source.metadata.uid,
      [keys.contentHash]: hash,
      [keys.lastSyncTime]: '2026-03-04T05:06:07.000Z',
    });
  });

  it('the returned hash is the content hash of the mirror itself', () => {
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(mirrorContentHash(mirror, keys)).toBe(hash);
  });

  it('does not mutate the source', () => {
    const s = aSource()
      .withBody({ stringData: { a: 'b' } })
      .build();
    const before = structuredClone(s);
    build(s, 'x', { transform: (o) => ({ ...o, data: { z: 'eg==' } }) });
    expect(s).toEqual(before);
  });

  it('honours a custom strip list', () => {
    const s = aSource().withLabels({ 'corp.io/owner': 'a', keep: 'b' }).build();
    expect(build(s, 'x', { stripKeys: ['corp.io/*'] }).mirror.metadata.labels).not.toHaveProperty(
      'corp.io/owner',
    );
    expect(build(s, 'x', { stripKeys: [] }).mirror.metadata.labels).toHaveProperty('corp.io/owner', 'a');
  });
});

describe('buildDesiredMirror: body and per-kind sanitising', () => {
  it('copies the body of a ConfigMap', () => {
    const s = aSource()
      .asConfigMap({ a: '1' })
      .withBody({ binaryData: { b: 'AA==' }, immutable: true })
      .build();
    const { mirror } = build(s);
    expect(mirror).toMatchObject({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      data: { a: '1' },
      binaryData: { b: 'AA==' },
      immutable: true,
    });
  });

  it('drops Service clusterIP(s), node ports and healthCheckNodePort', () => {
    const s = aSource()
      .ofKind('v1', 'Service', {
        spec: {
          type: 'LoadBalancer',
          clusterIP: '10.0.0.7',
          clusterIPs: ['10.0.0.7'],
          healthCheckNodePort: 31000,
          ports: [{ port: 80, targetPort: 8080, nodePort: 30080, protocol: 'TCP' }],
          selector: { app: 'web' },
        },
      })
      .build();
    expect(build(s).mirror.spec).toEqual({
      type: 'LoadBalancer',
      ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }],
      selector: { app: 'web' },
    });
  });

  it('keeps a headless Service headless', () => {
    const s = aSource()
      .ofKind('v1', 'Service', { spec: { clusterIP: 'None', clusterIPs: ['None'], ports: [] } })
      .build();
    expect(build(s).mirror.spec).toMatchObject({ clusterIP: 'None', clusterIPs: ['None'] });
  });

  it('folds Secret stringData into data (base64) and never writes stringData', () => {
    const s = aSource()
      .withBody({ data: { a: 'MQ==' }, stringData: { b: 'two', a: 'one' } })
      .build();
    const { mirror } = build(s);
    expect(mirror.stringData).toBeUndefined();
    expect(mirror.data).toEqual({
      a: Buffer.from('one').toString('base64'),
      b: Buffer.from('two').toString('base64'),
    });
  });

  it('defaults a missing Secret type to Opaque, as the API server does', () => {
    const s = aSource().build();
    delete s.type;
    expect(build(s).mirror.type).toBe('Opaque');
  });

  it('leaves custom resources alone except status', () => {
    const s = aSource()
      .ofKind('example.com/v1', 'Widget', { spec: { clusterIP: 'keep' }, status: { ok: true } })
      .build();
    const { mirror } = build(s);
    expect(mirror.spec).toEqual({ clusterIP: 'keep' });
    expect(mirror.status).toBeUndefined();
  });
});

describe('buildDesiredMirror: transform', () => {
  const s = aSource().asConfigMap({ a: '1' }).build();

  it('applies the transform after copy and before mirror metadata; the transform output is hashed', () => {
    const plain = build(s);
    const t = build(s, 'app-1', {
      transform: (o) => {
        expect(o.metadata.annotations?.[keys.sourceUid]).toBeUndefined();
        return {
          ...o,
          data: { a: '2' },
          metadata: { ...o.metadata, labels: { ...o.metadata.labels, env: 'app-1' } },
        };
      },
    });
    expect(t.mirror.data).toEqual({ a: '2' });
    expect(t.mirror.metadata.labels).toMatchObject({ env: 'app-1', [keys.mirror]: 'true' });
    expect(t.hash).not.toBe(plain.hash);
  });

  it('cannot override identity or P/* keys', () => {
    const { mirror } = build(s, 'app-1', {
      transform: (o) => ({
        ...o,
        kind: 'Secret',
        metadata: {
          name: 'evil',
          namespace: 'kube-system',
          uid: 'u',
          labels: { [keys.mirror]: 'false', [keys.prefix + '/x']: 'y' },
        },
      }),
    });
    expect(mirror.kind).toBe('ConfigMap');
    expect(mirror.metadata).toMatchObject({ name: 'shared', namespace: 'app-1' });
    expect(mirror.metadata.uid).toBeUndefined();
    expect(mirror.metadata.labels).toEqual({ [keys.mirror]: 'true', [keys.managedBy]: 'kubemirror' });
  });

  it('a throwing (strict) transform propagates', () => {
    expect(() =>
      build(s, 'app-1', {
        transform: () => {
          throw new Error('boom');
        },
      }),
    ).toThrow('boom');
  });
});

describe('mirrorContentHash', () => {
  const secret = aSource()
    .withLabels({ a: '1' })
    .withAnnotations({ b: '2' })
    .withBody({ stringData: { x: 'y' } })
    .build();
  const svc = aSource()
    .ofKind('v1', 'Service', {
      spec: { clusterIP: '10.0.0.1', ports: [{ port: 80, nodePort: 30001 }], selector: { app: 'a' } },
    })
    .build();
  const cm = aSource().asConfigMap({ k: 'v' }).build();

  it.each([
    ['Secret with stringData', secret],
    ['Service', svc],
    ['ConfigMap', cm],
  ])('%s: stable across an API round trip (server metadata, key order, stringData folded)', (_n, src) => {
    const { mirror, hash } = build(src);
    const live = asLive(mirror);
    if (live.kind === 'Service') {
      (live.spec as { clusterIP: string }).clusterIP = '10.96.0.9';
      (live.spec as { clusterIPs: string[] }).clusterIPs = ['10.96.0.9'];
      (live.spec as { ports: Array<{ nodePort: number }> }).ports[0]!.nodePort = 31234;
    }
    live.status = { loadBalancer: {} };
    live.metadata.generation = 3;
    expect(mirrorContentHash(live, keys)).toBe(hash);
  });

  it('ignores key order', () => {
    const { mirror, hash } = build(cm);
    expect(mirrorContentHash(reverseKeys(mirror) as KubeObject, keys)).toBe(hash);
  });

  it('ignores the volatile annotations and empty maps the server omits', () => {
    const { mirror, hash } = build(cm);
    const m = structuredClone(mirror);
    m.metadata.annotations![keys.lastSyncTime] = 'later';
    m.metadata.annotations![keys.contentHash] = 'other';
    m.binaryData = {};
    expect(mirrorContentHash(m, keys)).toBe(hash);
  });

  it.each<[string, (m: KubeObject) => void]>([
    ['data value edited', (m) => ((m.data as Record<string, string>).k = 'edited')],
    ['data key added', (m) => ((m.data as Record<string, string>).extra = 'x')],
    ['label added', (m) => (m.metadata.labels!.x = 'y')],
    ['annotation edited', (m) => (m.metadata.annotations![keys.sourceUid] = 'other')],
    ['mirror label removed', (m) => delete m.metadata.labels![keys.mirror]],
    ['immutable set', (m) => (m.immutable = true)],
  ])('detects drift: %s', (_n, edit) => {
    const { mirror, hash } = build(cm);
    const live = asLive(mirror);
    edit(live);
    expect(mirrorContentHash(live, keys)).not.toBe(hash);
  });

  it('differs between sources and between target-specific transforms', () => {
    const a = build(cm, 'app-1').hash;
    expect(build(aSource().asConfigMap({ k: 'w' }).build(), 'app-1').hash).not.toBe(a);
    expect(build(cm, 'app-2').hash).toBe(a); // namespace is identity, not content
  });

  it('canonicalJson sorts keys recursively and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null, e: {} } })).toBe('{"a":{"d":[2,1]},"b":1}');
  });
});

describe('neverMirrorReason', () => {
  it.each([
    ['kubernetes.io/service-account-token', true],
    ['bootstrap.kubernetes.io/token', true],
    ['helm.sh/release.v1', true],
    ['Opaque', false],
    ['kubernetes.io/tls', false],
    ['kubernetes.io/dockerconfigjson', false],
  ])('Secret type %s → refused=%s', (type, refused) => {
    const r = neverMirrorReason(aSource().withBody({ type }).build());
    expect(r !== null).toBe(refused);
    if (r) expect(r).toContain(type);
  });

  it('does not refuse other kinds', () => {
    expect(
      neverMirrorReason(aSource().asConfigMap().withBody({ type: 'helm.sh/release.v1' }).build()),
    ).toBeNull();
  });
});
