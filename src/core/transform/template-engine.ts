import Handlebars from 'handlebars';
import { LIT_HELPER, OUT_HELPER, translateGoTemplate } from './go-template.js';
import { looksLikeGoTemplate } from './go-template-lexer.js';
import { HELPER_FUNCTIONS, withRenderState } from './template-helpers.js';
import {
  arityProblem,
  BUILTIN_NAMES,
  FORBIDDEN_NAMES,
  FUNCTION_LIST,
  fieldProblem,
  HELPER_NAMES,
  isMapPath,
} from './template-names.js';
import type { TransformContext } from './transform-context.js';
import { RuleFailure } from './transform-error.js';

export { HELPER_NAMES };

/*
 * Templates, in two spellings over one engine (SPEC §3). Handlebars text (`{{replace TargetNamespace "-" "_"}}`)
 * is compiled as it is; Go-template text as KubeMirror users have it (`{{ .TargetNamespace | upper }}`,
 * `{{ if eq .X "a" }}…{{ end }}`) is first translated to Handlebars source by go-template.ts. Both then go
 * through the same AST check, the same private Handlebars environment (template-helpers.ts: one function
 * table, Go argument order), the same render budget and output cap, and the same cache.
 *
 * A missing map key (`{{ .Labels.nope }}`, `{{ index .Labels "nope" }}`) renders as the empty string, in both
 * spellings, and counts as empty for `default`, `if`, `eq` and `len`. Go's default would print `<no value>`
 * for the field form (KubeMirror parses without `missingkey=`), but its `index` already gives "" and nobody
 * wants `<no value>` written into a ConfigMap; "" is Go's `missingkey=zero` for KubeMirror's
 * map[string]string data and what the Handlebars spelling always did. An unknown *field* of the data
 * (`{{ .TargetNamspace }}`) is a compile error, as in Go, not an empty string.
 */

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

/** Handlebars' own helpers, removed from the private environment; `if` is replaced by ours (Go's truth). */
const BUILTIN_HELPERS = ['if', 'unless', 'each', 'with', 'lookup', 'log'] as const;

/** Functions a user may call in either spelling; `if` only as a block. */
const USER_FUNCTIONS = new Set<string>([...HELPER_NAMES, ...BUILTIN_NAMES]);
const BLOCK_HELPERS = new Set(['if', 'hasPrefix', 'hasSuffix']);

function compileOptions(internal: boolean): CompileOptions {
  return {
    // mirrors hold config, not HTML: `&` must stay `&`
    noEscape: true,
    knownHelpersOnly: true,
    knownHelpers: {
      ...Object.fromEntries(BUILTIN_HELPERS.map((h) => [h, false])),
      ...Object.fromEntries([...USER_FUNCTIONS, 'if'].map((h) => [h, true])),
      ...(internal ? { [LIT_HELPER]: true, [OUT_HELPER]: true } : {}),
    },
    preventIndent: true,
    // Go keeps the newline after `{{ if x }}`; Handlebars' standalone-line stripping would eat it
    ignoreStandalone: internal,
  };
}
const HANDLEBARS_OPTIONS = compileOptions(false);
const GO_OPTIONS = compileOptions(true);

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

function environment(): HandlebarsEnv {
  if (env) return env;
  const e = Handlebars.create();
  for (const h of BUILTIN_HELPERS) e.unregisterHelper(h);
  e.unregisterDecorator('inline');
  for (const [name, fn] of Object.entries(HELPER_FUNCTIONS))
    e.registerHelper(name, fn as Handlebars.HelperDelegate);
  env = e;
  return e;
}

interface Loc {
  start: { line: number; column: number };
}
interface AstNode {
  type?: string;
  loc?: Loc;
  path?: AstNode;
  params?: AstNode[];
  hash?: unknown;
  parts?: unknown;
  original?: unknown;
  data?: boolean;
  depth?: number;
  blockParams?: unknown;
}

const at = (n: AstNode) => (n.loc ? `${n.loc.start.line}:${n.loc.start.column + 1}: ` : '');

