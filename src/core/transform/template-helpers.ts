import type Handlebars from 'handlebars';
import { goSprintf } from './go-printf.js';
import { LIT_HELPER, OUT_HELPER } from './go-template.js';
import { arityProblem, type BUILTIN_NAMES, type HELPER_NAMES } from './template-names.js';
import { RuleFailure } from './transform-error.js';

/**
 * The functions templates can call, one implementation for both spellings. Values are what Go templates
 * see for KubeMirror's data: strings, string maps, and what literals and functions produce (numbers,
 * booleans). A missing map key is the empty string everywhere (see template-engine.ts for why).
 */

/** What the render in progress allows. Renders are synchronous, so one slot is enough for helpers to see it. */
const state: { cap: number; consts: readonly unknown[] } = { cap: Number.POSITIVE_INFINITY, consts: [] };

/** Runs `fn` with the output cap and the literal table of the template being rendered. */
export function withRenderState<T>(cap: number, consts: readonly unknown[], fn: () => T): T {
  state.cap = cap;
  state.consts = consts;
  try {
    return fn();
  } finally {
    state.cap = Number.POSITIVE_INFINITY;
    state.consts = [];
  }
}

type Options = Handlebars.HelperOptions;

function str(helper: string, v: unknown, what: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === undefined || v === null) return '';
  throw new RuleFailure(`template function ${helper}: ${what} must be a string, got a map`);
}

function capped(helper: string, s: string): string {
  if (s.length > state.cap)
    throw new RuleFailure(`template function ${helper}: result exceeds ${state.cap} bytes`);
  return s;
}

/** Go's truth: false, 0, nil, "" and an empty map are false. */
export function truthy(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v !== '';
  return Object.keys(v as object).length > 0;
}

/** Strips Handlebars' options argument and checks the count again at run time (compile time already did). */
function argsOf(name: string, raw: unknown[]): { args: unknown[]; options: Options } {
  const options = raw.pop() as Options;
  const problem = arityProblem(name, raw.length);
  if (problem) throw new RuleFailure(`template: ${problem}`);
  return { args: raw, options };
}

function fixed(name: string, fn: (...a: string[]) => string) {
  return (...raw: unknown[]) => {
    const { args } = argsOf(name, raw);
    return capped(name, fn(...args.map((a, i) => str(name, a, `argument ${i + 1}`))));
  };
}

/** `{{#hasPrefix X "p"}}yes{{else}}no{{/hasPrefix}}` as a block, true/false inline. */
function predicate(name: string, test: (s: string, p: string) => boolean) {
  return function (this: unknown, ...raw: unknown[]) {
    const { args, options } = argsOf(name, raw);
    const ok = test(str(name, args[0], 'argument 1'), str(name, args[1], 'argument 2'));
    if (typeof options.fn === 'function') return ok ? options.fn(this) : options.inverse(this);
    return ok;
  };
}

const missingIsEmpty = (v: unknown) => (v === undefined || v === null ? '' : v);

type Scalar = string | number | boolean;
function comparable(name: string, a: unknown, b: unknown): [Scalar, Scalar] {
  const x = missingIsEmpty(a);
  const y = missingIsEmpty(b);
  if (typeof x === 'object' || typeof y === 'object')
    throw new RuleFailure(`template function ${name}: a map cannot be compared`);
  if (typeof x !== typeof y)
    throw new RuleFailure(
      `template function ${name}: incompatible types for comparison (${typeof x} and ${typeof y})`,
    );
  return [x as Scalar, y as Scalar];
}

function order(name: string, a: unknown, b: unknown): number {
  const [x, y] = comparable(name, a, b);
  if (typeof x === 'boolean')
    throw new RuleFailure(`template function ${name}: invalid type for comparison (boolean)`);
  if (typeof x === 'string') return Buffer.compare(Buffer.from(x), Buffer.from(y as string)); // Go compares bytes
  return x < (y as number) ? -1 : x > (y as number) ? 1 : 0;
}

