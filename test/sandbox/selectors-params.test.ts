import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/sandbox.js';
import { parseLabelSelector } from '../../src/sandbox/selectors.js';
import { Kubectl } from './helpers.js';

/**
 * Label selectors as apimachinery pkg/labels/selector.go parses and matches them, and the list/watch
 * parameters as pkg/apis/meta/internalversion/validation/validation.go (ValidateListOptions) and the
 * query conversion (pkg/runtime/conversion.go) check them.
 */
let sandbox: Sandbox;
let kubectl: Kubectl;
const NS = 'sel';

async function call(path: string): Promise<{ code: number; body: Record<string, unknown> }> {
  const res = await fetch(`${sandbox.url}${path}`);
  const text = await res.text();
  return { code: res.status, body: JSON.parse(text.split('\n')[0]!) as Record<string, unknown> };
}

async function names(selector: string): Promise<string[]> {
  const r = await call(`/api/v1/namespaces/${NS}/configmaps?labelSelector=${encodeURIComponent(selector)}`);
  expect(r.code, JSON.stringify(r.body)).toBe(200);
  return (r.body.items as { metadata: { name: string } }[]).map((o) => o.metadata.name).sort();
}

async function message(path: string, code: number): Promise<string> {
  const r = await call(path);
  expect(r.code, JSON.stringify(r.body)).toBe(code);
  expect(r.body.kind).toBe('Status');
  return r.body.message as string;
}

