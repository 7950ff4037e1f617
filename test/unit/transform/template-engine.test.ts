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
    ['{{default TargetLabels.team "none"}}', 'payments'],
    ['{{default TargetLabels.tier "standard"}}', 'standard'],
    ['{{b64enc "hello"}}', 'aGVsbG8='],
    ['{{b64dec "aGVsbG8="}}', 'hello'],
    ['{{upper (trimPrefix TargetNamespace "prod-")}}', 'EU'],
    ['{{b64dec (b64enc Annotations.note)}}', 'a&b'],
  ])('%s → %j', (text, out) => {
    expect(render(text)).toBe(out);
  });

  it.each([
    ['{{upper}}', /upper takes 1 argument/],
    ['{{replace "a" "b"}}', /replace takes 3/],
    ['{{replace "abc" "" "x"}}', /string to replace is empty/],
    ['{{upper Labels}}', /must be a string/],
    ['{{b64dec "not base64!"}}', /not valid base64/],
    ['{{hasPrefix "a"}}', /hasPrefix takes 2/],
  ])('%s fails the render: %s', (text, message) => {
    expect(() => render(text)).toThrow(message);
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
      /constructor may not be accessed/,
    ],
    ['with helper', '{{#with TargetLabels}}{{team}}{{/with}}', /unknown helper with/],
    ['each helper', '{{#each Labels}}{{this}}{{/each}}', /unknown helper each/],
    ['if helper', '{{#if Labels.app}}x{{/if}}', /unknown helper if/],
    ['lookup helper', '{{lookup Labels "app"}}', /unknown helper lookup/],
    [
      'lookup to constructor',
      '{{lookup (lookup this "constructor") "constructor"}}',
      /unknown helper lookup/,
    ],
    ['lookup by string', '{{lookup this "__proto__"}}', /unknown helper lookup/],
    ['log helper', '{{log "x"}}', /unknown helper log/],
    ['unknown helper', '{{exec "rm -rf"}}', /unknown helper exec \(allowed: upper, lower/],
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

  it('never reaches prototype members of strings or data at run time', () => {
    expect(render('[{{SourceName.toString}}][{{Labels.hasOwnProperty}}][{{Labels.valueOf}}]')).toBe('[][][]');
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
