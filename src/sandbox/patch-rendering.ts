import { isObject } from './json-patches.js';

/**
 * The text of a merge patch's result as kube-apiserver quotes it in a 422 `patch: Invalid value: "<json>"`:
 * gopkg.in/evanphx/json-patch.v4 MergePatch decodes the document's top level (and every object the patch descends
 * into) into Go maps, which encoding/json writes with sorted keys, and keeps everything else as the raw bytes it was
 * given: the live object's encoding (Go struct order for built-in kinds, sorted keys for custom resources) and the
 * patch's own values in the patch's order. JSON text is built by hand, as JavaScript objects would put integer-like
 * keys first.
 */
type Node = { kind: 'raw'; value: unknown } | { kind: 'map'; entries: [string, Node][] };

function asMap(v: Record<string, unknown>): [string, Node][] {
  return Object.keys(v)
    .sort()
    .map((k) => [k, { kind: 'raw', value: v[k] }]);
}

function merge(doc: [string, Node][], patch: Record<string, unknown>): [string, Node][] {
  const out = new Map<string, Node>(doc);
  for (const [k, pv] of Object.entries(patch)) {
    if (pv === null) {
      out.delete(k);
      continue;
    }
    const cur = out.get(k);
    const curValue = cur?.kind === 'raw' ? cur.value : undefined;
    if (cur && isObject(pv) && (cur.kind === 'map' || isObject(curValue))) {
      const entries = cur.kind === 'map' ? cur.entries : asMap(curValue as Record<string, unknown>);
      out.set(k, { kind: 'map', entries: merge(entries, pv) });
    } else out.set(k, { kind: 'raw', value: isObject(pv) ? pruneNulls(pv) : pv });
  }
  return [...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** a patch value that is new to the document loses its nulls (pruneNulls) */
function pruneNulls(v: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(v)
      .filter(([, x]) => x !== null)
      .map(([k, x]) => [k, isObject(x) ? pruneNulls(x) : x]),
  );
}

function text(n: Node): string {
  if (n.kind === 'map') return `{${n.entries.map(([k, v]) => `${JSON.stringify(k)}:${text(v)}`).join(',')}}`;
  return rawText(n.value);
}

/** a raw value in the order its object has (Go's raw bytes) */
function rawText(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(rawText).join(',')}]`;
  if (isObject(v))
    return `{${Object.keys(v)
      .map((k) => `${JSON.stringify(k)}:${rawText(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/** `original`: the live object in its encoding's key order; `patch`: the merge patch as sent. */
export function mergePatchedText(original: Record<string, unknown>, patch: Record<string, unknown>): string {
  return text({ kind: 'map', entries: merge(asMap(original), patch) });
}

/** An object with its keys sorted at every level (how an unstructured object, a Go map, is encoded). */
export function sortedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedKeys);
  if (!isObject(v)) return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sortedKeys(v[k])]),
  );
}
