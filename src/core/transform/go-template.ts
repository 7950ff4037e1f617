import { GoLexer, GoTemplateError, lineCol, SPACE, type Tok } from './go-template-lexer.js';
import {
  arityProblem,
  FUNCTION_LIST,
  fieldProblem,
  isDataField,
  isFunction,
  isMapPath,
} from './template-names.js';

/**
 * The Go-template spelling (`{{ .Labels.team | upper }}`, `{{ if eq .TargetNamespace "prod" }}…{{ end }}`),
 * translated into Handlebars source for the one engine underneath. Only the subset KubeMirror users write is
 * accepted: fields, literals, function calls, pipelines (the piped value is the LAST argument, as in Go),
 * parenthesised sub-pipelines, if / else if / else / end, comments and `{{-` / `-}}` trimming. Anything else is
 * an error naming the position (1-based line:column) and what was expected, before anything runs.
 *
 * The emitted source is built only from: plain text without `{`, `}` or `\`; `[Field].[key]` paths;
 * calls of allowed functions; `true`/`false`/`null`; and `$lit N` for every other literal (strings, numbers,
 * awkward text), whose values are kept out of the Handlebars source in `consts`. So no user text is ever
 * parsed as Handlebars.
 */
export interface Translation {
  readonly source: string;
  readonly consts: readonly unknown[];
}

/** Internal helpers only the translator emits; user-written Handlebars may not name them. */
export const LIT_HELPER = '$lit';
export const OUT_HELPER = '$out';

type Expr =
  | { k: 'field'; parts: string[]; pos: number }
  | { k: 'lit'; v: unknown; pos: number }
  | { k: 'call'; fn: string; args: Expr[]; pos: number };

const KEYWORDS = new Set([
  'if',
  'else',
  'end',
  'range',
  'with',
  'define',
  'template',
  'block',
  'break',
  'continue',
]);
/** Translates Go-template text to Handlebars source, or returns `template: L:C: what went wrong`. */
export function translateGoTemplate(text: string): { ok: Translation } | { error: string } {
  try {
    return { ok: new Translator(text).run() };
  } catch (err) {
    if (err instanceof GoTemplateError)
      return { error: `template: ${lineCol(text, err.pos)}: ${err.message}` };
    throw err;
  }
}

class Translator {
  private out = '';
  private pendingText = '';
  private trimNextText = false;
  private readonly consts: unknown[] = [];
  /** open `if` blocks: position of the `if`, and whether its plain `else` was seen */
  private readonly blocks: Array<{ pos: number; sawElse: boolean }> = [];

  private readonly lexer: GoLexer;

  constructor(private readonly text: string) {
    this.lexer = new GoLexer(text);
  }

  run(): Translation {
    const s = this.text;
    let i = 0;
    while (i < s.length) {
      const open = s.indexOf('{{', i);
      if (open < 0) {
        this.addText(s.slice(i));
        break;
      }
      this.addText(s.slice(i, open));
      i = this.action(open);
    }
    this.flushText();
    const top = this.blocks.at(-1);
    if (top) throw new GoTemplateError(top.pos, 'unexpected EOF: {{if}} has no {{end}}');
    return { source: this.out, consts: this.consts };
  }

  private addText(t: string): void {
    if (this.trimNextText) {
      t = t.replace(/^[ \t\r\n]+/, '');
      if (t !== '') this.trimNextText = false;
    }
    this.pendingText += t;
  }

  private flushText(): void {
    const t = this.pendingText;
    this.pendingText = '';
    if (t === '') return;
    this.out += /[{}\\]/.test(t) ? `{{${LIT_HELPER} ${this.constant(t)}}}` : t;
  }

  private constant(v: unknown): number {
    this.consts.push(v);
    return this.consts.length - 1;
  }