/**
 * Refuses, before Handlebars runs anything: partials, decorators, prototype plumbing, `@data` and `../`
 * paths, unknown fields and functions, wrong argument counts, printing a map. Positions are 1-based.
 * `internal` marks translator output, which may use the translator's own helpers.
 */
function checkAst(node: unknown, problems: string[], internal: boolean): void {
  if (Array.isArray(node)) {
    for (const n of node) checkAst(n, problems, internal);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const n = node as AstNode;
  if (n.type === 'PartialStatement' || n.type === 'PartialBlockStatement')
    problems.push(`${at(n)}partials are not allowed`);
  if (n.type === 'Decorator' || n.type === 'DecoratorBlock')
    problems.push(`${at(n)}decorators are not allowed`);
  if (n.type === 'PathExpression') checkPath(n, problems);
  if (n.type === 'MustacheStatement' || n.type === 'SubExpression' || n.type === 'BlockStatement')
    checkCall(n, problems, internal);
  for (const [k, v] of Object.entries(n))
    if (k !== 'loc' && typeof v === 'object') checkAst(v, problems, internal);
}

function checkPath(n: AstNode, problems: string[]): void {
  const parts = Array.isArray(n.parts) ? (n.parts as unknown[]).filter((p) => typeof p === 'string') : [];
  for (const p of parts) if (FORBIDDEN_NAMES.has(p)) problems.push(`${at(n)}${p} may not be accessed`);
  if (n.data) problems.push(`${at(n)}data variables (@${parts.join('.')}) are not allowed`);
  if ((n.depth ?? 0) > 0) problems.push(`${at(n)}parent paths (../) are not allowed`);
}

/** A mustache, sub-expression or block: a function call, or (no arguments) a data path to print. */
function checkCall(n: AstNode, problems: string[], internal: boolean): void {
  const path = n.path;
  if (!path) return;
  const params = n.params ?? [];
  if (n.blockParams) problems.push(`${at(n)}block parameters (as |x|) are not allowed`);
  if (n.hash) problems.push(`${at(n)}hash arguments (key=value) are not allowed`);
  if (path.type !== 'PathExpression') {
    // a lone literal is Go spelling (go-template.ts routes it there); Handlebars would print nothing
    problems.push(
      `${at(n)}expected a function name, found a ${String(path.type).replace('Literal', '').toLowerCase()}`,
    );
    return;
  }
  const parts = (Array.isArray(path.parts) ? path.parts : []) as string[];
  const name = String(path.original);
  const isInternal = internal && (name === LIT_HELPER || name === OUT_HELPER);
  const simple = parts.length === 1 && !path.data && (path.depth ?? 0) === 0;
  const callable = simple && (USER_FUNCTIONS.has(name) || name === 'if' || isInternal);
  if (n.type === 'BlockStatement' && !(simple && BLOCK_HELPERS.has(name))) {
    problems.push(`${at(n)}{{#${name}}} is not a block (blocks: ${[...BLOCK_HELPERS].join(', ')})`);
    return;
  }
  if (n.type === 'MustacheStatement' && name === 'if') {
    problems.push(`${at(n)}if needs a block: {{#if x}}…{{/if}}`);
    return;
  }
  if (callable) {
    const problem = isInternal ? undefined : arityProblem(name, params.length);
    if (problem) problems.push(`${at(n)}${problem}`);
  } else if (params.length > 0 || n.type === 'SubExpression') {
    problems.push(`${at(path)}function "${name}" not defined (functions: ${FUNCTION_LIST})`);
  } else {
    const problem = parts.some((p) => FORBIDDEN_NAMES.has(p)) ? undefined : fieldProblem(parts);
    if (problem) problems.push(`${at(path)}${problem}`);
    else if (!path.data && isMapPath(parts))
      problems.push(`${at(path)}a map cannot be printed; use ${parts[0] ?? 'Labels'}.key or index`);
  }
  for (const p of params) {
    if (p.type !== 'PathExpression') continue;
    const pp = (Array.isArray(p.parts) ? p.parts : []) as string[];
    if (p.data || (p.depth ?? 0) > 0 || pp.some((x) => FORBIDDEN_NAMES.has(x))) continue; // reported by checkPath
    const problem = fieldProblem(pp);
    if (problem) problems.push(`${at(p)}${problem}`);
  }
}

const TOKEN_NAMES: Record<string, string> = {
  EOF: 'end of template',
  INVALID: 'invalid character',
  BOOLEAN: 'true or false',
  UNDEFINED: 'undefined',
  NULL: 'null',
  CLOSE: '"}}"',
  CLOSE_UNESCAPED: '"}}}"',
  OPEN_SEXPR: '"("',
  CLOSE_SEXPR: '")"',
  ID: 'a name',
  STRING: 'a string',
  NUMBER: 'a number',
  OPEN_ENDBLOCK: '"{{/"',
  INVERSE: '{{else}}',
  OPEN_INVERSE_CHAIN: '{{else …}}',
  SEP: '"." or "/"',
};

/** Handlebars' multi-line parse error as `L:C: unexpected X; expected Y`, positioned from the lexer. */
function parseProblem(err: Error): string {
  const loc = (
    Handlebars as unknown as {
      Parser?: { lexer?: { yylloc?: { first_line: number; first_column: number } } };
    }
  ).Parser?.lexer?.yylloc;
  const m = /Expecting (.*), got '([^']+)'/.exec(err.message);
  const where = loc ? `${loc.first_line}:${loc.first_column + 1}: ` : '';
  if (!m) return `${where}${err.message.split('\n')[0] ?? ''}`;
  const expected = [...m[1]!.matchAll(/'([^']+)'/g)].map((x) => TOKEN_NAMES[x[1]!] ?? x[1]!);
  const got = TOKEN_NAMES[m[2]!] ?? m[2]!;
  return `${where}unexpected ${got}; expected ${[...new Set(expected)].slice(0, 6).join(', ')}`;
}

