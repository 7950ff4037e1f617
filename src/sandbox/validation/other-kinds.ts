import type { ObjectMeta } from '../../core/types.js';
import type { ResourceDef } from '../resource-def.js';
import { type Cause, fieldErrors, isDns1123Label, isQualifiedName } from './field-errors.js';
import { createMetaCauses, kubeFinalizerCauses, updateMetaCauses } from './object-meta.js';

/**
 * Validation of EndpointSlice (pkg/apis/discovery/validation), Lease (pkg/apis/coordination/validation), Event
 * (pkg/apis/core/validation/events.go, on the core form of either API) and Namespace spec finalizers, in the order of
 * the Go code. Some messages are those of declarative validation, which replaces the handwritten ones (kept as the
 * real server answers them).
 */
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map((x) => (isObj(x) ? x : {})) : []);
const str = (v: unknown) => (typeof v === 'string' ? v : '');

const IP_ERROR = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const isIPv6 = (v: string) => v.includes(':') && /^[0-9a-fA-F:.]+$/.test(v);

export function isValidIp(v: string): boolean {
  return IPV4.test(v) || isIPv6(v);
}

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

export function endpointSliceCauses(obj: Obj, old?: Obj): Cause[] {
  const causes: Cause[] = [];
  const type = str(obj.addressType);
  if (!type) causes.push(fieldErrors.required('addressType'));
  else if (!ADDRESS_TYPES.includes(type))
    causes.push(fieldErrors.notSupported('addressType', type, ADDRESS_TYPES));
  const names: string[] = [];
  list(obj.ports).forEach((p, i) => {
    const at = `ports[${i}]`;
    const name = str(p.name);
    if (name) for (const m of isDns1123Label(name)) causes.push(fieldErrors.invalid(`${at}.name`, name, m));
    if (names.includes(name)) causes.push(fieldErrors.duplicate(`${at}.name`, name));
    else names.push(name);
    const protocol = p.protocol;
    if (typeof protocol !== 'string') causes.push(fieldErrors.required(`${at}.protocol`));
    else if (!PROTOCOLS.includes(protocol))
      causes.push(fieldErrors.notSupported(`${at}.protocol`, protocol, PROTOCOLS));
    if (typeof p.appProtocol === 'string')
      for (const m of isQualifiedName(p.appProtocol))
        causes.push(fieldErrors.invalid(`${at}.appProtocol`, p.appProtocol, m));
  });
  const endpointCauses: Cause[] = [];
  list(obj.endpoints).forEach((e, i) => {
    const at = `endpoints[${i}].addresses`;
    const addresses = Array.isArray(e.addresses) ? e.addresses.map(String) : [];
    if (addresses.length === 0) endpointCauses.push(fieldErrors.required(at));
    addresses.forEach((a, j) => {
      if ((type === 'IPv4' || type === 'IPv6') && !isValidIp(a))
        endpointCauses.push(fieldErrors.invalid(`${at}[${j}]`, a, IP_ERROR));
      else if (type === 'IPv4' && !IPV4.test(a))
        endpointCauses.push(fieldErrors.invalid(at, a, 'must be an IPv4 address'));
      else if (type === 'IPv6' && !isIPv6(a))
        endpointCauses.push(fieldErrors.invalid(at, a, 'must be an IPv6 address'));
    });
    if (typeof e.hostname === 'string')
      for (const m of isDns1123Label(e.hostname))
        endpointCauses.push(fieldErrors.invalid(`endpoints[${i}].hostname`, e.hostname, m));
  });
  // an update that leaves the endpoints as they were is not refused for them (older servers accepted them)
  if (!(old && JSON.stringify(old.endpoints ?? null) === JSON.stringify(obj.endpoints ?? null)))
    causes.push(...endpointCauses);
  if (old && str(old.addressType) !== type)
    // the declarative immutability check quotes no value
    causes.push({
      field: 'addressType',
      message: 'Invalid value: null: field is immutable',
      type: 'FieldValueInvalid',
    });
  return causes;
}

export function leaseCauses(obj: Obj): Cause[] {
  const spec = isObj(obj.spec) ? obj.spec : {};
  const causes: Cause[] = [];
  if (typeof spec.leaseDurationSeconds === 'number' && spec.leaseDurationSeconds <= 0)
    causes.push(
      fieldErrors.invalid('spec.leaseDurationSeconds', spec.leaseDurationSeconds, 'must be greater than 0'),
    );
  if (typeof spec.leaseTransitions === 'number' && spec.leaseTransitions < 0)
    causes.push(
      fieldErrors.invalid(
        'spec.leaseTransitions',
        spec.leaseTransitions,
        'must be greater than or equal to 0',
      ),
    );
  if (str(spec.preferredHolder) !== '' && str(spec.strategy) === '')
    causes.push(
      fieldErrors.forbidden('spec.preferredHolder', 'may only be specified if `strategy` is defined'),
    );
  return causes;
}

const NOT_EMPTY = (v: unknown) => v !== undefined && v !== null && v !== '';

/**
 * ValidateEventCreate on the core form of an Event: legacy rules for core/v1 writes, strict ones (ObjectMeta,
 * eventTime, type, no deprecated fields) for events.k8s.io/v1 writes.
 */
