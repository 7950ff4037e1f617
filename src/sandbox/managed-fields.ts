import type { KubeObject } from '../core/types.js';
import {
  builtinListKeys,
  type Comparison,
  compare,
  decode,
  difference,
  encode,
  type FieldSet,
  fieldPe,
  has,
  hasUnder,
  intersection,
  isEmpty,
  itemPe,
  type ListKeys,
  members,
  pathString,
  setOf,
  toFieldSet,
  union,
} from './field-sets.js';
import { clone, deepEqual, isObject, type Json, type JsonObject } from './json-patches.js';
import { goZero } from './schema/go-shape.js';

export { builtinListKeys, type ListKeys, pathString, schemaListKeys } from './field-sets.js';

/**
 * managedFields and server-side apply ownership, as kube-apiserver's field manager computes them. Pure: no clock,
 * no store; the caller passes `time` and gets back the object and the entries to store.
 *
 * Followed, by file:
 * - k8s.io/apimachinery/pkg/util/managedfields/internal/managedfields.go (BuildManagerIdentifier, sortEncodedManagedFields,
 *   DecodeManagedFields checks), fieldmanager.go (decodeLiveOrNew, isResetManagedFields), structuredmerge.go
 *   ("metadata.managedFields must be nil"), managedfieldsupdater.go (time refreshed only when fields were taken),
 *   capmanagers.go ("ancient-changes", 10 Update entries), skipnonapplied.go ("before-first-apply"), stripmeta.go,
 *   conflict.go (getConflictMessage, printManager, NewConflictError causes).
 * - k8s.io/apiserver/pkg/endpoints/handlers/create.go (managerOrUserAgent, prefixFromUserAgent).
 * - k8s.io/apimachinery/pkg/apis/meta/v1/validation/validation.go (ValidateFieldManager, FieldManagerMaxLength = 128).
 * - sigs.k8s.io/structured-merge-diff merge/update.go (Update, Apply, update, prune), typed/tofieldset.go,
 *   typed/compare.go, fieldpath/serialize.go and serialize-pe.go (fieldsV1 encoding), fieldpath/element.go (String()).
 */

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  /** absent when an Apply changed nothing on a manager that had no time yet (managedfieldsupdater.go) */
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

/**
 * The zero value kube-apiserver's objectCreater.New gives for a kind, serialised (schema/go-shape.ts goZero):
 * non-pointer structs and fields without omitempty are present (so a create does not mark `.spec` itself as added,
 * only pointer structs, maps and lists), custom resources are empty. Used as the "old" object of a create and of
 * before-first-apply.
 */
export function zeroObject(apiVersion: string, kind: string): JsonObject {
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  return (goZero({ group, kind }) ?? {}) as JsonObject;
}

/** The fieldsV1 of an object as an Apply would own it: every leaf, every associative/set list item. */
export function fieldsV1Of(obj: object, listKeys: ListKeys = builtinListKeys): Record<string, unknown> {
  return encode(strip(toFieldSet(obj as Json, listKeys, {}), { statusSubresource: false }));
}

// ---------------------------------------------------------------------------------------------------------------
// what is never tracked (stripmeta.go) and the status split (resetFields of the status strategies)

const STRIPPED: string[][] = [
  ['f:apiVersion'],
  ['f:kind'],
  ['f:metadata'],
  ...[
    'name',
    'namespace',
    'creationTimestamp',
    'selfLink',
    'uid',
    'clusterName',
    'generation',
    'managedFields',
    'resourceVersion',
  ].map((n) => ['f:metadata', fieldPe(n)]),
];

interface Scope {
  /** the write is on /status: what the status strategy resets is not tracked (statusResets) */
  subresource?: string;
  /** the type has a /status subresource, so main-resource writes do not track `.status` (its strategy resets it) */
  statusSubresource: boolean;
  /** the fields a /status write cannot set (the status strategy's GetResetFields); default everything but status */
  statusResets?: string[][];
}

