import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import type { KubeObject } from '../../src/core/types.js';
import type { KubectlCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Assertions on mirrors as a user sees them through `kubectl get -o json`. Secret values are compared by
 * digest, so a failure never prints them.
 */
export const P = 'kubemirror.io';

interface List {
  items: KubeObject[];
}

/** The mirrors of `sourceNs/name` by target namespace: labelled P/mirror and naming that source. */
export async function mirrorsOf(
  kubectl: KubectlCli,
  resource: string,
  sourceNs: string,
  name: string,
): Promise<Map<string, KubeObject>> {
  const list = await kubectl.json<List>(['get', resource, '-A', '-l', `${P}/mirror=true`]);
  const out = new Map<string, KubeObject>();
  for (const o of list.items) {
    const a = o.metadata.annotations ?? {};
    if (o.metadata.name === name && a[`${P}/source-namespace`] === sourceNs)
      out.set(o.metadata.namespace ?? '', o);
  }
  return out;
}

const sorted = (xs: Iterable<string>) => [...xs].sort();

/** Waits until the mirrors of the source are in exactly `namespaces`, and returns them. */
export async function waitForMirrorsIn(
  kubectl: KubectlCli,
  resource: string,
  sourceNs: string,
  name: string,
  namespaces: string[],
  timeoutMs = 20_000,
): Promise<Map<string, KubeObject>> {
  const want = JSON.stringify(sorted(namespaces));
  const got = await waitFor(
    `${resource} ${sourceNs}/${name} mirrored into exactly ${want}`,
    async () => sorted((await mirrorsOf(kubectl, resource, sourceNs, name)).keys()),
    (nss) => JSON.stringify(nss) === want,
    { timeoutMs, intervalMs: 200 },
  );
  expect(got).toEqual(sorted(namespaces));
  return mirrorsOf(kubectl, resource, sourceNs, name);
}

export async function getObject(
  kubectl: KubectlCli,
  resource: string,
  ns: string,
  name: string,
): Promise<KubeObject> {
  return kubectl.json<KubeObject>(['get', resource, name, '-n', ns]);
}

/** Waits until the source's P/sync-status annotation matches. */
export async function waitForSyncStatus(
  kubectl: KubectlCli,
  resource: string,
  ns: string,
  name: string,
  want: RegExp,
  timeoutMs = 15_000,
): Promise<string> {
  return waitFor(
    `${resource} ${ns}/${name} sync-status matching ${want}`,
    async () =>
      (await getObject(kubectl, resource, ns, name)).metadata.annotations?.[`${P}/sync-status`] ?? '',
    (s) => want.test(s),
    { timeoutMs, intervalMs: 200 },
  );
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

const digest = (v: unknown) =>
  createHash('sha256')
    .update(JSON.stringify(canonical(v)) ?? 'undefined')
    .digest('hex')
    .slice(0, 16);

/** Everything but metadata and status; Secret values replaced by digests. */
export function bodyOf(o: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, ...body } = o;
  if (o.kind === 'Secret' && body.data) {
    body.data = Object.fromEntries(
      Object.entries(body.data as Record<string, string>).map(([k, v]) => [k, digest(v)]),
    );
  }
  return canonical(body) as Record<string, unknown>;
}

/** Decoded Secret data, for values that are not secret (transform outputs such as host names). */
export function decodedData(o: KubeObject): Record<string, string> {
  return Object.fromEntries(
    Object.entries((o.data as Record<string, string> | undefined) ?? {}).map(([k, v]) => [
      k,
      Buffer.from(v, 'base64').toString('utf8'),
    ]),
  );
}

/**
 * The mirror metadata contract of SPEC §1: P/mirror + P/managed-by labels, source annotations, a content
 * hash and sync time, no ownerReferences or finalizers, the source's own labels copied except P/* and the
 * stripped GitOps keys.
 */
export function expectMirrorMetadata(
  mirror: KubeObject,
  source: KubeObject,
  strippedLabels: string[] = [],
): void {
  const labels = mirror.metadata.labels ?? {};
  const annotations = mirror.metadata.annotations ?? {};
  expect(labels[`${P}/mirror`]).toBe('true');
  expect(labels[`${P}/managed-by`]).toBe('kubemirror');
  expect(labels).not.toHaveProperty(`${P}/enabled`);
  expect(annotations[`${P}/source-namespace`]).toBe(source.metadata.namespace);
  expect(annotations[`${P}/source-name`]).toBe(source.metadata.name);
  expect(annotations[`${P}/source-uid`]).toBe(source.metadata.uid);
  expect(annotations[`${P}/source-content-hash`]).toMatch(/\S/);
  expect(annotations[`${P}/last-sync-time`]).toMatch(/\S/);
  expect(annotations).not.toHaveProperty(`${P}/sync`);
  expect(annotations).not.toHaveProperty(`${P}/target-namespaces`);
  expect(annotations).not.toHaveProperty('kubectl.kubernetes.io/last-applied-configuration');
  expect(mirror.metadata.ownerReferences ?? []).toEqual([]);
  expect(mirror.metadata.finalizers ?? []).toEqual([]);
  for (const [k, v] of Object.entries(source.metadata.labels ?? {})) {
    if (k.startsWith(`${P}/`)) continue;
    if (strippedLabels.includes(k)) expect(labels).not.toHaveProperty(k);
    else expect(labels[k], `label ${k} copied`).toBe(v);
  }
}

/** Mirror metadata as above, and the same body as the source (an untransformed copy). */
export function expectFaithfulMirror(
  mirror: KubeObject,
  source: KubeObject,
  strippedLabels: string[] = [],
): void {
  expectMirrorMetadata(mirror, source, strippedLabels);
  expect(bodyOf(mirror)).toEqual(bodyOf(source));
}
