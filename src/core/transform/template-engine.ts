import Handlebars from 'handlebars';
import type { TransformContext } from './transform-context.js';
import { RuleFailure } from './transform-error.js';

/** What a template can see. Built per target with null prototypes (see `buildTemplateData`). */
export interface TemplateData {
  readonly TargetNamespace: string;
  readonly SourceNamespace: string;
  readonly SourceName: string;
  readonly TargetName: string;
  readonly Labels: Readonly<Record<string, string>>;
  readonly Annotations: Readonly<Record<string, string>>;
  readonly TargetLabels: Readonly<Record<string, string>>;
  readonly TargetAnnotations: Readonly<Record<string, string>>;
}

export interface RenderLimits {
  renderTimeoutMs: number;
  maxOutputBytes: number;
}

/** A compiled, cached template. `render` throws RuleFailure on a helper error, an oversize output or a blown budget. */
export interface CompiledTemplate {
  readonly text: string;
  render(data: TemplateData, limits: RenderLimits, now: () => number): string;
}

export const HELPER_NAMES = [
  'upper',
  'lower',
  'replace',
  'trimPrefix',
  'trimSuffix',
  'hasPrefix',
  'hasSuffix',
  'default',
  'b64enc',
  'b64dec',
] as const;

/** Handlebars' own helpers, removed from the private environment and marked unknown to the compiler. */
const BUILTIN_HELPERS = ['if', 'unless', 'each', 'with', 'lookup', 'log'] as const;

