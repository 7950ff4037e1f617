import { afterEach, describe, expect, it } from 'vitest';
import {
  buildTemplateData,
  compileTemplate,
  type TemplateData,
} from '../../../src/core/transform/template-engine.js';

const data = (over: Partial<Parameters<typeof buildTemplateData>[0]> = {}): TemplateData =>
  buildTemplateData({
    targetNamespace: 'prod-eu',
    sourceNamespace: 'platform',
    sourceName: 'app-config',
    targetName: 'app-config',
    labels: { app: 'web', 'app.kubernetes.io/name': 'shop' },
    annotations: { note: 'a&b' },
    targetLabels: { team: 'payments' },
    targetAnnotations: { 'example.com/owner': 'alice' },
    ...over,
  });

const limits = { renderTimeoutMs: 100, maxOutputBytes: 1024 };
const clock = () => performance.now();

function render(text: string, d: TemplateData = data(), l = limits, now = clock): string {
  const c = compileTemplate(text);
  if ('error' in c) throw new Error(c.error);
  return c.template.render(d, l, now);
}

function compileError(text: string): string {
  const c = compileTemplate(text);
  if (!('error' in c)) throw new Error(`expected ${text} not to compile`);
  return c.error;
}

describe('template data', () => {
  it.each([
    ['{{TargetNamespace}}', 'prod-eu'],
    ['{{SourceNamespace}}/{{SourceName}}', 'platform/app-config'],
    ['{{TargetName}}', 'app-config'],
    ['{{Labels.app}}', 'web'],
    ['{{Labels.[app.kubernetes.io/name]}}', 'shop'],
    ['{{Annotations.note}}', 'a&b'],
    ['{{TargetLabels.team}}', 'payments'],
    ['{{TargetAnnotations.[example.com/owner]}}', 'alice'],
    ['{{TargetLabels.missing}}', ''],
  ])('%s renders %j (not HTML-escaped)', (text, out) => {
    expect(render(text)).toBe(out);
  });

  it('is built from null-prototype, frozen objects', () => {
    const d = data() as unknown as Record<string, object>;
    expect(Object.getPrototypeOf(d)).toBeNull();
    expect(Object.getPrototypeOf(d.Labels)).toBeNull();
    expect(Object.getPrototypeOf(d.TargetAnnotations)).toBeNull();
    expect(Object.isFrozen(d) && Object.isFrozen(d.Labels)).toBe(true);
  });
});

describe('helpers', () => {
  it.each([
    ['{{upper TargetNamespace}}', 'PROD-EU'],
    ['{{lower "MiXed"}}', 'mixed'],
    ['{{replace TargetNamespace "-" "_"}}', 'prod_eu'],
    ['{{replace "a.b.c" "." "/"}}', 'a/b/c'],
    ['{{trimPrefix TargetNamespace "prod-"}}', 'eu'],
    ['{{trimPrefix TargetNamespace "dev-"}}', 'prod-eu'],
    ['{{trimSuffix "app.example.com" ".example.com"}}', 'app'],
    ['{{hasPrefix TargetNamespace "prod"}}', 'true'],
    ['{{hasSuffix TargetNamespace "prod"}}', 'false'],
    ['{{#hasPrefix TargetNamespace "prod"}}live{{else}}test{{/hasPrefix}}', 'live'],
    ['{{#hasSuffix TargetNamespace "-us"}}us{{else}}other{{/hasSuffix}}', 'other'],
    ['{{default "none" TargetLabels.team}}', 'payments'],
    ['{{default "standard" TargetLabels.tier}}', 'standard'],
    ['{{b64enc "hello"}}', 'aGVsbG8='],
    ['{{b64dec "aGVsbG8="}}', 'hello'],
    ['{{upper (trimPrefix TargetNamespace "prod-")}}', 'EU'],
    ['{{b64dec (b64enc Annotations.note)}}', 'a&b'],
  ])('%s → %j', (text, out) => {
    expect(render(text)).toBe(out);
  });

  it.each([
    ['{{replace "abc" "" "x"}}', /string to replace is empty/],
    ['{{upper Labels}}', /must be a string, got a map/],
    ['{{b64dec "not base64!"}}', /not valid base64/],
  ])('%s fails the render: %s', (text, message) => {
    expect(() => render(text)).toThrow(message);
  });

  it.each([
    ['{{upper}}', 'template: 1:1: wrong number of args for upper: want 1 got 0'],
    ['{{replace "a" "b"}}', 'template: 1:1: wrong number of args for replace: want 3 got 2'],
    ['{{hasPrefix "a"}}', 'template: 1:1: wrong number of args for hasPrefix: want 2 got 1'],
    ['{{default "x"}}', 'template: 1:1: wrong number of args for default: want 2 got 1'],
  ])('%s is refused at compile time: %s', (text, message) => {
    expect(compileError(text)).toBe(message);
  });

  it('refuses a replace whose result would exceed the output cap before building it', () => {
    const big = 'x'.repeat(1000);
    expect(() => render('{{replace Labels.big "x" Labels.big}}', data({ labels: { big } }))).toThrow(
      /replace: result exceeds 1024 bytes/,
    );
  });
});