  /** Handles the action at `open` (`{{`), returns the offset after its `}}`. */
  private action(open: number): number {
    const s = this.text;
    let i = open + 2;
    if (s[i] === '-' && SPACE.test(s[i + 1] ?? '')) {
      this.pendingText = this.pendingText.replace(/[ \t\r\n]+$/, '');
      i += 2;
    }
    this.trimNextText = false;
    this.lexer.trimRight = false;
    // a comment fills the whole action: {{/* … */}} or {{- /* … */ -}}
    const afterSpace = i + (/^[ \t\r\n]*/.exec(s.slice(i))?.[0].length ?? 0);
    if (s.startsWith('/*', afterSpace) && (afterSpace === i || s[open + 2] === '-')) {
      const end = s.indexOf('*/', afterSpace + 2);
      if (end < 0) throw new GoTemplateError(afterSpace, 'unclosed comment');
      const close = this.lexer.closeAt(end + 2);
      if (close === undefined) throw new GoTemplateError(end + 2, 'comment ends before closing delimiter');
      this.trimNextText = this.lexer.trimRight;
      return close;
    }
    const { toks, end } = this.lexer.lex(i, open);
    this.trimNextText = this.lexer.trimRight;
    this.statement(toks, open);
    return end;
  }

  private statement(toks: Tok[], open: number): void {
    const first = toks[0];
    if (!first) throw new GoTemplateError(open, 'missing value for command');
    if (first.t === 'ident' && KEYWORDS.has(first.name) && first.chain.length === 0) {
      switch (first.name) {
        case 'if': {
          const cond = this.condition(toks.slice(1), first.pos, 'if');
          this.flushText();
          this.blocks.push({ pos: first.pos, sawElse: false });
          this.out += `{{#if ${cond}}}`;
          return;
        }
        case 'else': {
          const top = this.blocks.at(-1);
          if (!top) throw new GoTemplateError(first.pos, 'unexpected {{else}} outside {{if}}');
          if (top.sawElse) throw new GoTemplateError(first.pos, 'unexpected {{else}} after {{else}}');
          const next = toks[1];
          this.flushText();
          if (next === undefined) {
            top.sawElse = true;
            this.out += '{{else}}';
            return;
          }
          if (next.t === 'ident' && next.name === 'if') {
            this.out += `{{else if ${this.condition(toks.slice(2), next.pos, 'else if')}}}`;
            return;
          }
          throw new GoTemplateError(next.pos, 'unexpected token after else; expected }} or "if"');
        }
        case 'end': {
          if (toks.length > 1) throw new GoTemplateError(toks[1]!.pos, 'unexpected token in {{end}}');
          if (!this.blocks.pop()) throw new GoTemplateError(first.pos, 'unexpected {{end}}');
          this.flushText();
          this.out += '{{/if}}';
          return;
        }
        default:
          throw new GoTemplateError(
            first.pos,
            `{{${first.name}}} is not supported (supported: if / else if / else / end, pipelines, functions ${FUNCTION_LIST})`,
          );
      }
    }
    const expr = this.pipeline(toks, 0, toks.length, open);
    if (expr.k === 'field' && isMapPath(expr.parts))
      throw new GoTemplateError(expr.pos, 'a map cannot be printed; use .Map.key or index .Map "key"');
    this.flushText();
    this.out += `{{${OUT_HELPER} ${this.emit(expr)}}}`;
  }

  private condition(toks: Tok[], pos: number, what: string): string {
    if (toks.length === 0) throw new GoTemplateError(pos, `missing value for ${what}`);
    return this.emit(this.pipeline(toks, 0, toks.length, pos));
  }

  /** toks[from, to) as a pipeline: commands separated by `|`, each result passed as the next's last argument. */
  private pipeline(toks: Tok[], from: number, to: number, pos: number): Expr {
    const commands: Tok[][] = [[]];
    let depth = 0;
    for (let i = from; i < to; i++) {
      const t = toks[i]!;
      if (t.t === 'lparen') depth++;
      if (t.t === 'rparen') depth--;
      if (depth < 0) throw new GoTemplateError(t.pos, 'unexpected ")"');
      if (t.t === 'pipe' && depth === 0) commands.push([]);
      else commands.at(-1)!.push(t);
    }
    let piped: Expr | undefined;
    commands.forEach((cmd, n) => {
      if (cmd.length === 0) {
        const at =
          n === 0 ? (toks[from]?.pos ?? pos) : (toks.find((t, i) => i >= from && t.t === 'pipe')?.pos ?? pos);
        throw new GoTemplateError(
          at,
          'missing command in pipeline; expected a value or function before and after "|"',
        );
      }
      piped = this.command(cmd, piped, n);
    });
    return piped!;
  }

