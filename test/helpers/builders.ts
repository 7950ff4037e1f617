import { createHash } from 'node:crypto';
import { type MirrorKeys, mirrorKeys } from '../../src/core/keys.js';
import type { KubeObject, NamespaceInfo } from '../../src/core/types.js';

/**
 * Small fixture builders for sources, namespaces and live objects, so tests say only what matters:
 * `aSource().inNamespace('platform').withTargets('app-*').build()`.
 */

const defaultKeys = mirrorKeys();

function fakeUid(seed: string): string {
  const h = createHash('sha1').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export class SourceBuilder {
  private obj: KubeObject;
  private keys: MirrorKeys;

  constructor(keys: MirrorKeys = defaultKeys) {
    this.keys = keys;
    this.obj = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'shared',
        namespace: 'platform',
        labels: { [keys.enabled]: 'true' },
        annotations: { [keys.sync]: 'true' },
      },
      type: 'Opaque',
      data: { token: Buffer.from('s3cr3t').toString('base64') },
    };
  }

  named(name: string): this {
    this.obj.metadata.name = name;
    return this;
  }

  inNamespace(ns: string): this {
    this.obj.metadata.namespace = ns;
    return this;
  }

  withUid(uid: string): this {
    this.obj.metadata.uid = uid;
    return this;
  }

  /** apiVersion, kind and body (everything but metadata) replaced. */
  ofKind(apiVersion: string, kind: string, body: Record<string, unknown> = {}): this {
    this.obj = { apiVersion, kind, metadata: this.obj.metadata, ...structuredClone(body) };
    return this;
  }

  asConfigMap(data: Record<string, string> = { 'app.conf': 'x=1' }): this {
    return this.ofKind('v1', 'ConfigMap', { data });
  }

  withBody(body: Record<string, unknown>): this {
    Object.assign(this.obj, structuredClone(body));
    return this;
  }

  withTargets(value: string): this {
    return this.withAnnotations({ [this.keys.targetNamespaces]: value });
  }

  withSelector(value: string): this {
    return this.withAnnotations({ [this.keys.targetNamespaceSelector]: value });
  }

  withTransform(yaml: string, strict = false): this {
    this.withAnnotations({ [this.keys.transform]: yaml });
    if (strict) this.withAnnotations({ [this.keys.transformStrict]: 'true' });
    return this;
  }

  withLabels(labels: Record<string, string>): this {
    this.obj.metadata.labels = { ...this.obj.metadata.labels, ...labels };
    return this;
  }

  withAnnotations(annotations: Record<string, string>): this {
    this.obj.metadata.annotations = { ...this.obj.metadata.annotations, ...annotations };
    return this;
  }

  withoutLabel(key: string): this {
    delete this.obj.metadata.labels?.[key];
    return this;
  }

  withoutAnnotation(key: string): this {
    delete this.obj.metadata.annotations?.[key];
    return this;
  }

  deleting(at = '2026-01-01T00:00:00Z'): this {
    this.obj.metadata.deletionTimestamp = at;
    return this;
  }

  /** Adds what the API server would: uid, resourceVersion, creationTimestamp, managedFields. */
  fromServer(): this {
    const m = this.obj.metadata;
    m.uid ??= fakeUid(`${m.namespace}/${m.name}`);
    m.resourceVersion ??= '100';
    m.creationTimestamp ??= '2026-01-01T00:00:00Z';
    m.generation ??= 1;
    m.managedFields ??= [{ manager: 'kubectl', operation: 'Update' }];
    return this;
  }

  build(): KubeObject {
    const out = structuredClone(this.obj);
    out.metadata.uid ??= fakeUid(`${out.metadata.namespace}/${out.metadata.name}`);
    return out;
  }
}

export function aSource(keys?: MirrorKeys): SourceBuilder {
  return new SourceBuilder(keys);
}

export class NamespaceBuilder {
  private ns: NamespaceInfo;
  constructor(name: string) {
    this.ns = { name, labels: { 'kubernetes.io/metadata.name': name }, annotations: {}, terminating: false };
  }
  withLabels(labels: Record<string, string>): this {
    this.ns.labels = { ...this.ns.labels, ...labels };
    return this;
  }
  withAnnotations(annotations: Record<string, string>): this {
    this.ns.annotations = { ...this.ns.annotations, ...annotations };
    return this;
  }
  terminating(): this {
    this.ns.terminating = true;
    return this;
  }
  build(): NamespaceInfo {
    return structuredClone(this.ns);
  }
}

export function aNamespace(name: string): NamespaceBuilder {
  return new NamespaceBuilder(name);
}

/** Plain namespaces with no labels beyond the default name label. */
export function namespaces(...names: string[]): NamespaceInfo[] {
  return names.map((n) => aNamespace(n).build());
}

/**
 * What reading `obj` back from the API server looks like: server metadata added (uid, resourceVersion,
 * creationTimestamp, managedFields), keys reordered, Secret `stringData` folded into `data`.
 */
export function asLive(obj: KubeObject, opts: { uid?: string; resourceVersion?: string } = {}): KubeObject {
  const copy = structuredClone(obj);
  const m = copy.metadata;
  m.uid = opts.uid ?? fakeUid(`live:${m.namespace}/${m.name}`);
  m.resourceVersion = opts.resourceVersion ?? '1';
  m.creationTimestamp = '2026-01-02T00:00:00Z';
  // as a real server records our create: kubemirror's manager owns every label and annotation it wrote
  const owned = (map: Record<string, string> | undefined) =>
    Object.fromEntries(Object.keys(map ?? {}).map((k) => [`f:${k}`, {}]));
  m.managedFields = [
    {
      manager: 'kubemirror',
      operation: 'Update',
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:metadata': { 'f:labels': owned(m.labels), 'f:annotations': owned(m.annotations) } },
    },
  ];
  if (copy.kind === 'Secret' && copy.stringData) {
    const data = { ...((copy.data as Record<string, string>) ?? {}) };
    for (const [k, v] of Object.entries(copy.stringData as Record<string, string>))
      data[k] = Buffer.from(v).toString('base64');
    copy.data = data;
    delete copy.stringData;
  }
  return reverseKeys(copy) as KubeObject;
}

/** Same content, every object's keys in reverse order: proves hashing does not depend on key order. */
export function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).reverse()) out[k] = reverseKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}
