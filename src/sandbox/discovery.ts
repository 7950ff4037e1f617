import {
  groupVersion,
  type ResourceDef,
  type ResourceRegistry,
  STANDARD_VERBS,
} from './resource-registry.js';
import { SCALE_KIND } from './scale-subresource.js';

/** Discovery documents: legacy lists (client-node) and aggregated v2 (kubectl). */

export const AGGREGATED_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

export function wantsAggregated(accept: string | undefined): boolean {
  return /as=APIGroupDiscoveryList/.test(accept ?? '');
}

export function versionInfo(): object {
  return {
    major: '1',
    minor: '32',
    gitVersion: 'v1.32.0-kubemirror-sandbox',
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2025-01-01T00:00:00Z',
    goVersion: 'go1.23.0',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

function sortedGroups(registry: ResourceRegistry): [string, string[]][] {
  // core first, then by name, like the real server's stable order
  return [...registry.groups().entries()].sort(([a], [b]) =>
    a === '' ? -1 : b === '' ? 1 : a.localeCompare(b),
  );
}

export function apiVersions(serverAddress: string): object {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function apiGroup(name: string, versions: string[]): object {
  const vs = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: vs, preferredVersion: vs[0] };
}

export function apiGroupList(registry: ResourceRegistry): object {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: sortedGroups(registry)
      .filter(([g]) => g !== '')
      .map(([g, vs]) => apiGroup(g, vs)),
  };
}

export function apiGroupDoc(registry: ResourceRegistry, group: string): object | undefined {
  const versions = registry.groups().get(group);
  return versions ? { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group, versions) } : undefined;
}

export function apiResourceList(
  registry: ResourceRegistry,
  group: string,
  version: string,
): object | undefined {
  const defs = registry.inGroupVersion(group, version);
  if (defs.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: groupVersion(group, version),
    resources: defs.flatMap((d) => [
      {
        name: d.plural,
        singularName: d.singular,
        namespaced: d.namespaced,
        kind: d.kind,
        verbs: STANDARD_VERBS,
        ...(d.shortNames.length ? { shortNames: d.shortNames } : {}),
        ...(d.categories.length ? { categories: d.categories } : {}),
      },
      ...(d.statusSubresource
        ? [
            {
              name: `${d.plural}/status`,
              singularName: '',
              namespaced: d.namespaced,
              kind: d.kind,
              verbs: STATUS_VERBS,
            },
          ]
        : []),
      ...(d.scaleSubresource
        ? [
            {
              name: `${d.plural}/scale`,
              singularName: '',
              namespaced: d.namespaced,
              group: SCALE_KIND.group,
              version: SCALE_KIND.version,
              kind: SCALE_KIND.kind,
              verbs: STATUS_VERBS,
            },
          ]
        : []),
    ]),
  };
}

/** the verbs of a /status subresource in discovery */
const STATUS_VERBS = ['get', 'patch', 'update'];

function discoveryResource(d: ResourceDef, version: string): object {
  return {
    resource: d.plural,
    responseKind: { group: d.group, version, kind: d.kind },
    scope: d.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: d.singular,
    verbs: STANDARD_VERBS,
    ...(d.statusSubresource || d.scaleSubresource
      ? {
          subresources: [
            ...(d.scaleSubresource
              ? [{ subresource: 'scale', responseKind: { ...SCALE_KIND }, verbs: STATUS_VERBS }]
              : []),
            ...(d.statusSubresource
              ? [
                  {
                    subresource: 'status',
                    responseKind: { group: d.group, version, kind: d.kind },
                    verbs: STATUS_VERBS,
                  },
                ]
              : []),
          ],
        }
      : {}),
    ...(d.shortNames.length ? { shortNames: d.shortNames } : {}),
    ...(d.categories.length ? { categories: d.categories } : {}),
  };
}

/** APIGroupDiscoveryList for `/api` (core only) or `/apis` (every other group). */
export function aggregatedDiscovery(registry: ResourceRegistry, core: boolean): object {
  const items = sortedGroups(registry)
    .filter(([g]) => (g === '') === core)
    .map(([g, versions]) => ({
      metadata: { name: g, creationTimestamp: null },
      versions: versions.map((v) => ({
        version: v,
        resources: registry.inGroupVersion(g, v).map((d) => discoveryResource(d, v)),
        freshness: 'Current',
      })),
    }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items };
}