function builtin(name: string, fn: (args: unknown[]) => unknown) {
  return (...raw: unknown[]) => fn(argsOf(name, raw).args);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Argument order: Go's `strings` package (subject first), and sprig's `default FALLBACK VALUE`. */
const HELPERS: Record<(typeof HELPER_NAMES)[number], (...args: unknown[]) => unknown> = {
  upper: fixed('upper', (s) => s.toUpperCase()),
  lower: fixed('lower', (s) => s.toLowerCase()),
  replace: fixed('replace', (s, from, to) => {
    if (from === '') throw new RuleFailure('template function replace: the string to replace is empty');
    const count = s.split(from).length - 1;
    if (s.length + count * (to.length - from.length) > state.cap)
      throw new RuleFailure(`template function replace: result exceeds ${state.cap} bytes`);
    return s.replaceAll(from, to);
  }),
  trimPrefix: fixed('trimPrefix', (s, p) => (p !== '' && s.startsWith(p) ? s.slice(p.length) : s)),
  trimSuffix: fixed('trimSuffix', (s, p) => (p !== '' && s.endsWith(p) ? s.slice(0, -p.length) : s)),
  hasPrefix: predicate('hasPrefix', (s, p) => s.startsWith(p)),
  hasSuffix: predicate('hasSuffix', (s, p) => s.endsWith(p)),
  // KubeMirror's default: VALUE unless it is missing or "" (so false and 0 are values, not empty)
  default: fixed('default', (fallback, value) => (value === '' ? fallback : value)),
  b64enc: fixed('b64enc', (s) => Buffer.from(s, 'utf8').toString('base64')),
  b64dec: fixed('b64dec', (s) => {
    if (!BASE64.test(s)) throw new RuleFailure('template function b64dec: argument is not valid base64');
    return Buffer.from(s, 'base64').toString('utf8');
  }),
};

const BUILTINS: Record<(typeof BUILTIN_NAMES)[number], (...args: unknown[]) => unknown> = {
  eq: builtin('eq', ([a, ...rest]) =>
    rest.some((b) => {
      const [x, y] = comparable('eq', a, b);
      return x === y;
    }),
  ),
  ne: builtin('ne', ([a, b]) => {
    const [x, y] = comparable('ne', a, b);
    return x !== y;
  }),
  lt: builtin('lt', ([a, b]) => order('lt', a, b) < 0),
  le: builtin('le', ([a, b]) => order('le', a, b) <= 0),
  gt: builtin('gt', ([a, b]) => order('gt', a, b) > 0),
  ge: builtin('ge', ([a, b]) => order('ge', a, b) >= 0),
  // Go's and/or return an argument, not a bool: the first deciding one, else the last
  and: builtin('and', (args) => args.find((a) => !truthy(a)) ?? args.at(-1)),
  or: builtin('or', (args) => args.find((a) => truthy(a)) ?? args.at(-1)),
  not: builtin('not', ([a]) => !truthy(a)),
  printf: builtin('printf', ([format, ...rest]) =>
    capped('printf', goSprintf(str('printf', format, 'the format'), rest, state.cap)),
  ),
  index: builtin('index', ([collection, ...keys]) => {
    let v = collection;
    for (const k of keys) v = indexOne(v, k);
    return v;
  }),
  len: builtin('len', ([v]) => {
    const x = missingIsEmpty(v);
    if (typeof x === 'string') return Buffer.byteLength(x, 'utf8'); // Go's len counts bytes
    if (x !== null && typeof x === 'object') return Object.keys(x).length;
    throw new RuleFailure(`template function len: len of ${typeof x}`);
  }),
};

/** A map lookup is own-keys only (the maps have no prototype anyway); a missing key is "". */
function indexOne(v: unknown, k: unknown): unknown {
  if (v !== null && typeof v === 'object') {
    if (typeof k !== 'string')
      throw new RuleFailure(`template function index: a map key must be a string, got ${typeof k}`);
    return Object.hasOwn(v, k) ? (v as Record<string, unknown>)[k] : '';
  }
  if (typeof v === 'string') {
    if (typeof k !== 'number' || !Number.isInteger(k))
      throw new RuleFailure('template function index: a string is indexed by an integer');
    const bytes = Buffer.from(v, 'utf8');
    if (k < 0 || k >= bytes.length)
      throw new RuleFailure(`template function index: index out of range: ${k}`);
    return bytes[k]; // Go: a byte
  }
  throw new RuleFailure(
    `template function index: can't index item of type ${v === undefined || v === null ? 'nil' : typeof v}`,
  );
}

/** `{{#if}}` with Go's truth, for both spellings (`{{ if … }}` is translated to it). */
function ifHelper(this: unknown, ...raw: unknown[]) {
  const { args, options } = argsOf('if', raw);
  if (typeof options.fn !== 'function')
    throw new RuleFailure('template: if needs a block ({{#if x}}…{{/if}})');
  return truthy(args[0]) ? options.fn(this) : options.inverse(this);
}

/** A literal kept out of the Handlebars source by the Go-template translator. */
function litHelper(index: unknown) {
  return state.consts[index as number];
}

/** How the Go spelling prints a value: strings as they are, numbers and booleans as Go does, a map never. */
function outHelper(v: unknown) {
  if (v === undefined || v === null) return '';
  if (typeof v === 'object')
    throw new RuleFailure('template: a map cannot be printed; use index or .Map.key');
  return String(v);
}

export const HELPER_FUNCTIONS: Readonly<Record<string, (...args: never[]) => unknown>> = {
  ...HELPERS,
  ...BUILTINS,
  if: ifHelper,
  [LIT_HELPER]: litHelper,
  [OUT_HELPER]: outHelper,
};