function strip(set: FieldSet, scope: Scope): FieldSet {
  let out = setOf(
    members(set).filter((p) => !STRIPPED.some((s) => s.length === p.length && s.every((x, i) => x === p[i]))),
  );
  // a write through /scale changes the replicas only (the Scale's spec.replicas is the object's)
  if (scope.subresource === 'scale') {
    const replicas = ['f:spec', 'f:replicas'];
    return has(out, replicas) ? setOf([replicas]) : {};
  }
  if (scope.subresource === 'status') {
    if (!scope.statusResets) out = out['f:status'] ? { 'f:status': out['f:status'] } : {};
    else
      out = setOf(
        members(out).filter((p) => !scope.statusResets!.some((r) => r.every((x, i) => p[i] === fieldPe(x)))),
      );
  } else if (scope.statusSubresource) delete out['f:status'];
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// managers (managedfields.go)

interface Managed {
  id: string;
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  subresource?: string;
  time?: string;
  set: FieldSet;
}

/** BuildManagerIdentifier: manager, operation, apiVersion (Update only), subresource; never time or fields. */
function managerId(
  manager: string,
  operation: 'Apply' | 'Update',
  apiVersion: string,
  subresource?: string,
): string {
  const o: Record<string, string> = { manager, operation };
  if (operation === 'Update' && apiVersion) o.apiVersion = apiVersion;
  if (subresource) o.subresource = subresource;
  return JSON.stringify(o);
}

/** DecodeManagedFields: the same checks, with the same error texts. */
function decodeManaged(entries: unknown): Map<string, Managed> {
  const out = new Map<string, Managed>();
  if (!Array.isArray(entries)) return out;
  entries.forEach((e, i) => {
    if (!isObject(e)) throw new Error(`invalid managed fields entry ${i}`);
    if (e.operation !== 'Apply' && e.operation !== 'Update')
      throw new Error('operation must be `Apply` or `Update`');
    if (typeof e.apiVersion !== 'string' || e.apiVersion.length < 1)
      throw new Error('apiVersion must not be empty');
    if (e.fieldsType === undefined || e.fieldsType === '')
      throw new Error(`missing fieldsType in managed fields entry ${i}`);
    if (e.fieldsType !== 'FieldsV1')
      throw new Error(`invalid fieldsType "${String(e.fieldsType)}" in managed fields entry ${i}`);
    const manager = typeof e.manager === 'string' ? e.manager : '';
    const subresource = typeof e.subresource === 'string' && e.subresource ? e.subresource : undefined;
    const id = managerId(manager, e.operation, e.apiVersion, subresource);
    out.set(id, {
      id,
      manager,
      operation: e.operation,
      apiVersion: e.apiVersion,
      subresource,
      time: typeof e.time === 'string' ? e.time : undefined,
      set: decode(e.fieldsV1),
    });
  });
  return out;
}

/** encodeManagedFields + sortEncodedManagedFields: Apply before Update, then time (seconds), manager, apiVersion, subresource. */
function encodeManaged(managed: Map<string, Managed>): ManagedFieldsEntry[] {
  const secs = (t?: string) => (t ? Math.floor(Date.parse(t) / 1000) : 0);
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...managed.values()]
    .filter((m) => !isEmpty(m.set))
    .sort(
      (p, q) =>
        cmp(p.operation, q.operation) ||
        secs(p.time) - secs(q.time) ||
        cmp(p.manager, q.manager) ||
        cmp(p.apiVersion, q.apiVersion) ||
        cmp(p.subresource ?? '', q.subresource ?? ''),
    )
    .map((m) => {
      const e: ManagedFieldsEntry = {
        manager: m.manager,
        operation: m.operation,
        apiVersion: m.apiVersion,
        fieldsType: 'FieldsV1',
        fieldsV1: encode(m.set),
      };
      if (m.time !== undefined) e.time = m.time;
      if (m.subresource) e.subresource = m.subresource;
      // the wire order of ManagedFieldsEntry's fields
      return {
        manager: e.manager,
        operation: e.operation,
        apiVersion: e.apiVersion,
        ...(e.time !== undefined ? { time: e.time } : {}),
        fieldsType: e.fieldsType,
        fieldsV1: e.fieldsV1,
        ...(e.subresource ? { subresource: e.subresource } : {}),
      };
    });
}

export const MAX_UPDATE_MANAGERS = 10;
const ANCIENT_CHANGES = 'ancient-changes';
const BEFORE_FIRST_APPLY = 'before-first-apply';