function compileUncached(text: string): { template: CompiledTemplate } | { error: string } {
  const e = environment();
  let source = text;
  let consts: readonly unknown[] = [];
  const go = looksLikeGoTemplate(text);
  if (go) {
    const t = translateGoTemplate(text);
    if ('error' in t) return t;
    source = t.ok.source;
    consts = t.ok.consts;
  }
  let ast: unknown;
  try {
    ast = e.parse(source);
  } catch (err) {
    return { error: `template: ${parseProblem(err as Error)}` };
  }
  const problems: string[] = [];
  checkAst(ast, problems, go);
  if (problems.length > 0) return { error: `template: ${[...new Set(problems)].join('; ')}` };
  const options = go ? GO_OPTIONS : HANDLEBARS_OPTIONS;
  try {
    // precompile runs the compiler now (compile() is lazy), so unknown helpers are reported at compile time
    e.precompile(source, options);
    const fn = e.compile(source, options);
    return { template: { text, render: (data, limits, now) => render(fn, consts, data, limits, now) } };
  } catch (err) {
    const x = err as Error & { lineNumber?: number; column?: number };
    const where = x.lineNumber ? `${x.lineNumber}:${(x.column ?? 0) + 1}: ` : '';
    const unknown = /unknown helper (\S+)/.exec(x.message);
    if (unknown)
      return {
        error: `template: ${where}function "${unknown[1]}" not defined (functions: ${FUNCTION_LIST})`,
      };
    return { error: `template: ${where}${x.message.split('\n')[0]?.replace(/ - \d+:\d+$/, '')}` };
  }
}

/**
 * The render is synchronous and cannot be interrupted, so the budget is checked after it returns and an
 * over-budget render fails the rule. Without loops (each/with are removed) and with templates bounded by the
 * rules size limit, render time is linear in the template; the check is a backstop, not a scheduler.
 */
function render(
  fn: HandlebarsTemplateDelegate,
  consts: readonly unknown[],
  data: TemplateData,
  limits: RenderLimits,
  now: () => number,
): string {
  const start = now();
  let out: string;
  try {
    out = withRenderState(limits.maxOutputBytes, consts, () => fn(data, RUNTIME_OPTIONS));
  } catch (err) {
    if (err instanceof RuleFailure) throw err;
    throw new RuleFailure(`template: ${(err as Error).message.split('\n')[0]}`, { cause: err });
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
