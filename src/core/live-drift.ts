import type { MirrorKeys } from './keys.js';
import { KUBEMIRROR_FIELD_MANAGER } from './ownership.js';
import { normalizeInPlace, sanitizeInPlace } from './sanitize.js';
import type { KubeObject } from './types.js';

/**
 * Fields that another controller owns on the copy by design: never copied from the source, never compared on
 * the mirror. Everything else the server or an admission webhook adds is told apart by `managedFields`
 * (liveDrift), so this table stays short; each entry says why it is here.
 */
export const FOREIGN_OWNED_BY_DESIGN: ReadonlyArray<{
  apiVersion: string;
  kind: string;
  path: readonly string[];
  why: string;
}> = [
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    path: ['metadata', 'annotations', 'deployment.kubernetes.io/revision'],
    why: "the Deployment controller numbers each Deployment's own rollouts; the source's number means nothing on the copy",
  },
  {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    path: ['secrets'],
    why: 'the token controller (before 1.24) lists the token Secrets it made for this account in this namespace',
  },
];

function foreignOwnedPaths(obj: KubeObject): readonly (readonly string[])[] {
  return FOREIGN_OWNED_BY_DESIGN.filter((e) => e.kind === obj.kind && e.apiVersion === obj.apiVersion).map(
    (e) => e.path,
  );
}

/** Removes the FOREIGN_OWNED_BY_DESIGN fields of this kind, in place (the desired mirror, a hashed copy). */
export function dropForeignOwnedInPlace(obj: KubeObject): void {
  for (const path of foreignOwnedPaths(obj)) {
    let cur: unknown = obj;
    for (let i = 0; i < path.length - 1 && isMap(cur); i++) cur = cur[path[i]!];
    if (isMap(cur)) delete cur[path[path.length - 1]!];
  }
}

export interface DriftVerdict {
  drift: boolean;
  /** the fields that differ, as paths (`data.key`, `metadata.labels.team`, `spec.ports[0].port`) */
  fields: string[];
  /** the field managers (other than kubemirror) that own the differing fields, or wrote last */
  managers: string[];
}

export const NO_DRIFT: DriftVerdict = { drift: false, fields: [], managers: [] };

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = (string | number)[];

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** null, undefined, {} and [] are one "absent", as Go's omitempty round-trips them. */
function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isMap(v)) return Object.keys(v).length === 0;
  return false;
}

/**
 * What kubemirror controls in a mirror, in the shape both the content hash (hash.ts) and liveDrift read:
 * apiVersion, kind and the body (no status) after the per-kind sanitising and normalising the desired mirror
 * gets, plus labels and annotations minus the volatile `P/source-content-hash` and `P/last-sync-time`, minus
 * FOREIGN_OWNED_BY_DESIGN. A fresh object: the input is not touched.
 */
export function controlledContent(obj: KubeObject, keys: MirrorKeys): Record<string, Json> {
  const { apiVersion, kind, metadata, status: _s, ...body } = obj;
  const copy = structuredClone({
    apiVersion,
    kind,
    metadata: { name: metadata.name },
    ...body,
  }) as KubeObject;
  sanitizeInPlace(copy);
  normalizeInPlace(copy);
  const annotations = { ...(metadata.annotations ?? {}) };
  delete annotations[keys.contentHash];
  delete annotations[keys.lastSyncTime];
  const { metadata: _m, ...content } = copy;
  const doc = { ...content, metadata: { labels: { ...(metadata.labels ?? {}) }, annotations } } as KubeObject;
  dropForeignOwnedInPlace(doc);
  return doc as unknown as Record<string, Json>;
}

const render = (path: Path): string =>
  path.reduce<string>(
    (s, seg) =>
      typeof seg === 'number'
        ? `${s}[${seg}]`
        : /^[A-Za-z0-9_-]+$/.test(seg)
          ? s === ''
            ? seg
            : `${s}.${seg}`
          : `${s}["${seg}"]`,
    '',
  );

/** Keys of data maps: nobody defaults or adds them, so an extra key there is always someone's edit. */
function isDataKey(obj: KubeObject, path: Path): boolean {
  if (obj.apiVersion !== 'v1' || path.length !== 2) return false;
  if (obj.kind === 'ConfigMap') return path[0] === 'data' || path[0] === 'binaryData';
  if (obj.kind === 'Secret') return path[0] === 'data' || path[0] === 'stringData';
  return false;
}

interface ManagedEntry {
  manager?: string;
  operation?: string;
  time?: string;
  fieldsV1?: unknown;
}

function entriesOf(live: KubeObject): ManagedEntry[] {
  const mf = (live.metadata as { managedFields?: unknown }).managedFields;
  return Array.isArray(mf) ? (mf as ManagedEntry[]) : [];
}