/** Names no template may mention: the classic ways out of a Handlebars sandbox. */
const FORBIDDEN_NAMES = new Set([
  '__proto__',
  'constructor',
  'prototype',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

const COMPILE_OPTIONS: CompileOptions = {
  // mirrors hold config, not HTML: `&` must stay `&`
  noEscape: true,
  knownHelpersOnly: true,
  knownHelpers: {
    ...Object.fromEntries(HELPER_NAMES.map((h) => [h, true])),
    ...Object.fromEntries(BUILTIN_HELPERS.map((h) => [h, false])),
  },
  preventIndent: true,
};

const RUNTIME_OPTIONS: Handlebars.RuntimeOptions = {
  allowProtoPropertiesByDefault: false,
  allowProtoMethodsByDefault: false,
  allowedProtoProperties: {},
  allowedProtoMethods: {},
  partials: {},
  decorators: {},
};

const TEMPLATE_CACHE_SIZE = 1000;

type HandlebarsEnv = ReturnType<typeof Handlebars.create>;
let env: HandlebarsEnv | undefined;
/** Bounded: evicts the oldest entry, so hostile sources cannot grow it without limit. */
const cache = new Map<string, { template: CompiledTemplate } | { error: string }>();
/** The cap of the render in progress. Renders are synchronous, so one slot is enough for helpers to see it. */
let activeOutputCap = Number.POSITIVE_INFINITY;

function str(helper: string, v: unknown, what: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === undefined || v === null) return '';
  throw new RuleFailure(`template helper ${helper}: ${what} must be a string`);
}

function capped(helper: string, s: string): string {
  if (s.length > activeOutputCap)
    throw new RuleFailure(`template helper ${helper}: result exceeds ${activeOutputCap} bytes`);
  return s;
}

/** `{{#hasPrefix X "p"}}yes{{else}}no{{/hasPrefix}}` as a block, `true`/`false` inline. */
function predicate(name: string, test: (s: string, p: string) => boolean) {
  return function (this: unknown, ...args: unknown[]) {
    const options = args.pop() as Handlebars.HelperOptions;
    if (args.length !== 2)
      throw new RuleFailure(`template helper ${name} takes 2 arguments, got ${args.length}`);
    const ok = test(str(name, args[0], 'argument 1'), str(name, args[1], 'argument 2'));
    if (typeof options.fn === 'function') return ok ? options.fn(this) : options.inverse(this);
    return ok;
  };
}

function fixed(name: string, arity: number, fn: (...a: string[]) => string) {
  return (...args: unknown[]) => {
    args.pop(); // Handlebars options
    if (args.length !== arity)
      throw new RuleFailure(`template helper ${name} takes ${arity} argument(s), got ${args.length}`);
    return capped(name, fn(...args.map((a, i) => str(name, a, `argument ${i + 1}`))));
  };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Argument order is subject first (`{{replace SourceName "-" "_"}}`, `{{default Labels.team "none"}}`), since
 * Handlebars has no pipelines that would make sprig's subject-last order read naturally.
 */
const HELPERS: Record<(typeof HELPER_NAMES)[number], (...args: unknown[]) => unknown> = {
  upper: fixed('upper', 1, (s) => s.toUpperCase()),
  lower: fixed('lower', 1, (s) => s.toLowerCase()),
  replace: fixed('replace', 3, (s, from, to) => {
    if (from === '') throw new RuleFailure('template helper replace: the string to replace is empty');
    const count = s.split(from).length - 1;
    if (s.length + count * (to.length - from.length) > activeOutputCap) {
      throw new RuleFailure(`template helper replace: result exceeds ${activeOutputCap} bytes`);
    }
    return s.replaceAll(from, to);
  }),
  trimPrefix: fixed('trimPrefix', 2, (s, p) => (p !== '' && s.startsWith(p) ? s.slice(p.length) : s)),
  trimSuffix: fixed('trimSuffix', 2, (s, p) => (p !== '' && s.endsWith(p) ? s.slice(0, -p.length) : s)),
  hasPrefix: predicate('hasPrefix', (s, p) => s.startsWith(p)),
  hasSuffix: predicate('hasSuffix', (s, p) => s.endsWith(p)),
  default: fixed('default', 2, (v, fallback) => (v === '' ? fallback : v)),
  b64enc: fixed('b64enc', 1, (s) => Buffer.from(s, 'utf8').toString('base64')),
  b64dec: fixed('b64dec', 1, (s) => {
    if (!BASE64.test(s)) throw new RuleFailure('template helper b64dec: argument is not valid base64');
    return Buffer.from(s, 'base64').toString('utf8');
  }),
};

function environment(): HandlebarsEnv {
  if (env) return env;
  const e = Handlebars.create();
  for (const h of BUILTIN_HELPERS) e.unregisterHelper(h);
  e.unregisterDecorator('inline');
  for (const [name, fn] of Object.entries(HELPERS)) e.registerHelper(name, fn);
  env = e;
  return e;
}

/** Refuses partials, decorators and any mention of prototype plumbing, before Handlebars ever runs the template. */
function checkAst(node: unknown, problems: string[]): void {
  if (Array.isArray(node)) {
    for (const n of node) checkAst(n, problems);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const n = node as { type?: string; parts?: unknown; original?: unknown };
  if (n.type === 'PartialStatement' || n.type === 'PartialBlockStatement')
    problems.push('partials are not allowed');
  if (n.type === 'Decorator' || n.type === 'DecoratorBlock') problems.push('decorators are not allowed');
  if (n.type === 'PathExpression' && Array.isArray(n.parts)) {
    for (const p of n.parts)
      if (typeof p === 'string' && FORBIDDEN_NAMES.has(p)) problems.push(`${p} may not be accessed`);
  }
  for (const [k, v] of Object.entries(n)) if (k !== 'loc' && typeof v === 'object') checkAst(v, problems);
}

function compileUncached(text: string): { template: CompiledTemplate } | { error: string } {
  const e = environment();
  try {
    const problems: string[] = [];
    checkAst(e.parse(text), problems);
    if (problems.length > 0) return { error: `template: ${[...new Set(problems)].join('; ')}` };
    // precompile runs the compiler now (compile() is lazy), so unknown helpers are reported at parse time
    e.precompile(text, COMPILE_OPTIONS);
    const fn = e.compile(text, COMPILE_OPTIONS);
    return { template: { text, render: (data, limits, now) => render(fn, data, limits, now) } };
  } catch (err) {
    const message = (err as Error).message.split('\n')[0] ?? '';
    const unknown = /unknown helper (\S+)/.exec(message);
    if (unknown)
      return { error: `template: unknown helper ${unknown[1]} (allowed: ${HELPER_NAMES.join(', ')})` };
    return { error: `template: ${message}` };
  }
}

/**
 * The render is synchronous and cannot be interrupted, so the budget is checked after it returns and an
 * over-budget render fails the rule. Without loops (each/with are removed) and with templates bounded by the
 * rules size limit, render time is linear in the template; the check is a backstop, not a scheduler.
 */
function render(
  fn: HandlebarsTemplateDelegate,
  data: TemplateData,
  limits: RenderLimits,
  now: () => number,
): string {
  const start = now();
  activeOutputCap = limits.maxOutputBytes;
  let out: string;
  try {
    out = fn(data, RUNTIME_OPTIONS);
  } catch (err) {
    if (err instanceof RuleFailure) throw err;
    throw new RuleFailure(`template: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  } finally {
    activeOutputCap = Number.POSITIVE_INFINITY;
  }
  const elapsed = now() - start;
  if (elapsed > limits.renderTimeoutMs) {
    throw new RuleFailure(
      `template render took ${elapsed.toFixed(1)} ms, over the ${limits.renderTimeoutMs} ms budget`,
    );
  }
  if (Buffer.byteLength(out, 'utf8') > limits.maxOutputBytes) {
    throw new RuleFailure(`template output exceeds ${limits.maxOutputBytes} bytes`);
  }
  return out;
}

/** Compiles a template once per text (bounded cache, failures cached too). */
export function compileTemplate(text: string): { template: CompiledTemplate } | { error: string } {
  const hit = cache.get(text);
  if (hit) return hit;
  const result = compileUncached(text);
  if (cache.size >= TEMPLATE_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(text, result);
  return result;
}

/** True when the string needs Handlebars at all; plain strings are used as they are. */
export function isTemplate(s: string): boolean {
  return s.includes('{{');
}

function nullProtoCopy(m: Record<string, string>): Readonly<Record<string, string>> {
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(m)) out[k] = v;
  return Object.freeze(out);
}

export function buildTemplateData(ctx: TransformContext): TemplateData {
  const data = Object.create(null) as Record<string, unknown>;
  data.TargetNamespace = ctx.targetNamespace;
  data.SourceNamespace = ctx.sourceNamespace;
  data.SourceName = ctx.sourceName;
  data.TargetName = ctx.targetName;
  data.Labels = nullProtoCopy(ctx.labels);
  data.Annotations = nullProtoCopy(ctx.annotations);
  data.TargetLabels = nullProtoCopy(ctx.targetLabels);
  data.TargetAnnotations = nullProtoCopy(ctx.targetAnnotations);
  return Object.freeze(data) as unknown as TemplateData;
}
