import { isPrefixedKey } from '../keys.js';
import { RuleFailure } from './transform-error.js';

/** One step of a transform path: a map key or an array index. */
export type PathSegment = { readonly key: string } | { readonly index: number };

/** Keys refused as path segments anywhere: writing them on a plain object would change its prototype. */
const POISON_KEYS = new Set(['__proto__']);

/**
 * Parses `spec.containers[0].env[1].value`, `metadata.labels["app.kubernetes.io/name"]`, `data['a.b']`.
 * Bare keys may hold any character but `.`, `[`, `]`, quotes and whitespace; quoted keys accept `\"`, `\'`, `\\`.
 * Returns the segments or a message saying where the path is malformed.
 */
export function parsePath(text: string): { segments: PathSegment[] } | { error: string } {
  const segments: PathSegment[] = [];
  let i = 0;
  const fail = (what: string) => ({ error: `invalid path ${JSON.stringify(text)} at offset ${i}: ${what}` });
  if (text.length === 0) return { error: 'path is empty' };
  while (i < text.length) {
    const c = text[i];
    if (c === '[') {
      const close = text.indexOf(']', i);
      const q = text[i + 1];
      if (q === '"' || q === "'") {
        let key = '';
        let j = i + 2;
        for (; j < text.length && text[j] !== q; j++) {
          if (text[j] === '\\' && j + 1 < text.length) j++;
          key += text[j];
        }
        if (j >= text.length) return fail('unterminated quoted key');
        if (text[j + 1] !== ']') return fail('expected ] after quoted key');
        if (key === '') return fail('empty key');
        segments.push({ key });
        i = j + 2;
      } else {
        if (close < 0) return fail('missing ]');
        const inner = text.slice(i + 1, close);
        if (!/^(0|[1-9][0-9]{0,8})$/.test(inner)) {
          return fail(`expected an array index or a quoted key in brackets, got [${inner}]`);
        }
        segments.push({ index: Number(inner) });
        i = close + 1;
      }
    } else {
      if (segments.length > 0) {
        if (c !== '.') return fail(`expected . or [ , got ${JSON.stringify(c)}`);
        i++;
      }
      const m = /^[^.[\]"'\s]+/.exec(text.slice(i));
      if (!m) return fail('expected a key');
      segments.push({ key: m[0] });
      i += m[0].length;
    }
  }
  if ('index' in segments[0]!)
    return { error: `invalid path ${JSON.stringify(text)}: must start with a key` };
  for (const s of segments) {
    if ('key' in s && POISON_KEYS.has(s.key))
      return { error: `path ${JSON.stringify(text)}: key ${s.key} is not allowed` };
  }
  return { segments };
}

/** Fields of the mirror the controller owns; a transform may not touch them or anything under them. */
const FORBIDDEN: readonly (readonly string[])[] = [
  ['apiVersion'],
  ['kind'],
  ['metadata', 'name'],
  ['metadata', 'namespace'],
  ['metadata', 'uid'],
  ['metadata', 'resourceVersion'],
  ['metadata', 'ownerReferences'],
  ['metadata', 'finalizers'],
  // never copied to mirrors (SPEC §1), so a transform writing them would only produce rejected or ignored writes
  ['metadata', 'generation'],
  ['metadata', 'creationTimestamp'],
  ['metadata', 'deletionTimestamp'],
  ['metadata', 'deletionGracePeriodSeconds'],
  ['metadata', 'managedFields'],
];

const keyAt = (segments: readonly PathSegment[], n: number): string | undefined => {
  const s = segments[n];
  return s && 'key' in s ? s.key : undefined;
};

/** True when the path names `metadata.labels` or `metadata.annotations` itself (the whole map). */
export function isMetadataMapPath(segments: readonly PathSegment[]): boolean {
  const k = keyAt(segments, 1);
  return (
    segments.length === 2 && keyAt(segments, 0) === 'metadata' && (k === 'labels' || k === 'annotations')
  );
}

/**
 * Why the path may not be written, or undefined. `written` is the value a value/merge rule puts at the path
 * (undefined for template/delete): a whole labels/annotations map may not bring in `P/*` keys.
 */
export function forbiddenReason(
  segments: readonly PathSegment[],
  prefix: string,
  written?: unknown,
): string | undefined {
  if (segments.length === 1 && keyAt(segments, 0) === 'metadata')
    return 'metadata as a whole is controlled by kubemirror';
  for (const f of FORBIDDEN) {
    if (f.every((k, n) => keyAt(segments, n) === k)) return `${f.join('.')} is controlled by kubemirror`;
  }
  if (keyAt(segments, 0) !== 'metadata') return undefined;
  const map = keyAt(segments, 1);
  if (map !== 'labels' && map !== 'annotations') return undefined;
  const key = keyAt(segments, 2);
  if (key !== undefined && isPrefixedKey(key, prefix))
    return `${prefix}/* ${map} are controlled by kubemirror`;
  if (segments.length === 2 && written !== null && typeof written === 'object') {
    const bad = Object.keys(written).filter((k) => isPrefixedKey(k, prefix));
    if (bad.length > 0) return `${prefix}/* ${map} are controlled by kubemirror (${bad.join(', ')})`;
  }
  return undefined;
}

export function isPlainMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

type Container = Record<string, unknown> | unknown[];

function describe(segments: readonly PathSegment[], n: number): string {
  return segments
    .slice(0, n)
    .map((s, i) =>
      'index' in s
        ? `[${s.index}]`
        : /^[^.[\]"'\s]+$/.test(s.key)
          ? i === 0
            ? s.key
            : `.${s.key}`
          : `[${JSON.stringify(s.key)}]`,
    )
    .join('');
}

/**
 * Walks to the container holding the last segment. Missing maps are created only when `create` is true, so a
 * first dry walk (create=false) can prove the write will succeed before anything is changed: a failing rule
 * then leaves the object untouched. Returns the container, or undefined when (dry) a map would be created.
 */
function walk(
  root: Record<string, unknown>,
  segments: readonly PathSegment[],
  create: boolean,
): Container | undefined {
  let cur: Container | undefined = root;
  for (let n = 0; n < segments.length - 1; n++) {
    const seg = segments[n]!;
    const next = segments[n + 1]!;
    if (cur === undefined) {
      // dry walk below a map that would be created: only keys can follow
      if ('index' in next)
        throw new RuleFailure(
          `${describe(segments, n + 1)} does not exist, so index [${next.index}] is out of range`,
        );
      continue;
    }
    let child: unknown;
    if ('index' in seg) {
      if (!Array.isArray(cur)) throw new RuleFailure(`${describe(segments, n)} is not a list`);
      if (seg.index >= cur.length)
        throw new RuleFailure(
          `index [${seg.index}] out of range: ${describe(segments, n)} has ${cur.length} items`,
        );
      child = cur[seg.index];
    } else {
      if (!isPlainMap(cur)) throw new RuleFailure(`${describe(segments, n)} is not a map`);
      child = Object.hasOwn(cur, seg.key) ? cur[seg.key] : undefined;
      if (child === undefined || child === null) {
        if ('index' in next)
          throw new RuleFailure(
            `${describe(segments, n + 1)} does not exist, so index [${next.index}] is out of range`,
          );
        if (create) {
          child = {};
          cur[seg.key] = child;
        }
      }
    }
    if (child !== undefined && child !== null && typeof child !== 'object') {
      throw new RuleFailure(`${describe(segments, n + 1)} is a ${typeof child}, not a map or list`);
    }
    cur = (child ?? undefined) as Container | undefined;
  }
  return cur;
}

function checkLast(container: Container | undefined, segments: readonly PathSegment[]): void {
  const last = segments[segments.length - 1]!;
  if (container === undefined) return;
  if ('index' in last) {
    if (!Array.isArray(container))
      throw new RuleFailure(`${describe(segments, segments.length - 1)} is not a list`);
    if (last.index >= container.length) {
      throw new RuleFailure(
        `index [${last.index}] out of range: ${describe(segments, segments.length - 1)} has ${container.length} items`,
      );
    }
  } else if (!isPlainMap(container)) {
    throw new RuleFailure(`${describe(segments, segments.length - 1)} is not a map`);
  }
}

/** Reads the value at the path (undefined when absent). Throws on a type mismatch or an out-of-range index. */
export function getAt(root: Record<string, unknown>, segments: readonly PathSegment[]): unknown {
  const container = walk(root, segments, false);
  checkLast(container, segments);
  if (container === undefined) return undefined;
  const last = segments[segments.length - 1]!;
  if ('index' in last) return (container as unknown[])[last.index];
  const map = container as Record<string, unknown>;
  return Object.hasOwn(map, last.key) ? map[last.key] : undefined;
}

/** Sets the value at the path, creating missing maps. Checks everything first: on error nothing has changed. */
export function setAt(root: Record<string, unknown>, segments: readonly PathSegment[], value: unknown): void {
  checkLast(walk(root, segments, false), segments);
  const container = walk(root, segments, true)!;
  const last = segments[segments.length - 1]!;
  if ('index' in last) (container as unknown[])[last.index] = value;
  else (container as Record<string, unknown>)[last.key] = value;
}

/** Deletes the value at the path; a missing key is a no-op, an out-of-range index an error. */
export function deleteAt(root: Record<string, unknown>, segments: readonly PathSegment[]): void {
  const container = walk(root, segments, false);
  checkLast(container, segments);
  if (container === undefined) return;
  const last = segments[segments.length - 1]!;
  if ('index' in last) (container as unknown[]).splice(last.index, 1);
  else delete (container as Record<string, unknown>)[last.key];
}
