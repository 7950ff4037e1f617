import type { KubeObject } from '../core/types.js';
import { coreEventFromEventsV1, eventsV1FromCoreEvent } from './builtin-resources.js';
import type { ResourceDef } from './resource-def.js';
import { goShaped } from './schema/go-shape.js';

/**
 * Resources that are views of another's storage (ResourceDef.storedAs): events.k8s.io/v1 Events are stored as core/v1
 * Events, as kube-apiserver keeps one etcd prefix (/registry/events) for both and converts on read and write
 * (pkg/apis/events/v1/conversion.go). The service works on the request's shape; these two functions are the store's
 * boundary. An object already in the wanted shape is returned as it is.
 */
const CORE_EVENT = { group: '', kind: 'Event' };

export function toStorage(def: ResourceDef, obj: KubeObject): KubeObject {
  if (def.storedAs !== '/events' || obj.apiVersion === 'v1') return obj;
  return goShaped(CORE_EVENT, coreEventFromEventsV1(obj));
}

export function fromStorage(def: ResourceDef, obj: KubeObject): KubeObject;
export function fromStorage(def: ResourceDef, obj: KubeObject | undefined): KubeObject | undefined;
export function fromStorage(def: ResourceDef, obj: KubeObject | undefined): KubeObject | undefined {
  if (!obj || def.storedAs !== '/events' || obj.apiVersion !== 'v1') return obj;
  return goShaped(def, eventsV1FromCoreEvent(obj));
}
