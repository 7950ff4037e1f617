import { ApiError, apiErrors } from './api-error.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A deep copy of a JSON value, iterative (bodies may nest up to Go's 10000 levels, deeper than a recursive copy's
 * stack); anything that is not a plain object or array is copied by structuredClone.
 */
export function clone<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  const fresh = (x: object): object => (Array.isArray(x) ? new Array(x.length) : {});
  const plain = (x: object) => {
    const p = Object.getPrototypeOf(x);
    return Array.isArray(x) || p === Object.prototype || p === null;
  };
  if (!plain(v)) return structuredClone(v);
  const root = fresh(v);
  const stack: [Record<string, unknown>, Record<string, unknown>][] = [[v as never, root as never]];
  while (stack.length > 0) {
    const [src, dst] = stack.pop()!;
    for (const k of Object.keys(src)) {
      const x = src[k];
      let copy: unknown = x;
      if (x !== null && typeof x === 'object') {
        if (plain(x)) {
          copy = fresh(x);
          stack.push([x as never, copy as never]);
        } else copy = structuredClone(x);
      }
      if (k === '__proto__')
        Object.defineProperty(dst, k, { value: copy, enumerable: true, writable: true, configurable: true });
      else dst[k] = copy;
    }
  }
  return root as T;
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k] ?? null, v);
  }
  return out;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/'))
    throw apiErrors.badRequest(
      `the server rejected our request due to an error in our request: invalid JSON pointer "${path}"`,
    );
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, tokens: string[], path: string): { parent: JsonObject | Json[]; last: string } {
  let cur: Json = doc;
  for (const t of tokens.slice(0, -1)) {
    const next: Json | undefined = Array.isArray(cur) ? cur[Number(t)] : isObject(cur) ? cur[t] : undefined;
    if (next === undefined) throw unprocessable(`doc is missing path: "${path}"`);
    cur = next;
  }
  if (!Array.isArray(cur) && !isObject(cur)) throw unprocessable(`doc is missing path: "${path}"`);
  return { parent: cur, last: tokens[tokens.length - 1]! };
}

/**
 * A JSON patch that fails to apply: handlers/patch.go answers errors.NewGenericServerResponse(422, …) with the apply
 * error as the server message, which that constructor drops: the client gets the generic sentence and empty details.
 * (`_why` is kept for a reader of this code.)
 */
function unprocessable(_why: string) {
  return new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
}

function getAt(doc: Json, path: string): Json {
  let cur: Json | undefined = doc;
  for (const t of pointer(path)) {
    cur = Array.isArray(cur) ? cur[Number(t)] : isObject(cur) ? cur[t] : undefined;
    if (cur === undefined) throw unprocessable(`doc is missing path: "${path}"`);
  }
  return cur;
}

function removeAt(doc: Json, path: string): Json {
  const { parent, last } = parentOf(doc, pointer(path), path);
  if (Array.isArray(parent)) {
    const i = Number(last);
    if (!(i >= 0 && i < parent.length))
      throw unprocessable(`remove operation does not apply: doc is missing path: "${path}"`);
    return parent.splice(i, 1)[0]!;
  }
  if (!(last in parent))
    throw unprocessable(`remove operation does not apply: doc is missing path: "${path}"`);
  const v = parent[last]!;
  delete parent[last];
  return v;
}

function addAt(doc: Json, path: string, value: Json, replace: boolean): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) return value;
  const { parent, last } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (!(i >= 0 && i <= parent.length) || (replace && i >= parent.length))
      throw unprocessable(`index out of range in "${path}"`);
    if (replace) parent[i] = value;
    else parent.splice(i, 0, value);
  } else {
    if (replace && !(last in parent))
      throw unprocessable(`replace operation does not apply: doc is missing key: "${path}"`);
    parent[last] = value;
  }
  return doc;
}

/** Go's name of a JSON value's type, as encoding/json's UnmarshalTypeError words it. */
function goJsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

/**
 * A string member of an operation, as gopkg.in/evanphx/json-patch.v4 Operation.Path/From decode it: absent or
 * null is "operation missing <f> field: missing value", another JSON type fails json.Unmarshal into a string.
 */
function opString(raw: Record<string, unknown>, field: 'path' | 'from', kind: string): string {
  const v = raw[field];
  if (v === undefined || v === null)
    throw unprocessable(
      `${kind} operation failed to decode ${field}: operation missing ${field} field: missing value`,
    );
  if (typeof v !== 'string')
    throw unprocessable(
      `${kind} operation failed to decode ${field}: json: cannot unmarshal ${goJsonType(v)} into Go value of type string`,
    );
  return v;
}

/**
 * RFC 6902 JSON patch as the apiserver applies it (endpoints/handlers/patch.go applyJSPatch with
 * gopkg.in/evanphx/json-patch.v4): a body that is not an array of objects fails DecodePatch (400); any failure while
 * applying (unknown op, missing or non-string path/from, missing target) is 422.
 */
export function jsonPatch(target: Json, ops: unknown): Json {
  if (!Array.isArray(ops))
    throw apiErrors.badRequest(
      `json: cannot unmarshal ${goJsonType(ops)} into Go value of type jsonpatch.Patch`,
    );
  for (const raw of ops) {
    if (raw !== null && goJsonType(raw) !== 'object')
      throw apiErrors.badRequest(
        `json: cannot unmarshal ${goJsonType(raw)} into Go value of type jsonpatch.Operation`,
      );
  }
  let doc = clone(target);
  for (const raw of ops as (Record<string, unknown> | null)[]) {
    const op = raw ?? {};
    // Operation.Kind: "unknown" unless op is a JSON string
    const kind = typeof op.op === 'string' ? op.op : 'unknown';
    const value = clone((op.value ?? null) as Json);
    switch (kind) {
      case 'add':
        doc = addAt(doc, opString(op, 'path', kind), value, false);
        break;
      case 'replace':
        doc = addAt(doc, opString(op, 'path', kind), value, true);
        break;
      case 'remove':
        removeAt(doc, opString(op, 'path', kind));
        break;
      case 'move': {
        const from = opString(op, 'from', kind);
        const path = opString(op, 'path', kind);
        doc = addAt(doc, path, removeAt(doc, from), false);
        break;
      }
      case 'copy': {
        const from = opString(op, 'from', kind);
        const path = opString(op, 'path', kind);
        doc = addAt(doc, path, clone(getAt(doc, from)), false);
        break;
      }
      case 'test': {
        const path = opString(op, 'path', kind);
        if (!deepEqual(getAt(doc, path), op.value ?? null)) {
          throw unprocessable(`testing value ${path} failed: test failed`);
        }
        break;
      }
      default:
        throw unprocessable(`Unexpected kind: ${kind}`);
    }
  }
  return doc;
}

/** Structural equality of JSON values, independent of key order. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}