beforeAll(async () => {
  sandbox = await startSandbox();
  kubectl = new Kubectl();
  await sandbox.writeKubeconfig(kubectl.kubeconfig);
  await sandbox.applyManifest({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  const labels: Record<string, Record<string, string>> = {
    one: { tier: 'web', n: '1' },
    five: { tier: 'db', n: '5' },
    text: { tier: '', n: 'x' },
    none: {},
  };
  for (const [name, l] of Object.entries(labels))
    await sandbox.applyManifest({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: NS, labels: l },
    });
});
afterAll(async () => {
  await sandbox.stop();
  kubectl.cleanup();
});

describe('label selectors', () => {
  it('gt and lt compare integer label values; a non-integer label never matches', async () => {
    expect(await names('n>1')).toEqual(['five']);
    expect(await names('n<5')).toEqual(['one']);
    expect(await names('n > 0, tier=web')).toEqual(['one']);
  });

  it('!a, a!=b, ==, whitespace, and in/notin', async () => {
    expect(await names('!tier')).toEqual(['none']);
    expect(await names('tier!=web')).toEqual(['five', 'none', 'text']);
    expect(await names('tier==db')).toEqual(['five']);
    expect(await names('  tier  in  ( web , db )  ')).toEqual(['five', 'one']);
    expect(await names('tier notin (web)')).toEqual(['five', 'none', 'text']);
    expect(await names('tier=')).toEqual(['text']);
  });

  it('"in ()" is the set {""} as the parser builds it, not an error', async () => {
    expect(await names('tier in ()')).toEqual(['text']);
    expect(await names('tier notin ()')).toEqual(['five', 'none', 'one']);
  });

  it('bad selectors are 400 with the parser message', async () => {
    const base = `/api/v1/namespaces/${NS}/configmaps?labelSelector=`;
    expect(await message(`${base}${encodeURIComponent('n>a')}`, 400)).toBe(
      `unable to parse requirement: values[0]: Invalid value: "a": for 'Gt', 'Lt' operators, the value must be an integer`,
    );
    expect(await message(`${base}${encodeURIComponent('a in (x')}`, 400)).toMatch(
      /^unable to parse requirement: found '', expected: ',' or '\)'$/,
    );
    expect(await message(`${base}${encodeURIComponent('a b')}`, 400)).toBe(
      "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt",
    );
    expect(await message(`${base}${encodeURIComponent('a,')}`, 400)).toBe(
      "found '', expected: identifier after ','",
    );
    expect(await message(`${base}${encodeURIComponent('a=b c')}`, 400)).toBe(
      "found 'c', expected: ',' or 'end of string'",
    );
    expect(await message(`${base}${encodeURIComponent('-a=b')}`, 400)).toMatch(
      /^unable to parse requirement: <nil>: Invalid value: "-a": name part must consist of/,
    );
    expect(await message(`${base}${encodeURIComponent('a=-b-')}`, 400)).toMatch(
      /^unable to parse requirement: values\[0\]\[a\]: Invalid value: "-b-": a valid label must be/,
    );
  });

  it('the parser agrees with kubectl -l', async () => {
    const out = await kubectl.ok(['get', 'configmaps', '-n', NS, '-l', 'n>1', '-o', 'name']);
    expect(out.trim()).toBe('configmap/five');
    const bad = await kubectl.run(['get', 'configmaps', '-n', NS, '-l', 'n>a']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("for 'Gt', 'Lt' operators, the value must be an integer");
  });

  it('parses exists and does-not-exist into requirements', () => {
    expect(parseLabelSelector('a,!b')).toEqual([
      { key: 'a', op: 'exists', values: [] },
      { key: 'b', op: '!', values: [] },
    ]);
  });
});

describe('list and watch parameters', () => {
  const list = `/api/v1/namespaces/${NS}/configmaps`;

  it('resourceVersionMatch needs a resourceVersion, no continue, Exact or NotOlderThan, not Exact with "0"', async () => {
    expect(await message(`${list}?resourceVersionMatch=NotOlderThan`, 422)).toBe(
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
    );
    expect(await message(`${list}?resourceVersionMatch=Sometime&resourceVersion=1`, 422)).toBe(
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Unsupported value: "Sometime": supported values: "Exact", "NotOlderThan", ""',
    );
    expect(await message(`${list}?resourceVersionMatch=Exact&resourceVersion=0`, 422)).toContain(
      'resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
    );
    expect(await message(`${list}?resourceVersionMatch=Exact&resourceVersion=1&continue=abc`, 422)).toContain(
      'resourceVersionMatch is forbidden when continue is provided',
    );
  });

  it('Exact lists the state at that resourceVersion; NotOlderThan the latest; a future one is 504', async () => {
    const first = await call(list);
    const rv = (first.body.metadata as { resourceVersion: string }).resourceVersion;
    await sandbox.applyManifest({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'later', namespace: NS },
    });
    const exact = await call(`${list}?resourceVersion=${rv}&resourceVersionMatch=Exact`);
    expect(exact.code).toBe(200);
    expect((exact.body.items as unknown[]).length).toBe(4);
    expect((exact.body.metadata as { resourceVersion: string }).resourceVersion).toBe(rv);
    const newer = await call(`${list}?resourceVersion=${rv}&resourceVersionMatch=NotOlderThan`);
    expect((newer.body.items as unknown[]).length).toBe(5);
    const future = await call(`${list}?resourceVersion=999999&resourceVersionMatch=NotOlderThan`);
    expect(future.code).toBe(504);
    expect(future.body).toMatchObject({ reason: 'Timeout', details: { retryAfterSeconds: 1 } });
    expect(future.body.message).toMatch(/^Timeout: Too large resource version: 999999, current: \d+$/);
  });

  it('sendInitialEvents on a list is 422; on a watch it needs resourceVersionMatch=NotOlderThan', async () => {
    expect(await message(`${list}?sendInitialEvents=true`, 422)).toBe(
      'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list',
    );
    expect(await message(`${list}?watch=true&sendInitialEvents=true`, 422)).toBe(
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
    );
    expect(await message(`${list}?watch=true&resourceVersionMatch=NotOlderThan`, 422)).toContain(
      'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
    );
  });

  it('limit, timeoutSeconds and resourceVersion that do not parse are 400', async () => {
    expect(await message(`${list}?limit=ten`, 400)).toBe('strconv.ParseInt: parsing "ten": invalid syntax');
    expect(await message(`${list}?watch=true&timeoutSeconds=1.5`, 400)).toBe(
      'strconv.ParseInt: parsing "1.5": invalid syntax',
    );
    expect(await message(`${list}?resourceVersion=abc`, 400)).toBe(
      'invalid resource version: resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax',
    );
    expect(await message(`${list}?limit=99999999999999999999`, 400)).toBe(
      'strconv.ParseInt: parsing "99999999999999999999": value out of range',
    );
  });
});

describe('paginated lists', () => {
  it('count the remaining items only without selectors, as the etcd3 store does (ListMeta.remainingItemCount)', async () => {
    const plain = await call(`/api/v1/namespaces/${NS}/configmaps?limit=1`);
    const meta = plain.body.metadata as { continue?: string; remainingItemCount?: number };
    expect(meta.continue).toBeTruthy();
    expect(meta.remainingItemCount).toBeGreaterThan(0);
    const selected = await call(`/api/v1/namespaces/${NS}/configmaps?limit=1&labelSelector=tier`);
    const smeta = selected.body.metadata as { continue?: string; remainingItemCount?: number };
    expect(smeta.continue).toBeTruthy();
    expect(smeta.remainingItemCount).toBeUndefined();
  });

  it('walk every matching object exactly once, in key order, page by page', async () => {
    const all = (
      (await call(`/api/v1/namespaces/${NS}/configmaps`)).body.items as { metadata: { name: string } }[]
    ).map((o) => o.metadata.name);
    const seen: string[] = [];
    let cont = '';
    do {
      const r = await call(`/api/v1/namespaces/${NS}/configmaps?limit=2${cont ? `&continue=${cont}` : ''}`);
      seen.push(...(r.body.items as { metadata: { name: string } }[]).map((o) => o.metadata.name));
      cont = encodeURIComponent(((r.body.metadata as { continue?: string }).continue ?? '') as string);
    } while (cont);
    expect(seen).toEqual(all);
    expect([...all].sort()).toEqual(all);
  });
});
