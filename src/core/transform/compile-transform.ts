import { globMatch } from '../glob.js';
import type { KubeObject } from '../types.js';
import { buildTemplateData, type TemplateData } from './template-engine.js';
import type { TransformContext } from './transform-context.js';
import { RuleFailure, TransformError } from './transform-error.js';
import { DEFAULT_TRANSFORM_LIMITS, type TransformLimits } from './transform-limits.js';
import { deleteAt, getAt, isMetadataMapPath, isPlainMap, type PathSegment, setAt } from './transform-path.js';
import { parseTransformRules, type TransformRule, type ValueNode } from './transform-rules.js';

export type { TransformContext };

export interface TransformSkip {
  rule: number;
  path: string;
  message: string;
}

export interface TransformProgram {
  readonly ruleCount: number;
  /**
   * Returns a transformed deep copy; `obj` is never touched. Strict: the first failing rule throws a
   * TransformError (reason TransformFailed). Non-strict: failing rules are skipped, have no effect, and are
   * returned in `skipped` for the caller to log, count and report. `now` (ms) is for tests of the render budget.
   */
  apply(
    obj: KubeObject,
    ctx: TransformContext,
    opts: { strict: boolean; now?: () => number },
  ): { object: KubeObject; skipped: TransformSkip[] };
}

export type CompileResult = { ok: true; program: TransformProgram } | { ok: false; errors: string[] };

const PROGRAM_CACHE_SIZE = 500;
/** Bounded: sources are reconciled over and over with the same annotation; compile once per text+prefix+limits. */
const programs = new Map<string, CompileResult>();

/** Parses, validates and compiles `P/transform` text. Every problem is reported at once; results are cached. */
export function compileTransform(
  yamlText: string,
  opts: { prefix: string; limits?: Partial<TransformLimits> },
): CompileResult {
  const limits: TransformLimits = { ...DEFAULT_TRANSFORM_LIMITS, ...opts.limits };
  const key = `${opts.prefix}\u0000${limits.maxRules},${limits.maxBytes},${limits.renderTimeoutMs},${limits.maxOutputBytes}\u0000${yamlText}`;
  const hit = programs.get(key);
  if (hit) return hit;
  const parsed = parseTransformRules(yamlText, opts.prefix, limits);
  const result: CompileResult =
    'errors' in parsed
      ? { ok: false, errors: parsed.errors }
      : { ok: true, program: new Program(parsed.rules, limits) };
  if (programs.size >= PROGRAM_CACHE_SIZE) programs.delete(programs.keys().next().value as string);
  programs.set(key, result);
  return result;
}

const clock = () => performance.now();

class Program implements TransformProgram {
  readonly ruleCount: number;
  constructor(
    private readonly rules: readonly TransformRule[],
    private readonly limits: TransformLimits,
  ) {
    this.ruleCount = rules.length;
  }

  apply(obj: KubeObject, ctx: TransformContext, opts: { strict: boolean; now?: () => number }) {
    const object = structuredClone(obj);
    const skipped: TransformSkip[] = [];
    const now = opts.now ?? clock;
    const secret = object.kind === 'Secret' && object.apiVersion === 'v1';
    let data: TemplateData | undefined;
    const templateData = () => {
      data ??= buildTemplateData(ctx);
      return data;
    };
    for (const rule of this.rules) {
      if (rule.namespacePattern !== undefined && !globMatch(rule.namespacePattern, ctx.targetNamespace))
        continue;
      try {
        this.applyRule(object as unknown as Record<string, unknown>, rule, secret, templateData, now);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (opts.strict) throw new TransformError(rule.index, rule.path, message, { cause: err });
        skipped.push({ rule: rule.index, path: rule.path, message });
      }
    }
    return { object, skipped };
  }

  /** Computes the whole new value first, then writes: a failing rule leaves the object as it was. */
  private applyRule(
    root: Record<string, unknown>,
    rule: TransformRule,
    secret: boolean,
    data: () => TemplateData,
    now: () => number,
  ): void {
    const { segments, action } = rule;
    const secretData = secret && 'key' in segments[0]! && segments[0].key === 'data';
    switch (action.kind) {
      case 'delete':
        deleteAt(root, segments);
        return;
      case 'value':
      case 'template': {
        let v =
          action.kind === 'value' ? copy(action.value) : action.template.render(data(), this.limits, now);
        if (secretData) v = encodeSecretData(segments, v);
        checkMetadataMap(segments, v);
        setAt(root, segments, v);
        return;
      }
      case 'merge': {
        let patch = this.renderNode(action.merge, data, now) as Record<string, unknown>;
        if (secretData) patch = encodeSecretData(segments, patch) as Record<string, unknown>;
        const existing = getAt(root, segments);
        if (existing === undefined || existing === null) setAt(root, segments, patch);
        else if (isPlainMap(existing)) deepMerge(existing, patch);
        else
          throw new RuleFailure(
            `merge needs a map at ${rule.path}, found a ${Array.isArray(existing) ? 'list' : typeof existing}`,
          );
      }
    }
  }

  private renderNode(node: ValueNode, data: () => TemplateData, now: () => number): unknown {
    switch (node.kind) {
      case 'literal':
        return copy(node.value);
      case 'template':
        return node.template.render(data(), this.limits, now);
      case 'map': {
        const out: Record<string, unknown> = {};
        for (const [k, child] of node.entries) out[k] = this.renderNode(child, data, now);
        return out;
      }
    }
  }
}

/** Rule literals are frozen and shared by every apply: each write gets its own mutable copy. */
function copy(v: unknown): unknown {
  return v !== null && typeof v === 'object' ? structuredClone(v) : v;
}

function deepMerge(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(patch)) {
    const cur = Object.hasOwn(target, k) ? target[k] : undefined;
    if (isPlainMap(v) && isPlainMap(cur)) deepMerge(cur, v);
    else target[k] = v;
  }
}

function b64(v: unknown, where: string): string {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
    return Buffer.from(String(v), 'utf8').toString('base64');
  }
  throw new RuleFailure(`${where}: Secret data values must be strings`);
}

/** Secret `data` holds base64; users write plain text and we encode it, as the API server does for stringData. */
function encodeSecretData(segments: readonly PathSegment[], v: unknown): unknown {
  if (segments.length === 1) {
    if (!isPlainMap(v)) throw new RuleFailure('data of a Secret must be a map of strings');
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, b64(x, `data.${k}`)]));
  }
  if (segments.length === 2 && 'key' in segments[1]!) return b64(v, 'data');
  throw new RuleFailure('Secret data values are strings; the path goes below one');
}

function checkMetadataMap(segments: readonly PathSegment[], v: unknown): void {
  if (
    isMetadataMapPath(segments) &&
    !(isPlainMap(v) && Object.values(v).every((x) => typeof x === 'string'))
  ) {
    throw new RuleFailure('labels and annotations must be a map of strings');
  }
}
