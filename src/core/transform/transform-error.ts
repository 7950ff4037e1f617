import { KubemirrorError } from '../errors.js';

/** A transform rule failed for one target in strict mode: that target fails, the others carry on. */
export class TransformError extends KubemirrorError {
  /** index of the failing rule in `rules:` (0-based, as `rules[N]` in messages) */
  readonly rule: number;
  readonly path: string;
  constructor(rule: number, path: string, message: string, options?: { cause?: unknown }) {
    super('TransformFailed', `transform rules[${rule}] (path ${path}): ${message}`, options);
    this.rule = rule;
    this.path = path;
  }
}

/** Internal: a rule could not be applied. Carries only the message; the program adds rule index and path. */
export class RuleFailure extends Error {
  override readonly name = 'RuleFailure';
}