/** capmanagers.go: the oldest Update entries beyond 10 are merged, per apiVersion, into "ancient-changes". */
function capUpdateManagers(managed: Map<string, Managed>): void {
  const updaters = [...managed.values()].filter((m) => m.operation === 'Update');
  if (updaters.length <= MAX_UPDATE_MANAGERS) return;
  const secs = (t?: string) => (t ? Math.floor(Date.parse(t) / 1000) : 0);
  updaters.sort((a, b) => secs(a.time) - secs(b.time) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const firstOfVersion = new Map<string, string>();
  let length = updaters.length;
  for (let i = 0; i < updaters.length && length > MAX_UPDATE_MANAGERS; i++) {
    const m = updaters[i]!;
    const bucketId = managerId(ANCIENT_CHANGES, 'Update', m.apiVersion);
    const first = firstOfVersion.get(m.apiVersion);
    if (first === undefined) {
      firstOfVersion.set(m.apiVersion, m.id);
      continue;
    }
    if (!managed.has(bucketId)) {
      const f = managed.get(first)!;
      managed.delete(first);
      managed.set(bucketId, { ...f, id: bucketId, manager: ANCIENT_CHANGES, subresource: undefined });
    }
    const bucket = managed.get(bucketId)!;
    managed.set(bucketId, { ...bucket, set: union(m.set, bucket.set), time: m.time });
    managed.delete(m.id);
    length--;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// public API

/**
 * The manager name of a write: `fieldManager` when given, else the User-Agent before its first '/', without
 * non-printable characters, cut to 128 bytes (create.go managerOrUserAgent / prefixFromUserAgent).
 */
export function managerFor(fieldManager: string | undefined, userAgent: string): string {
  if (fieldManager) return fieldManager;
  const prefix = userAgent.split('/')[0] ?? '';
  let out = '';
  let bytes = 0;
  for (const ch of prefix) {
    if (!isPrintable(ch)) continue;
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > FIELD_MANAGER_MAX_LENGTH) break;
    out += ch;
    bytes += n;
  }
  return out;
}

export const FIELD_MANAGER_MAX_LENGTH = 128;

/** Go unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
function isPrintable(ch: string): boolean {
  return ch === ' ' || /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(ch);
}

/**
 * ValidateFieldManager (+ ValidatePatchOptions for apply): the field-error texts of a `fieldManager` query parameter,
 * empty when valid. The caller wraps them as 422 `<Kind>Options.meta.k8s.io "" is invalid: <errors joined by ", ">`
 * (Kind = CreateOptions / UpdateOptions / PatchOptions).
 */
export function fieldManagerErrors(fieldManager: string | undefined, isApply: boolean): string[] {
  const errs: string[] = [];
  if (isApply && !fieldManager) errs.push('fieldManager: Required value: is required for apply patch');
  if (!fieldManager) return errs;
  if (Buffer.byteLength(fieldManager, 'utf8') > FIELD_MANAGER_MAX_LENGTH)
    errs.push(`fieldManager: Too long: may not be more than ${FIELD_MANAGER_MAX_LENGTH} bytes`);
  let pos = 0;
  for (const ch of fieldManager) {
    if (!isPrintable(ch)) {
      const cp = ch.codePointAt(0)!;
      errs.push(
        `fieldManager: Invalid value: ${JSON.stringify(fieldManager)}: invalid character U+${cp.toString(16).toUpperCase().padStart(4, '0')} (at position ${pos})`,
      );
    }
    pos += Buffer.byteLength(ch, 'utf8');
  }
  return errs;
}

export type IncomingManagedFields =
  | { kind: 'absent' }
  | { kind: 'reset' }
  | { kind: 'use'; entries: ManagedFieldsEntry[] }
  | { kind: 'invalid'; error: string };

/**
 * What metadata.managedFields in an Update body means (fieldmanager.go decodeLiveOrNew): absent → keep the live
 * ones; `[]` or `[{}]` → reset (isResetManagedFields); decodable → use them; undecodable → the live ones are kept
 * silently (the error text is returned for logging, the real server does not answer 4xx for it).
 */
export function incomingManagedFields(raw: unknown): IncomingManagedFields {
  if (raw === undefined || raw === null) return { kind: 'absent' };
  if (
    Array.isArray(raw) &&
    (raw.length === 0 || (raw.length === 1 && isObject(raw[0]) && Object.keys(raw[0]).length === 0))
  )
    return { kind: 'reset' };
  try {
    const managed = decodeManaged(raw);
    if (managed.size === 0) return { kind: 'absent' };
    return { kind: 'use', entries: encodeManaged(managed) };
  } catch (e) {
    return { kind: 'invalid', error: (e as Error).message };
  }
}

interface WriteArgs {
  manager: string;
  apiVersion: string;
  time: string;
  /** 'status' when the write is on /status */
  subresource?: string;
  listKeys?: ListKeys;
  /** the type serves /status, so a main-resource write does not own `.status`; default true */
  statusSubresource?: boolean;
  /** the field paths (names) a /status write resets: the status strategy's GetResetFields */
  statusResets?: string[][];
}

/** SMD Updater.update: fields changed by this write leave other managers (all of them when forced). */
function takeChanged(
  managed: Map<string, Managed>,
  selfId: string,
  c: Comparison,
  force: boolean,
): ApplyConflict | undefined {
  const changed = union(c.modified, c.added);
  const conflicts: ConflictItem[] = [];
  for (const m of managed.values()) {
    if (m.id === selfId) continue;
    const clash = intersection(m.set, changed);
    if (!force)
      for (const p of members(clash))
        conflicts.push({
          manager: m.manager,
          managerId: m.id,
          operation: m.operation,
          subresource: m.subresource,
          apiVersion: m.apiVersion,
          field: pathString(p),
        });
  }
  if (conflicts.length > 0) return new ApplyConflict(conflicts);
  for (const m of [...managed.values()]) {
    if (m.id === selfId) continue;
    m.set = difference(difference(m.set, changed), c.removed);
    if (isEmpty(m.set)) managed.delete(m.id);
  }
  return undefined;
}

const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');

/**
 * SMD Updater.update: a manager whose apiVersion the object cannot be converted to (another group sharing the
 * storage: core and events.k8s.io Events) is dropped on every write.
 */
function dropOtherGroups(managed: Map<string, Managed>, apiVersion: string): void {
  const group = groupOf(apiVersion);
  for (const m of [...managed.values()]) if (groupOf(m.apiVersion) !== group) managed.delete(m.id);
}

/** managedfieldsupdater.go + SMD Update: the manager keeps what it had ∪ what this write changed or added. */
function update(managed: Map<string, Managed>, old: Json, next: Json, a: WriteArgs & { scope: Scope }): void {
  const lk = a.listKeys ?? builtinListKeys;
  dropOtherGroups(managed, a.apiVersion);
  const raw = compare(old, next, lk);
  let c: Comparison = {
    added: strip(raw.added, a.scope),
    removed: strip(raw.removed, a.scope),
    modified: strip(raw.modified, a.scope),
  };
  // the scale handler's field manager compares Scales, where 0 replicas is no field (`replicas,omitempty`)
  const replicas = ['f:spec', 'f:replicas'];
  if (
    a.subresource === 'scale' &&
    (next as { spec?: { replicas?: unknown } }).spec?.replicas === 0 &&
    !isEmpty(c.modified)
  )
    c = { added: {}, modified: {}, removed: setOf([replicas]) };
  takeChanged(managed, '', c, true);
  const taken = union(c.modified, c.added);
  if (isEmpty(taken)) return;
  const id = managerId(a.manager, 'Update', a.apiVersion, a.subresource);
  const prev = managed.get(id);
  managed.set(id, {
    id,
    manager: a.manager,
    operation: 'Update',
    apiVersion: a.apiVersion,
    subresource: a.subresource,
    // the scale handler converts the Scale's entries back to the object's and their time is lost
    ...(a.subresource === 'scale' ? {} : { time: a.time }),
    set: prev ? union(taken, prev.set) : taken,
  });
  capUpdateManagers(managed);
}

function scopeOf(a: WriteArgs): Scope {
  return {
    subresource: a.subresource,
    statusSubresource: a.statusSubresource ?? true,
    ...(a.statusResets ? { statusResets: a.statusResets } : {}),
  };
}

function withoutManagedFields(o: KubeObject | undefined): Json {
  if (!o) return {};
  const { managedFields: _, ...meta } = o.metadata ?? {};
  return { ...o, metadata: meta } as unknown as Json;
}

/**
 * The managedFields after an Update (create, PUT, merge/JSON/strategic patch) by `manager`. `next.metadata.managedFields`
 * is honoured as the real server does (see incomingManagedFields; ignored on subresource writes). On a create pass
 * `old: undefined`.
 */
export function recordUpdate(
  a: WriteArgs & { old: KubeObject | undefined; next: KubeObject },
): ManagedFieldsEntry[] {
  const incoming = a.subresource
    ? ({ kind: 'absent' } as const)
    : incomingManagedFields(a.next.metadata?.managedFields);
  let managed: Map<string, Managed>;
  if (incoming.kind === 'reset') managed = new Map();
  else if (incoming.kind === 'use') managed = decodeManaged(incoming.entries);
  else managed = liveManaged(a.old);
  const old = a.old ? withoutManagedFields(a.old) : zeroObject(a.next.apiVersion, a.next.kind);
  update(managed, old, withoutManagedFields(a.next), { ...a, scope: scopeOf(a) });
  return encodeManaged(managed);
}

function liveManaged(o: KubeObject | undefined): Map<string, Managed> {
  try {
    return decodeManaged(o?.metadata?.managedFields);
  } catch {
    return new Map(); // emptyManagedFieldsOnErr
  }
}

interface ConflictItem {
  manager: string;
  apiVersion: string;
  field: string;
  managerId: string;
  operation: 'Apply' | 'Update';
  subresource?: string;
}

/** A server-side apply that would change fields other managers own (409 Conflict, reason Conflict). */
export class ApplyConflict extends Error {
  readonly reason = 'Conflict';
  readonly conflicts: ConflictItem[];
  constructor(conflicts: ConflictItem[]) {
    // conflicts sorted by manager identifier, then by path (fieldpath.Set iteration order)
    const sorted = [...conflicts].sort((x, y) =>
      x.managerId < y.managerId ? -1 : x.managerId > y.managerId ? 1 : 0,
    );
    super(conflictMessage(sorted));
    this.name = 'ApplyConflict';
    this.conflicts = sorted;
  }
}

/** conflict.go printManager: Update managers carry their apiVersion (their identifier has no time), Apply ones do not. */
function printManager(c: ConflictItem): string {
  let s = JSON.stringify(c.manager);
  if (c.subresource) s = `${s} with subresource ${JSON.stringify(c.subresource)}`;
  return c.operation === 'Update' ? `${s} using ${c.apiVersion}` : s;
}

/** conflict.go getConflictMessage */
function conflictMessage(cs: ConflictItem[]): string {
  if (cs.length === 1)
    return `Apply failed with 1 conflict: conflict with ${printManager(cs[0]!)}: ${cs[0]!.field}`;
  const byManager = new Map<string, ConflictItem[]>();
  for (const c of cs) byManager.set(c.managerId, [...(byManager.get(c.managerId) ?? []), c]);
  const lines: string[] = [];
  for (const id of [...byManager.keys()].sort()) {
    const group = byManager.get(id)!;
    lines.push(`conflicts with ${printManager(group[0]!)}:`);
    for (const c of group) lines.push(`- ${c.field}`);
  }
  return `Apply failed with ${cs.length} conflicts: ${lines.join('\n')}`;
}

/** NewConflictError: the Status message and one FieldManagerConflict cause per field. */
export function conflictStatusParts(c: ApplyConflict): {
  message: string;
  causes: { reason: string; message: string; field: string }[];
} {
  return {
    message: c.message,
    causes: c.conflicts.map((x) => ({
      reason: 'FieldManagerConflict',
      message: `conflict with ${printManager(x)}`,
      field: x.field,
    })),
  };
}

/** An apply body that is refused before any merge (structuredmerge.go); the caller answers 400 BadRequest with it. */
export class ApplyBadRequest extends Error {
  readonly reason = 'BadRequest';
}

/**
 * Server-side apply of `config` by `manager`: the structured merge into `live` (maps recursively, associative lists
 * by key, sets by value, everything else replaced), the manager's set becomes exactly the config's, fields it applied
 * before and omits now are removed when nobody else owns them, and changes to fields other managers own throw
 * ApplyConflict unless `force`. `live: undefined` is a create.
 */
export function applyWithOwnership(
  a: WriteArgs & { live: KubeObject | undefined; config: KubeObject; force: boolean },
): { object: KubeObject; managedFields: ManagedFieldsEntry[] } {
  if (a.config.metadata?.managedFields !== undefined && a.config.metadata.managedFields !== null)
    throw new ApplyBadRequest('metadata.managedFields must be nil');
  const lk = a.listKeys ?? builtinListKeys;
  const scope = scopeOf(a);
  const zero = zeroObject(a.config.apiVersion, a.config.kind);
  let live: Json = a.live ? withoutManagedFields(a.live) : zero;
  const managed = liveManaged(a.live);
  if (managed.size === 0 && a.live) {
    // skipnonapplied.go: what was there before the first apply belongs to "before-first-apply"
    update(managed, zero, live, { ...a, manager: BEFORE_FIRST_APPLY, subresource: a.subresource, scope });
  }
  const cfg = withoutManagedFields(a.config) as JsonObject;
  const id = managerId(a.manager, 'Apply', a.apiVersion, a.subresource);
  const lastSet = managed.get(id)?.set;
  const set = strip(toFieldSet(cfg, lk, {}), scope);
  let merged = mergeValue(live, cfg, [], lk) as JsonObject;
  const prev = managed.get(id);
  managed.set(id, {
    id,
    manager: a.manager,
    operation: 'Apply',
    apiVersion: a.apiVersion,
    subresource: a.subresource,
    time: prev?.time,
    set,
  });
  if (lastSet) merged = prune(merged, difference(lastSet, set), managed) as JsonObject;
  dropOtherGroups(managed, a.apiVersion);
  const conflict = takeChanged(managed, id, mapComparison(compare(live, merged, lk), scope), a.force);
  if (conflict) throw conflict;
  const changed = !deepEqual(live, merged);
  const mine = managed.get(id)!;
  if (changed) mine.time = a.time;
  if (isEmpty(mine.set)) managed.delete(id);
  live = merged;
  const object = clone(live) as unknown as KubeObject;
  const managedFields = encodeManaged(managed);
  if (managedFields.length > 0) object.metadata = { ...object.metadata, managedFields };
  return { object, managedFields };
}

function mapComparison(c: Comparison, scope: Scope): Comparison {
  return {
    added: strip(c.added, scope),
    removed: strip(c.removed, scope),
    modified: strip(c.modified, scope),
  };
}

/** typed.Merge: the applied configuration over the live object. */
function mergeValue(l: Json | undefined, r: Json, fp: string[], lk: ListKeys): Json {
  if (isObject(r) && !(fp.length > 0 && lk.atomicObject?.(fp))) {
    const out: JsonObject = isObject(l) ? { ...l } : {};
    for (const [k, v] of Object.entries(r)) {
      if (v === undefined) continue;
      out[k] = mergeValue(out[k], v, [...fp, k], lk);
    }
    return out;
  }
  if (Array.isArray(r) && fp.length > 0) {
    const lt = lk(fp);
    if (lt.type === 'atomic' || !Array.isArray(l)) return clone(r);
    const out = [...l];
    for (const item of r) {
      const k = itemPe(item, lt);
      const idx = k === undefined ? -1 : out.findIndex((x) => itemPe(x, lt) === k);
      if (idx < 0) out.push(clone(item));
      else if (lt.type === 'map') out[idx] = mergeValue(out[idx], item, fp, lk);
    }
    return out;
  }
  return clone(r);
}

/**
 * merge/update.go prune: drop what the applier owned before and no longer applies, unless another manager (or the
 * applier's new set) still owns the path or something under it.
 */
function prune(obj: Json, dropped: FieldSet, managed: Map<string, Managed>): Json {
  const owned = [...managed.values()].map((m) => m.set);
  const paths = members(dropped).filter((p) => p.length > 0 && !owned.some((s) => hasUnder(s, p)));
  // deepest first, so removing an item does not shift the path of a sibling still to visit
  paths.sort((x, y) => y.length - x.length);
  let out = clone(obj);
  for (const p of paths) out = removePath(out, p);
  return out;
}

function removePath(v: Json, path: string[]): Json {
  const [pe, ...rest] = path;
  if (pe === undefined) return v;
  if (pe.startsWith('f:') && isObject(v)) {
    const name = pe.slice(2);
    if (!(name in v)) return v;
    if (rest.length === 0) {
      const { [name]: _, ...others } = v;
      return others;
    }
    return { ...v, [name]: removePath(v[name]!, rest) };
  }
  if (Array.isArray(v)) {
    const match = (x: Json) => {
      if (pe.startsWith('v:')) return JSON.stringify(x) === pe.slice(2);
      if (!pe.startsWith('k:') || !isObject(x)) return false;
      const key = JSON.parse(pe.slice(2)) as JsonObject;
      return Object.entries(key).every(([k, kv]) => deepEqual(x[k], kv));
    };
    if (rest.length === 0) return v.filter((x) => !match(x));
    return v.map((x) => (match(x) ? removePath(x, rest) : x));
  }
  return v;
}
