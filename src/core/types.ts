/** Plain Kubernetes object shapes shared by every layer. Nothing here does I/O. */

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: unknown[];
  managedFields?: unknown[];
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** One served resource of the API, as discovery reports it. `group` is '' for the core group. */
export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

export function apiVersionOf(t: Pick<ResourceType, 'group' | 'version'>): string {
  return t.group === '' ? t.version : `${t.group}/${t.version}`;
}

/** `Kind.version[.group]`, the form `--resource-types` uses, e.g. `Ingress.v1.networking.k8s.io`. */
export function resourceTypeId(t: Pick<ResourceType, 'group' | 'version' | 'kind'>): string {
  return t.group === '' ? `${t.kind}.${t.version}` : `${t.kind}.${t.version}.${t.group}`;
}

/** What targeting needs to know about a namespace. */
export interface NamespaceInfo {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  terminating: boolean;
}