export function eventCauses(def: ResourceDef, core: Obj, meta: ObjectMeta): Cause[] {
  const strict = def.group === 'events.k8s.io';
  const causes = legacyEventCauses(core, meta, strict ? 'reportingController' : 'reportingComponent');
  if (!strict) return causes;
  causes.push(...createMetaCauses(def, meta, 'core'), ...seriesCauses(core));
  if (!NOT_EMPTY(core.eventTime)) causes.push(fieldErrors.required('eventTime'));
  if (core.type !== 'Normal' && core.type !== 'Warning')
    causes.push(fieldErrors.invalid('type', '', `has invalid value: ${str(core.type)}`));
  if (NOT_EMPTY(core.firstTimestamp))
    causes.push(fieldErrors.invalid('firstTimestamp', '', 'needs to be unset'));
  if (NOT_EMPTY(core.lastTimestamp))
    causes.push(fieldErrors.invalid('lastTimestamp', '', 'needs to be unset'));
  if (typeof core.count === 'number' && core.count !== 0)
    causes.push(fieldErrors.invalid('count', '', 'needs to be unset'));
  const source = isObj(core.source) ? core.source : {};
  if (str(source.component) || str(source.host))
    causes.push(fieldErrors.invalid('source', '', 'needs to be unset'));
  return causes;
}

function seriesCauses(core: Obj): Cause[] {
  if (!isObj(core.series)) return [];
  const causes: Cause[] = [];
  if (typeof core.series.count !== 'number' || core.series.count < 2)
    causes.push(fieldErrors.invalid('series.count', '', 'should be at least 2'));
  if (!NOT_EMPTY(core.series.lastObservedTime)) causes.push(fieldErrors.required('series.lastObservedTime'));
  return causes;
}

function legacyEventCauses(core: Obj, meta: ObjectMeta, reportingField: string): Cause[] {
  const causes: Cause[] = [];
  const involvedNs = str((isObj(core.involvedObject) ? core.involvedObject : {}).namespace);
  const ns = meta.namespace ?? '';
  const mismatch = () =>
    causes.push(
      fieldErrors.invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace'),
    );
  if (!NOT_EMPTY(core.eventTime)) {
    if (involvedNs === '' ? ns !== '' && ns !== 'default' : ns !== involvedNs) mismatch();
    return causes;
  }
  if (involvedNs === '' && ns !== 'default' && ns !== 'kube-system') mismatch();
  const controller = str(core.reportingComponent);
  if (!controller) causes.push(fieldErrors.required(reportingField));
  for (const m of isQualifiedName(controller))
    causes.push(fieldErrors.invalid(reportingField, controller, m));
  const instance = str(core.reportingInstance);
  if (!instance) causes.push(fieldErrors.required('reportingInstance'));
  if (instance.length > 128)
    causes.push(fieldErrors.invalid('reportingInstance', '', 'can have at most 128 characters'));
  const action = str(core.action);
  if (!action) causes.push(fieldErrors.required('action'));
  if (action.length > 128) causes.push(fieldErrors.invalid('action', '', 'can have at most 128 characters'));
  const reason = str(core.reason);
  if (!reason) causes.push(fieldErrors.required('reason'));
  if (reason.length > 128) causes.push(fieldErrors.invalid('reason', '', 'can have at most 128 characters'));
  if (str(core.message).length > 1024)
    causes.push(fieldErrors.invalid('message', '', 'can have at most 1024 characters'));
  return causes;
}

const IMMUTABLE_EVENT_FIELDS = [
  'involvedObject',
  'reason',
  'message',
  'source',
  'firstTimestamp',
  'lastTimestamp',
  'count',
  'reason',
  'type',
  'eventTime',
  'action',
  'related',
  'reportingComponent',
  'reportingInstance',
];
const CORE_TO_V1: Record<string, string> = { reportingComponent: 'reportingController' };

/** a value as the internal core.Event holds it (json.Marshal of a struct without json tags: Go's field names) */
function internalValue(field: string, v: unknown): unknown {
  const o = isObj(v) ? v : {};
  if (field === 'involvedObject' || field === 'related') {
    if (field === 'related' && !isObj(v)) return null;
    return {
      Kind: str(o.kind),
      Namespace: str(o.namespace),
      Name: str(o.name),
      UID: str(o.uid),
      APIVersion: str(o.apiVersion),
      ResourceVersion: str(o.resourceVersion),
      FieldPath: str(o.fieldPath),
    };
  }
  if (field === 'source') return { Component: str(o.component), Host: str(o.host) };
  return v ?? null;
}

/** ValidateEventUpdate: through events.k8s.io/v1 only the series and metadata may change. */
export function eventUpdateCauses(
  def: ResourceDef,
  core: Obj,
  oldCore: Obj,
  meta: ObjectMeta,
  oldMeta: ObjectMeta,
): Cause[] {
  const strict = def.group === 'events.k8s.io';
  const causes = legacyEventCauses(core, meta, strict ? 'reportingController' : 'reportingComponent');
  if (!strict) return causes;
  causes.push(...updateMetaCauses(def, meta, oldMeta, 'core'));
  if (JSON.stringify(core.series ?? null) !== JSON.stringify(oldCore.series ?? null))
    causes.push(...seriesCauses(core));
  for (const f of IMMUTABLE_EVENT_FIELDS) {
    if (JSON.stringify(core[f] ?? null) === JSON.stringify(oldCore[f] ?? null)) continue;
    causes.push(fieldErrors.invalid(CORE_TO_V1[f] ?? f, internalValue(f, core[f]), 'field is immutable'));
  }
  return causes;
}

/** ValidateNamespace's spec: each finalizer a qualified name and, without a `/`, a standard one. */
export function namespaceCauses(obj: Obj): Cause[] {
  const spec = isObj(obj.spec) ? obj.spec : {};
  const finalizers = Array.isArray(spec.finalizers) ? spec.finalizers.map(String) : [];
  const causes: Cause[] = [];
  for (const f of finalizers) {
    for (const m of isQualifiedName(f)) causes.push(fieldErrors.invalid('spec.finalizers', f, m));
    causes.push(
      ...kubeFinalizerCauses([f], 'spec.finalizers').map((c) => ({ ...c, field: 'spec.finalizers' })),
    );
  }
  return causes;
}
