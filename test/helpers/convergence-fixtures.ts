import type { Registry } from 'prom-client';
import type { KubeObject } from '../../src/core/types.js';
import { waitFor } from './wait.js';

/**
 * The convergence fixture (SPEC §2) shared by the sandbox suite (test/integration/convergence.test.ts), the one on
 * kube-apiserver (test/real/convergence.test.ts) and the bench (bench/scenarios/convergence.ts): kinds whose
 * stored form differs from what is sent (Service and Deployment defaulting, a CRD with defaults, a ConfigMap
 * an admission step labels), mirrored from `cv-src`.
 */

const E = 'kubemirror.io/enabled';
const S = 'kubemirror.io/sync';
const T = 'kubemirror.io/target-namespaces';

/** A source in `ns`, labelled and annotated to be mirrored to `targets`. */
export function annotatedSource(
  apiVersion: string,
  kind: string,
  ns: string,
  name: string,
  body: object,
  targets: string,
): KubeObject {
  return {
    apiVersion,
    kind,
    metadata: { name, namespace: ns, labels: { [E]: 'true' }, annotations: { [S]: 'true', [T]: targets } },
    ...body,
  };
}

/** `gadgets.cv.example.com`: a structural schema with defaults (size 1, mode auto), optionally a status subresource. */
export function gadgetCrd(opts: { statusSubresource?: boolean } = {}): KubeObject {
  const properties: Record<string, object> = {
    spec: {
      type: 'object',
      properties: {
        size: { type: 'integer', default: 1 },
        mode: { type: 'string', default: 'auto' },
      },
    },
  };
  if (opts.statusSubresource)
    properties.status = { type: 'object', properties: { ready: { type: 'boolean' } } };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'gadgets.cv.example.com' },
    spec: {
      group: 'cv.example.com',
      scope: 'Namespaced',
      names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget', listKind: 'GadgetList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          ...(opts.statusSubresource ? { subresources: { status: {} } } : {}),
          schema: { openAPIV3Schema: { type: 'object', properties } },
        },
      ],
    },
  };
}

/**
 * The four sources of the convergence suites, from `ns`: a Service and a Deployment (defaulted by the server), a
 * Gadget (CRD defaults) to `targets`, and a ConfigMap to `targets` and `hooked` (a namespace whose admission
 * labels ConfigMaps). With the status each shows once in sync.
 */
export function convergenceSources(
  ns: string,
  targets: string,
  hooked: string,
): { objects: KubeObject[]; synced: Array<[apiVersion: string, kind: string, name: string, line: string]> } {
  return {
    objects: [
      annotatedSource(
        'v1',
        'Service',
        ns,
        'web',
        { spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] } },
        targets,
      ),
      annotatedSource(
        'apps/v1',
        'Deployment',
        ns,
        'web',
        {
          spec: {
            selector: { matchLabels: { app: 'web' } },
            template: {
              metadata: { labels: { app: 'web' } },
              spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
            },
          },
        },
        targets,
      ),
      annotatedSource('cv.example.com/v1', 'Gadget', ns, 'g', { spec: { size: 3 } }, targets),
      annotatedSource('v1', 'ConfigMap', ns, 'settings', { data: { level: 'info' } }, `${targets},${hooked}`),
    ],
    synced: [
      ['v1', 'Service', 'web', 'Synced 1/1'],
      ['apps/v1', 'Deployment', 'web', 'Synced 1/1'],
      ['cv.example.com/v1', 'Gadget', 'g', 'Synced 1/1'],
      ['v1', 'ConfigMap', 'settings', 'Synced 2/2'],
    ],
  };
}

/** Source reconciles the controller has finished, from its metrics registry. */
export async function sourceReconciles(registry: Registry): Promise<number> {
  const m = await registry.getSingleMetric('kubemirror_reconcile_total')?.get();
  return (m?.values ?? [])
    .filter((v) => v.labels.controller === 'source')
    .reduce((sum, v) => sum + v.value, 0);
}

/** Waits for at least two full resyncs of every source (by the reconcile counter, not by the clock). */
export async function twoResyncs(registry: Registry, sources: number, timeoutMs: number): Promise<void> {
  const start = await sourceReconciles(registry);
  await waitFor(
    'two resyncs',
    () => sourceReconciles(registry),
    (n) => n >= start + 2 * sources,
    {
      timeoutMs,
    },
  );
}