  private command(toks: Tok[], piped: Expr | undefined, stage: number): Expr {
    const operands: Expr[] = [];
    const heads: Tok[] = [];
    for (let i = 0; i < toks.length; i++) {
      const t = toks[i]!;
      heads.push(t);
      if (t.t === 'lparen') {
        let depth = 1;
        let j = i + 1;
        for (; j < toks.length && depth > 0; j++) {
          if (toks[j]!.t === 'lparen') depth++;
          if (toks[j]!.t === 'rparen') depth--;
        }
        if (depth > 0) throw new GoTemplateError(t.pos, 'unclosed left paren');
        if (j - 1 === i + 1) throw new GoTemplateError(t.pos, 'missing value in ( )');
        operands.push(this.pipeline(toks, i + 1, j - 1, t.pos));
        i = j - 1;
      } else if (t.t === 'rparen') {
        throw new GoTemplateError(t.pos, 'unexpected ")"');
      } else {
        operands.push(this.operand(t, i === 0));
      }
    }
    const head = operands[0]!;
    const args = operands.slice(1);
    if (piped) args.push(piped);
    if (head.k === 'call' && heads[0]!.t === 'ident') {
      const problem = arityProblem(head.fn, args.length);
      if (problem) throw new GoTemplateError(head.pos, problem);
      return { ...head, args };
    }
    if (stage > 0)
      throw new GoTemplateError(
        head.pos,
        `non executable command in pipeline stage ${stage + 1}; expected a function`,
      );
    if (args.length > 0)
      throw new GoTemplateError(
        head.pos,
        "can't give argument to non-function; expected a function name first",
      );
    if (head.k === 'lit' && head.v === null) throw new GoTemplateError(head.pos, 'nil is not a command');
    return head;
  }

  /** One token as a value. An identifier heading a command is a function; a data name (bare) is a field. */
  private operand(t: Tok, head: boolean): Expr {
    switch (t.t) {
      case 'lit':
        return { k: 'lit', v: t.v, pos: t.pos };
      case 'field':
        return this.field(t.parts, t.pos);
      case 'ident': {
        if (isDataField(t.name)) return this.field([t.name, ...t.chain], t.pos);
        if (KEYWORDS.has(t.name)) throw new GoTemplateError(t.pos, `unexpected keyword ${t.name} in command`);
        if (!isFunction(t.name))
          throw new GoTemplateError(t.pos, `function "${t.name}" not defined (functions: ${FUNCTION_LIST})`);
        if (t.chain.length > 0) throw new GoTemplateError(t.pos, `function ${t.name} has no fields`);
        if (!head) {
          // Go would call it with no arguments; none of ours takes zero
          throw new GoTemplateError(t.pos, arityProblem(t.name, 0) ?? `function ${t.name} needs arguments`);
        }
        return { k: 'call', fn: t.name, args: [], pos: t.pos };
      }
      default:
        throw new GoTemplateError(t.pos, 'unexpected "|"');
    }
  }

  private field(parts: string[], pos: number): Expr {
    const problem = fieldProblem(parts);
    if (problem) throw new GoTemplateError(pos, problem);
    return { k: 'field', parts, pos };
  }

  private emit(e: Expr): string {
    switch (e.k) {
      case 'field':
        return e.parts.length === 0 ? 'this' : e.parts.map((p) => `[${p}]`).join('.');
      case 'lit':
        if (typeof e.v === 'boolean') return String(e.v);
        if (e.v === null) return 'null';
        if (typeof e.v === 'string' && /^[\w .,:;/@%+=*#!?&^<>|'-]*$/.test(e.v)) return `"${e.v}"`;
        return `(${LIT_HELPER} ${this.constant(e.v)})`;
      case 'call':
        return `(${[e.fn, ...e.args.map((a) => this.emit(a))].join(' ')})`;
    }
  }
}