/** Whether a FieldsV1 key (`k:{"name":"a"}`, `v:"x"`, `i:3`) designates this list element. */
function elementKeyMatches(key: string, element: unknown, index: number): boolean {
  if (key.startsWith('i:')) return Number(key.slice(2)) === index;
  try {
    if (key.startsWith('v:')) return JSON.stringify(JSON.parse(key.slice(2))) === JSON.stringify(element);
    if (key.startsWith('k:') && isMap(element)) {
      const want = JSON.parse(key.slice(2)) as Record<string, unknown>;
      return Object.entries(want).every(([k, v]) => JSON.stringify(element[k]) === JSON.stringify(v));
    }
  } catch {
    return false;
  }
  return false;
}

/** The managers whose field set holds `path` of the live object (the field itself or something under it). */
function ownersOf(live: KubeObject, path: Path): string[] {
  const out: string[] = [];
  for (const e of entriesOf(live)) {
    let node: unknown = e.fieldsV1;
    let value: unknown = live;
    for (const seg of path) {
      if (!isMap(node)) {
        node = undefined;
        break;
      }
      if (typeof seg === 'string') {
        node = node[`f:${seg}`];
        value = isMap(value) ? value[seg] : undefined;
      } else {
        const element = Array.isArray(value) ? value[seg] : undefined;
        const key = Object.keys(node).find((k) => elementKeyMatches(k, element, seg));
        node = key === undefined ? undefined : node[key];
        value = element;
      }
    }
    if (node !== undefined && e.manager) out.push(e.manager);
  }
  return out;
}

/** The manager other than ours that wrote the live object last (managedFields time, newest first). */
function lastForeignWriter(live: KubeObject, ours: string): string | undefined {
  const foreign = entriesOf(live).filter((e) => e.manager && e.manager !== ours);
  foreign.sort((a, b) => ((a.time ?? '') < (b.time ?? '') ? 1 : -1));
  return foreign[0]?.manager;
}

/**
 * Whether the live mirror drifted from the desired one by someone else's hand, told from what the server says:
 * - a field kubemirror sets whose live value differs, or which is gone: drift (an edit or a removal);
 * - a field kubemirror does not set: drift only when another field manager owns it in `managedFields` (someone
 *   added it), or it is a key of ConfigMap/Secret data. What the server adds on our own write — defaults,
 *   allocated addresses, a mutating webhook's label — is owned by our write or by nobody, and is not drift;
 * - FOREIGN_OWNED_BY_DESIGN fields are never compared.
 * What the server drops from our write (CRD pruning) would look like a removal here; the caller settles that
 * case first with the form the server returned for our last write (see PlanInput.lastWrite).
 */
export function liveDrift(
  desired: KubeObject,
  live: KubeObject,
  keys: MirrorKeys,
  ours = KUBEMIRROR_FIELD_MANAGER,
): DriftVerdict {
  const fields: string[] = [];
  const managers = new Set<string>();
  const differs = (path: Path) => {
    fields.push(render(path));
    for (const m of ownersOf(live, path)) if (m !== ours) managers.add(m);
  };
  const extra = (path: Path) => {
    if (isDataKey(desired, path)) {
      differs(path);
      return;
    }
    const owners = ownersOf(live, path).filter((m) => m !== ours);
    if (owners.length === 0) return;
    fields.push(render(path));
    for (const m of owners) managers.add(m);
  };
  const walk = (d: unknown, l: unknown, path: Path): void => {
    if (isEmpty(d)) {
      if (!isEmpty(l)) extra(path);
      return;
    }
    if (isEmpty(l) && isMap(d)) {
      for (const k of Object.keys(d)) walk(d[k], undefined, [...path, k]);
      return;
    }
    if (isEmpty(l)) {
      differs(path);
      return;
    }
    if (isMap(d) && isMap(l)) {
      for (const k of Object.keys(d)) walk(d[k], l[k], [...path, k]);
      for (const k of Object.keys(l)) if (!(k in d) && !isEmpty(l[k])) extra([...path, k]);
      return;
    }
    if (Array.isArray(d) && Array.isArray(l)) {
      if (d.length !== l.length) {
        differs(path);
        return;
      }
      for (let i = 0; i < d.length; i++) walk(d[i], l[i], [...path, i]);
      return;
    }
    if (d !== l) differs(path);
  };
  walk(controlledContent(desired, keys), controlledContent(live, keys), []);
  if (fields.length === 0) return NO_DRIFT;
  if (managers.size === 0) {
    const last = lastForeignWriter(live, ours);
    if (last) managers.add(last);
  }
  return { drift: true, fields, managers: [...managers].sort() };
}