describe('sandbox', () => {
  afterEach(() => {
    // a successful escape would typically leave traces on the shared prototypes
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['constructor walk', '{{constructor.constructor "return process"}}', /constructor may not be accessed/],
    [
      'constructor via with/block param',
      '{{#with "s" as |s|}}{{s.constructor}}{{/with}}',
      /1:3: unexpected "#"/,
    ],
    ['with helper', '{{#with TargetLabels}}{{team}}{{/with}}', /1:1: \{\{#with\}\} is not a block/],
    ['each helper', '{{#each Labels}}{{this}}{{/each}}', /1:1: \{\{#each\}\} is not a block/],
    ['unless helper', '{{#unless Labels.app}}x{{/unless}}', /\{\{#unless\}\} is not a block/],
    ['lookup helper', '{{lookup Labels "app"}}', /1:3: function "lookup" not defined/],
    [
      'lookup to constructor',
      '{{lookup (lookup this "constructor") "constructor"}}',
      /function "lookup" not defined/,
    ],
    ['lookup by string', '{{lookup this "__proto__"}}', /function "lookup" not defined/],
    ['log helper', '{{log "x"}}', /function "log" not defined/],
    [
      'unknown helper',
      '{{exec "rm -rf"}}',
      /^template: 1:3: function "exec" not defined \(functions: upper, lower/,
    ],
    ["the translator's own helpers", '{{$lit 0}}', /1:3: variables \(\$name\) are not supported/],
    [
      "the translator's own helpers, inside a block",
      '{{#if (eq 1 1)}}{{upper $out}}{{/if}}',
      /1:3: unexpected "#" in action: Handlebars syntax/,
    ],
    [
      '@root data variable',
      '{{@root.TargetNamespace}}',
      /data variables \(@root.TargetNamespace\) are not allowed/,
    ],
    ['parent path', '{{upper ../TargetNamespace}}', /parent paths/],
    ['hash arguments', '{{upper TargetNamespace x=1}}', /hash arguments/],
    ['printing a map', '{{Labels}}', /1:3: a map cannot be printed/],
    ['printing the data', '{{this}}', /a map cannot be printed/],
    [
      'an unknown field',
      '{{TargetNamspace}}',
      /1:3: can't evaluate field TargetNamspace \(template data has TargetNamespace/,
    ],
    ['a field of a string', '{{SourceName.toString}}', /can't evaluate field toString in type string/],
    ['__proto__ path', '{{__proto__.polluted}}', /__proto__ may not be accessed/],
    ['__proto__ segment literal', '{{Labels.[__proto__]}}', /__proto__ may not be accessed/],
    ['__defineGetter__', '{{__defineGetter__ "x" "y"}}', /__defineGetter__ may not be accessed/],
    ['prototype', '{{Labels.prototype}}', /prototype may not be accessed/],
    ['partial', '{{> secrets}}', /partials are not allowed/],
    ['partial block', '{{#> layout}}x{{/layout}}', /partials are not allowed/],
    ['inline partial decorator', '{{#*inline "p"}}x{{/inline}}', /decorators are not allowed/],
    ['syntax error', '{{#upper', /template:/],
  ])('refuses %s at compile time', (_name, text, message) => {
    expect(compileError(text)).toMatch(message);
  });

  it('never reaches prototype members of the maps at run time', () => {
    expect(render('[{{Labels.hasOwnProperty}}][{{Labels.valueOf}}][{{TargetLabels.toString}}]')).toBe(
      '[][][]',
    );
  });

  it('a label named like a prototype member is plain data', () => {
    expect(render('{{Labels.toString}}', data({ labels: { toString: 'yes' } }))).toBe('yes');
  });
});

describe('limits and caching', () => {
  it('fails a render that exceeds the output cap', () => {
    expect(() => render('{{Labels.big}}{{Labels.big}}', data({ labels: { big: 'x'.repeat(600) } }))).toThrow(
      /output exceeds 1024 bytes/,
    );
  });

  it('counts the cap in bytes, not characters', () => {
    expect(() => render('{{Labels.big}}', data({ labels: { big: 'é'.repeat(600) } }))).toThrow(
      /exceeds 1024 bytes/,
    );
  });

  it('fails a render that took longer than the budget (checked after the synchronous render)', () => {
    let t = 0;
    const slowClock = () => {
      t += 150;
      return t;
    };
    expect(() => render('{{TargetNamespace}}', data(), limits, slowClock)).toThrow(
      /took 150.0 ms, over the 100 ms budget/,
    );
  });

  it('compiles each template text once', () => {
    const a = compileTemplate('{{upper SourceName}} cache-test');
    const b = compileTemplate('{{upper SourceName}} cache-test');
    expect(a).toBe(b);
  });
});

describe('Go-template spelling (KubeMirror templates, unchanged)', () => {
  it.each([
    ['https://{{.TargetNamespace}}.api.example.com', 'https://prod-eu.api.example.com'],
    ['{{ .Labels.app }}', 'web'],
    ['{{ index .Labels "app.kubernetes.io/name" }}', 'shop'],
    ['{{ index .TargetAnnotations "example.com/owner" }}', 'alice'],
    ['{{replace .TargetNamespace "-" "_"}}', 'prod_eu'],
    ['{{ .TargetNamespace | upper }}', 'PROD-EU'],
    ['{{ .TargetLabels.team | default "none" }}', 'payments'],
    ['{{ .TargetLabels.tier | default "none" }}', 'none'],
    ['{{ default "fallback" .TargetLabels.team }}', 'payments'],
    // the piped value is the LAST argument, as in Go: this is trimSuffix "-config" "app-config"
    ['{{ .SourceName | trimSuffix "-config" | upper }}', '-CONFIG'],
    ['{{ trimSuffix .SourceName "-config" | upper }}', 'APP'],
    ['{{ upper (trimPrefix .TargetNamespace "prod-") }}', 'EU'],
    ['{{ (.TargetNamespace | upper) | lower }}', 'prod-eu'],
    ['{{ printf "%s:%s" .SourceName .TargetNamespace | b64enc }}', 'YXBwLWNvbmZpZzpwcm9kLWV1'],
    [
      '{{ printf "%s/%d/%05.1f/%q/%v/%t/%x" .SourceNamespace 42 3.14159 "q" .TargetLabels.team true "hi" }}',
      'platform/42/003.1/"q"/payments/true/6869',
    ],
    ['{{ printf "%d %s" 1 }}', '1 %!s(MISSING)'],
    ['{{ printf "%d" "x" }}', '%!d(string=x)'],
    ['{{ len .Labels }} {{ len .SourceName }} {{ len "é" }} {{ len .Labels.missing }}', '2 10 2 0'],
    ['{{ if eq .TargetNamespace "prod-eu" }}a{{ else }}b{{ end }}', 'a'],
    ['{{ if eq .TargetNamespace "prod" }}a{{ else }}b{{ end }}', 'b'],
    ['{{ if eq .TargetNamespace "dev" "prod-eu" }}one of{{ end }}', 'one of'],
    [
      '{{ if hasPrefix .TargetNamespace "dev" }}d{{ else if hasPrefix .TargetNamespace "prod" }}p{{ else }}x{{ end }}',
      'p',
    ],
    ['{{ if .TargetLabels.missing }}set{{ else }}unset{{ end }}', 'unset'],
    ['{{ if and (ne .SourceName "x") (not .TargetLabels.missing) }}yes{{ end }}', 'yes'],
    ['{{ if or .TargetLabels.missing .TargetLabels.team }}any{{ end }}', 'any'],
    ['{{ or .TargetLabels.missing "dflt" }}|{{ and "a" "b" }}|{{ and "" "b" }}', 'dflt|b|'],
    ['{{ lt 1 2 }} {{ le 2 2 }} {{ gt "b" "a" }} {{ ge 1 2 }}', 'true true true false'],
    ['{{ if lt (len .SourceName) 20 }}short{{ end }}', 'short'],
    [
      '{{ "lit" }} {{ 3 }} {{ 1.5 }} {{ true }} {{ `raw\\n` }} {{ "tab\\t|" }}',
      'lit 3 1.5 true raw\\n tab\t|',
    ],
    ['{{ index .SourceName 0 }}', '97'],
    ['a  {{- .SourceName -}}  b', 'aapp-configb'],
    ['line1\n  {{- /* a comment */ -}}\n  line2', 'line1line2'],
    ['{{/* only a comment */}}x', 'x'],
    ['{{-3}} {{ -2 }}', '-3 -2'],
    ['{{ if true }}{{ if eq .SourceName "app-config" }}nested{{ else }}no{{ end }}{{ end }}', 'nested'],
    ['{{ if true }}\nkept\n{{ end }}', '\nkept\n'],
    [
      '{"ns": "{{ .TargetNamespace }}", "x": "\\{{ .SourceName }}"}',
      '{"ns": "prod-eu", "x": "\\app-config"}',
    ],
    ['{{ .Labels.missing }}|{{ index .Labels "missing" }}', '|'],
    ['{{ .Labels.app }}-{{upper SourceName}}', 'web-APP-CONFIG'],
  ])('%s → %j', (text, out) => {
    expect(render(text)).toBe(out);
  });

  it('means the same in both spellings', () => {
    const pairs = [
      ['{{replace TargetNamespace "-" "_"}}', '{{ replace .TargetNamespace "-" "_" }}'],
      ['{{default "none" TargetLabels.tier}}', '{{ .TargetLabels.tier | default "none" }}'],
      [
        '{{#if (eq TargetNamespace "prod-eu")}}a{{else if (eq 1 1)}}b{{else}}c{{/if}}',
        '{{ if eq .TargetNamespace "prod-eu" }}a{{ else if eq 1 1 }}b{{ else }}c{{ end }}',
      ],
      ['{{printf "%s-%d" SourceName (len Labels)}}', '{{ printf "%s-%d" .SourceName (len .Labels) }}'],
      ['{{index Labels "app.kubernetes.io/name"}}', '{{ index .Labels "app.kubernetes.io/name" }}'],
    ] as const;
    for (const [hbs, go] of pairs) expect(render(hbs), `${hbs} vs ${go}`).toBe(render(go));
  });

  it.each([
    ['{{ foo .SourceName }}', /^template: 1:4: function "foo" not defined \(functions: upper, lower/],
    ['ab {{ upper .SourceName | toString }}', /^template: 1:27: function "toString" not defined/],
    ['{{ .Nope }}', /^template: 1:4: can't evaluate field Nope \(template data has TargetNamespace/],
    ['{{ .TargetNamespace.x }}', /^template: 1:4: can't evaluate field x in type string/],
    ['{{ .Labels.a.b }}', /^template: 1:4: can't evaluate field b in type string/],
    ['{{.constructor}}', /^template: 1:3: constructor may not be accessed/],
    ['{{ .Labels.__proto__ }}', /^template: 1:4: __proto__ may not be accessed/],
    ['{{ index .Labels.prototype "x" }}', /prototype may not be accessed/],
    ['{{ replace .TargetNamespace "-" }}', /^template: 1:4: wrong number of args for replace: want 3 got 2/],
    ['{{ .SourceName | replace "-" "_" "x" }}', /wrong number of args for replace: want 3 got 4/],
    ['{{ .SourceName | .TargetNamespace }}', /1:18: non executable command in pipeline stage 2/],
    ['{{ .SourceName "x" }}', /1:4: can't give argument to non-function/],
    ['{{ if .SourceName }}x', /^template: 1:4: unexpected EOF: \{\{if\}\} has no \{\{end\}\}/],
    ['x{{ end }}', /^template: 1:5: unexpected \{\{end\}\}/],
    ['{{ else }}', /^template: 1:1: unexpected \{\{else\}\}/],
    ['{{ .SourceName }}{{ else }}', /1:21: unexpected \{\{else\}\} outside \{\{if\}\}/],
    ['{{ if true }}a{{ else }}b{{ else }}c{{ end }}', /1:29: unexpected \{\{else\}\} after \{\{else\}\}/],
    ['{{ if }}{{ end }}', /1:4: missing value for if/],
    ['{{ range .Labels }}{{ end }}', /1:4: \{\{range\}\} is not supported/],
    ['{{ with .Labels }}{{ end }}', /\{\{with\}\} is not supported/],
    ['{{ template "x" }}', /\{\{template\}\} is not supported/],
    ['{{ $x := .SourceName }}', /1:4: variables \(\$name\) are not supported/],
    ['{{ .SourceName', /^template: 1:1: unclosed action/],
    ['{{ "abc }}', /1:4: unterminated quoted string/],
    ['{{ upper (.SourceName }}', /unclosed left paren/],
    ['{{ .SourceName | }}', /missing command in pipeline/],
    ['{{ }}', /1:1: missing value for command/],
    ['{{ .SourceName }}{{#if x}}{{/if}}', /1:20: unexpected "#" in action: Handlebars syntax/],
    ['{{ .Labels }}', /a map cannot be printed/],
    ['{{ 3x }}', /bad number syntax/],
    ['line 1\nline 2 {{ nope 1 }}', /^template: 2:11: function "nope" not defined/],
  ])('%s is refused at compile time: %s', (text, message) => {
    expect(compileError(text)).toMatch(message);
  });

  it.each([
    ['{{ .Labels | upper }}', /must be a string, got a map/],
    ['{{ index .Labels 1 }}', /a map key must be a string/],
    ['{{ index .SourceName 99 }}', /index out of range: 99/],
    ['{{ if eq 1 "a" }}x{{ end }}', /incompatible types for comparison/],
    ['{{ lt true false }}', /invalid type for comparison/],
    ['{{ len 3 }}', /len of number/],
    ['{{ index .Labels }}', /a map cannot be printed/],
  ])('%s fails the render: %s', (text, message) => {
    expect(() => render(text)).toThrow(message);
  });

  it('never reaches prototype members, whatever the key', () => {
    expect(
      render(
        '[{{ index .Labels "__proto__" }}][{{ index .Labels "constructor" }}][{{ .Labels.hasOwnProperty }}][{{ index .TargetLabels "toString" }}]',
      ),
    ).toBe('[][][][]');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keeps every literal out of the Handlebars source: quotes, braces and backslashes are plain text', () => {
    const bs = '\\';
    // Go: {{ "}}{{#if}}\\\"" }} is the string }}{{#if}}\" ; a raw `…\` string keeps its backslash
    const text = `{{ "}}{{#if}}${bs}${bs}${bs}"" }}{{ ${'`'}{{> partial}}${bs}${'`'} }}`;
    expect(render(text)).toBe(`}}{{#if}}${bs}"{{> partial}}${bs}`);
  });

  it('bounds printf widths and results by the output cap', () => {
    expect(() => render('{{ printf "%99999999s" "x" }}')).toThrow(
      /width or precision 99999999 exceeds 1024 bytes/,
    );
    expect(() => render('{{ printf "%1000s%1000s" "x" "y" }}')).toThrow(/printf: result exceeds 1024 bytes/);
  });

  it('applies the output cap and the render budget to Go-spelled templates too', () => {
    expect(() =>
      render('{{ .Labels.big }}{{ .Labels.big }}', data({ labels: { big: 'x'.repeat(600) } })),
    ).toThrow(/output exceeds 1024 bytes/);
    let t = 0;
    const slowClock = () => {
      t += 150;
      return t;
    };
    expect(() => render('{{ .TargetNamespace | upper }}', data(), limits, slowClock)).toThrow(
      /over the 100 ms budget/,
    );
  });

  it('compiles each Go-spelled text once, and caches refusals too', () => {
    expect(compileTemplate('{{ .SourceName | upper }} cache')).toBe(
      compileTemplate('{{ .SourceName | upper }} cache'),
    );
    expect(compileTemplate('{{ nope .X }} cache')).toBe(compileTemplate('{{ nope .X }} cache'));
  });
});
