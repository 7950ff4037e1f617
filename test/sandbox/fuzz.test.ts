import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/sandbox.js';
import { waitFor } from './helpers.js';

// A seeded fuzz of the sandbox's request decoding and write paths. Every answer must be a 2xx, or a 4xx whose
// body is a Status with the same code; never a 5xx (except the storage layer's documented 500 for
// resourceVersion on create), never a hang. Reproduce a failure with FUZZ_SEED=<printed seed>.

// A fixed seed by default, so `npm test` is reproducible; `FUZZ_SEED=random` explores (open crashes found that
// way are listed in the issue note: strategic-merge directives on null/absent lists, `name` of null items).
const SEED = process.env.FUZZ_SEED === 'random' ? Date.now() % 2 ** 31 : Number(process.env.FUZZ_SEED ?? 1);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 3000);
const CONCURRENCY = 8;
const REQUEST_TIMEOUT_MS = 5000;

/** mulberry32 */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let rnd = prng(SEED);
const int = (n: number) => Math.floor(rnd() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
const chance = (p: number) => rnd() < p;

// biome-ignore lint/suspicious/noExplicitAny: fuzz values are any JSON
type Json = any;

const KEYS = [
  'metadata',
  'name',
  'namespace',
  'labels',
  'annotations',
  'finalizers',
  'ownerReferences',
  'resourceVersion',
  'uid',
  'generation',
  'data',
  'binaryData',
  'stringData',
  'spec',
  'status',
  'ports',
  'port',
  'targetPort',
  'selector',
  'template',
  'containers',
  'replicas',
  'kind',
  'apiVersion',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '$patch',
  '$retainKeys',
  '$setElementOrder/ports',
  '$setElementOrder/containers',
  '$deleteFromPrimitiveList/finalizers',
  '',
  'ü💥',
  'a/b',
  'a~b',
  '0',
];
const STRINGS = [
  '',
  'a',
  'x'.repeat(300),
  'ü💥\u0000\u200b',
  '\ud800',
  'replace',
  'delete',
  'merge',
  'retainKeys',
  '-',
  '/',
  '~',
  '1e400',
  'YQ==',
  '!!!',
  'true',
  'null',
  '2006-01-02T15:04:05Z',
  'TCP',
  'ClusterIP',
  'kubernetes.io/tls',
];
const NUMBERS = [0, -0, 1, -1, 0.5, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 2, 1e308, -1e308, 5e-324, 65536];

function randomJson(depth = 0): Json {
  const r = int(depth > 4 ? 5 : 8);
  switch (r) {
    case 0:
      return null;
    case 1:
      return chance(0.5);
    case 2:
      return pick(NUMBERS);
    case 3:
    case 4:
      return pick(STRINGS);
    case 5:
    case 6: {
      const o: Record<string, Json> = {};
      for (let i = int(4); i > 0; i--)
        Object.defineProperty(o, pick(KEYS), {
          value: randomJson(depth + 1),
          enumerable: true,
          configurable: true,
          writable: true,
        });
      return o;
    }
    default:
      return Array.from({ length: int(4) }, () => randomJson(depth + 1));
  }
}

/** a value of the wrong type (or null, or gone) at one random place of the object */
function mutate(v: Json, depth = 0): Json {
  if (v === null || typeof v !== 'object' || chance(0.25 + depth * 0.1))
    return chance(0.2) ? undefined : randomJson(3);
  const copy: Json = Array.isArray(v) ? [...v] : { ...v };
  const keys = Object.keys(copy);
  if (keys.length === 0) return randomJson(3);
  const k = pick(keys);
  const m = mutate(copy[k], depth + 1);
  if (m === undefined && !Array.isArray(copy)) delete copy[k];
  else copy[k] = m ?? null;
  return copy;
}

function deep(n: number, leaf: Json = 1): string {
  return chance(0.5)
    ? `${'['.repeat(n)}${JSON.stringify(leaf)}${']'.repeat(n)}`
    : `${'{"a":'.repeat(n)}${JSON.stringify(leaf)}${'}'.repeat(n)}`;
}

interface Target {
  collection: string;
  name: string;
  valid: (name: string) => Json;
}

const NS = 'fuzz';
const TARGETS: Target[] = [
  {
    collection: `/api/v1/namespaces/${NS}/configmaps`,
    name: 'cm',
    valid: (name) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, labels: { a: 'b' } },
      data: { k: 'v' },
    }),
  },
  {
    collection: `/api/v1/namespaces/${NS}/secrets`,
    name: 'sec',
    valid: (name) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name },
      type: 'Opaque',
      data: { k: 'YQ==' },
    }),
  },
  {
    collection: `/api/v1/namespaces/${NS}/services`,
    name: 'svc',
    valid: (name) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name },
      spec: { selector: { app: 'a' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    }),
  },
  {
    collection: `/apis/apps/v1/namespaces/${NS}/deployments`,
    name: 'dep',
    valid: (name) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'a' } },
        template: {
          metadata: { labels: { app: 'a' } },
          spec: {
            containers: [
              { name: 'c', image: 'nginx', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: 'b' }] },
            ],
          },
        },
      },
    }),
  },
  {
    collection: `/apis/fuzz.example.com/v1/namespaces/${NS}/widgets`,
    name: 'w',
    valid: (name) => ({
      apiVersion: 'fuzz.example.com/v1',
      kind: 'Widget',
      metadata: { name },
      spec: { size: 3, tags: ['a'] },
    }),
  },
  {
    collection: '/api/v1/namespaces',
    name: NS,
    valid: (name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }),
  },
];

const CONTENT_TYPES = [
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'application/yaml',
  'application/vnd.kubernetes.protobuf',
  '*/*',
  'text/plain',
  'garbage',
  ';;;',
  'application/',
];
const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];
const ACCEPTS = [
  undefined,
  'application/json',
  '*/*',
  'garbage',
  'application/json;as=Table;g=meta.k8s.io;v=v1',
  'application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
  'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1',
  'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1beta1',
  'application/json;as=Foo;g=meta.k8s.io;v=v1',
  'application/json;q=abc;as=;g=;v=',
  ',,,;=;',
  'application/vnd.kubernetes.protobuf',
];
const QUERY_VALUES: Record<string, string[]> = {
  labelSelector: [
    'a=b',
    'a in (b,c)',
    '!a',
    'a notin ()',
    '(((',
    'a==b==c',
    'a>1',
    'a gt x',
    ',',
    '💥=1',
    'a=b,',
  ],
  fieldSelector: [
    'metadata.name=cm',
    'metadata.namespace!=x',
    'spec.nope=1',
    '=',
    'a==',
    'metadata.name in (a)',
  ],
  limit: ['-1', '0', '1', 'abc', '1e99', '9999999999999999999', ''],
  continue: ['garbage', 'eyJ2IjoxfQ==', 'e30=', '!!!!', ''],
  resourceVersion: ['0', '1', '-1', 'abc', '999999999', ''],
  resourceVersionMatch: ['NotOlderThan', 'Exact', 'garbage', ''],
  timeoutSeconds: ['-1', '0', '1', 'abc'],
  allowWatchBookmarks: ['true', 'false', 'maybe'],
  sendInitialEvents: ['true', 'false', 'x'],
  dryRun: ['All', 'garbage', ''],
  fieldManager: ['m', 'x'.repeat(200), '💥', ''],
  fieldValidation: ['Strict', 'Warn', 'Ignore', 'garbage'],
  force: ['true', 'false', 'x'],
  propagationPolicy: ['Foreground', 'Background', 'Orphan', 'garbage'],
  gracePeriodSeconds: ['0', '-5', 'abc'],
  includeObject: ['None', 'Object', 'Metadata', 'garbage'],
  watch: ['true', '1', 'false', 'x'],
};

function randomQuery(): string {
  const params = new URLSearchParams();
  for (let i = int(4); i > 0; i--) {
    const k = pick(Object.keys(QUERY_VALUES));
    params.append(k, pick(QUERY_VALUES[k]!));
  }
  const q = params.toString();
  return q ? `?${q}` : '';
}

function randomJsonPatch(): Json {
  const ops = ['add', 'remove', 'replace', 'move', 'copy', 'test', 'bogus', '', null, 3];
  const paths = [
    '/metadata/labels/x',
    '/data/k',
    '/spec/ports/0/port',
    '/spec/ports/-',
    '/metadata',
    '',
    '/',
    'nope',
    '/a/b/c',
    '/metadata/labels/a~1b',
    '/spec/template/spec/containers/99',
    '/spec/ports/01',
    '/spec/ports/-1',
    '/metadata/__proto__/x',
    3,
    null,
  ];
  if (chance(0.1)) return randomJson();
  return Array.from({ length: 1 + int(3) }, () => {
    if (chance(0.1)) return randomJson();
    const op: Json = { op: pick(ops), path: pick(paths) };
    if (chance(0.7)) op.value = randomJson(2);
    if (chance(0.4)) op.from = pick(paths);
    return op;
  });
}

function randomStrategic(t: Target): Json {
  const p: Json = chance(0.5) ? mutate(t.valid(t.name)) : randomJson(1);
  if (p && typeof p === 'object' && !Array.isArray(p)) {
    if (chance(0.3)) p.$patch = pick(['replace', 'delete', 'merge', 'bogus', 1]);
    if (chance(0.3)) p.$retainKeys = pick([['spec'], 'spec', [1], null, [['x']]]);
    if (chance(0.3)) p['$setElementOrder/ports'] = pick([[{ port: 80 }], [80], 'x', [null], [{}]]);
    if (chance(0.2)) p['$deleteFromPrimitiveList/finalizers'] = pick([['a'], 'a', [{}], null]);
    if (chance(0.3)) p.spec = { ports: [{ port: 80, $patch: pick(['delete', 'replace', 'x']) }, null, 7] };
  }
  return p;
}

interface Attempt {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  watch?: boolean;
}

function bodyText(t: Target, name: string): string | Buffer {
  switch (int(9)) {
    case 0:
      return JSON.stringify(randomJson());
    case 1: {
      const s = JSON.stringify(mutate(t.valid(name)) ?? null);
      return s.slice(0, int(s.length)); // truncated
    }
    case 2:
      return deep(pick([10, 1000, 20000])); // TODO: 9999 (below the Go limit) still overflows the stack in a post-decode step;
    case 3:
      return Buffer.from(Array.from({ length: int(64) }, () => int(256)));
    case 4:
      return Buffer.concat([
        Buffer.from('k8s\0'),
        Buffer.from(Array.from({ length: int(64) }, () => int(256))),
      ]);
    case 5:
      return pick(['', 'null', '[]', '""', '1e999', '{"metadata":null}', '{}', '- a\n- b', 'a: [', '{{']);
    default:
      return JSON.stringify(mutate(t.valid(name)) ?? null);
  }
}

function randomAttempt(): Attempt {
  const t = pick(TARGETS);
  const headers: Record<string, string> = {};
  const accept = pick(ACCEPTS);
  if (accept) headers.Accept = accept;
  const kind = int(10);
  if (kind <= 2) {
    const ct = pick(CONTENT_TYPES);
    if (ct) headers['Content-Type'] = ct;
    return { method: 'POST', path: t.collection + randomQuery(), headers, body: bodyText(t, `f${int(50)}`) };
  }
  if (kind === 3) {
    const ct = pick(CONTENT_TYPES);
    if (ct) headers['Content-Type'] = ct;
    return {
      method: 'PUT',
      path: `${t.collection}/${t.name}${randomQuery()}`,
      headers,
      body: bodyText(t, t.name),
    };
  }
  if (kind <= 6) {
    const type = chance(0.9) ? pick(PATCH_TYPES) : pick(CONTENT_TYPES);
    if (type) headers['Content-Type'] = type;
    let body: string;
    if (type === 'application/json-patch+json') body = JSON.stringify(randomJsonPatch());
    else if (type === 'application/strategic-merge-patch+json') body = JSON.stringify(randomStrategic(t));
    else if (type === 'application/apply-patch+yaml')
      body = chance(0.7)
        ? JSON.stringify(mutate(t.valid(t.name)) ?? null)
        : pick(['a: [', '- 1', ': :', '!!binary x', '&a [*a]', '']);
    else body = chance(0.2) ? String(bodyText(t, t.name)) : JSON.stringify(randomJson(1));
    return { method: 'PATCH', path: `${t.collection}/${t.name}${randomQuery()}`, headers, body };
  }
  if (kind === 7) {
    const path = chance(0.5) ? t.collection : `${t.collection}/${t.name}`;
    return { method: 'GET', path: path + randomQuery(), headers, watch: true };
  }
  if (kind === 8) {
    const name = chance(0.8) ? `f${int(50)}` : t.name;
    const ct = pick(CONTENT_TYPES);
    if (ct) headers['Content-Type'] = ct;
    return {
      method: 'DELETE',
      path: `${t.collection}/${name}${randomQuery()}`,
      headers,
      ...(chance(0.5)
        ? {
            body: JSON.stringify(
              chance(0.5)
                ? randomJson()
                : { kind: 'DeleteOptions', propagationPolicy: pick(['Orphan', 1, null]) },
            ),
          }
        : {}),
    };
  }
  return {
    method: 'GET',
    path: `${t.collection}${chance(0.5) ? `/${t.name}` : ''}${randomQuery()}`,
    headers,
  };
}

const RV_ON_CREATE = 'resourceVersion should not be set on objects to be created';
// Strategic-merge errors the real server does not map to a status (handlers/patch.go interpretStrategicMergePatchError
// passes them through, ErrorToAPIStatus makes them a 500 with no reason): mergepatch/errors.go and
// strategicpatch/patch.go texts. The sandbox answers them the same way; a 500 with reason InternalError (a crash
// of the sandbox itself) still fails.
const SMP_PLAIN_ERRORS = [
  /^unknown patch type: /,
  /^expected a .*, but received a /,
  /does not contain declared merge key: /,
  /^list element types are not identical: /,
  /^cannot merge lists without merge key for type /,
  /^merging lists cannot yet be specified in the patch$/,
  /^no elements in any of the given slices$/,
  /^value for key \d+ is not a map\.$/,
  /^The order in patch list:/,
  /^runtime error: /,
];
// structuredmerge.go Apply: an apply configuration with a field the type does not declare is a plain error too
// (kubernetes/kubernetes#122480, #139253)
const APPLY_UNDECLARED = /^failed to create typed patch object \(/;
const isApplyUndeclared = (a: Attempt, status: Json) =>
  a.method === 'PATCH' &&
  a.headers['Content-Type'] === 'application/apply-patch+yaml' &&
  status.reason === undefined &&
  APPLY_UNDECLARED.test(String(status.message));
const isSmpPlainError = (a: Attempt, status: Json) =>
  a.method === 'PATCH' &&
  a.headers['Content-Type'] === 'application/strategic-merge-patch+json' &&
  status.reason === undefined &&
  SMP_PLAIN_ERRORS.some((re) => re.test(String(status.message)));
// apiserver storage/errors.go NewTooLargeResourceVersionError: a read at a future resourceVersion is a 504 Timeout
const TOO_LARGE_RV = 'Too large resource version';

let sandbox: Sandbox;

async function send(a: Attempt): Promise<string | undefined> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  try {
    const res = await fetch(`${sandbox.url}${a.path}`, {
      method: a.method,
      headers: a.headers,
      ...(a.body !== undefined ? { body: a.body } : {}),
      signal: controller.signal,
    });
    const isWatchStream =
      res.status === 200 &&
      (res.headers.get('transfer-encoding') === 'chunked' || a.watch) &&
      /watch=(true|1)/.test(a.path);
    if (isWatchStream) {
      controller.abort(); // a watch that answered 200 is streaming; that is the success
      return undefined;
    }
    const text = await res.text();
    if (res.status >= 200 && res.status < 300) {
      try {
        JSON.parse(text);
      } catch {
        return `${res.status} with a body that is not JSON: ${text.slice(0, 200)}`;
      }
      return undefined;
    }
    let status: Json;
    try {
      status = JSON.parse(text);
    } catch {
      return `${res.status} with a body that is not JSON: ${text.slice(0, 200)}`;
    }
    if (status?.kind !== 'Status' || status.code !== res.status)
      return `${res.status} without a matching Status: ${text.slice(0, 300)}`;
    const documented =
      (res.status === 500 && a.method === 'POST' && String(status.message).includes(RV_ON_CREATE)) ||
      (res.status === 504 && a.method === 'GET' && String(status.message).includes(TOO_LARGE_RV)) ||
      (res.status === 500 && (isSmpPlainError(a, status) || isApplyUndeclared(a, status)));
    if (res.status >= 500 && !documented) return `${res.status}: ${status.message}`;
    if (res.status >= 300 && res.status < 400) return `unexpected ${res.status}`;
    return undefined;
  } catch (err) {
    return controller.signal.aborted
      ? `no answer within ${REQUEST_TIMEOUT_MS} ms (hang)`
      : `request failed: ${(err as Error).message}`;
  } finally {
    clearTimeout(timer);
  }
}

function describeAttempt(a: Attempt): string {
  const body =
    a.body === undefined
      ? ''
      : Buffer.isBuffer(a.body)
        ? ` <${a.body.length} bytes>`
        : ` ${a.body.slice(0, 300)}`;
  return `${a.method} ${a.path} ${JSON.stringify(a.headers)}${body}`;
}

async function seedObjects(): Promise<void> {
  const post = async (path: string, body: Json) => {
    const res = await fetch(`${sandbox.url}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    await res.text();
    return res.status;
  };
  await post('/api/v1/namespaces', { metadata: { name: NS } });
  expect(
    await post('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.fuzz.example.com' },
      spec: {
        group: 'fuzz.example.com',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            subresources: { status: {} },
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: {
                    type: 'object',
                    properties: {
                      size: { type: 'integer', minimum: 0, default: 1 },
                      tags: { type: 'array', items: { type: 'string' } },
                      free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                    },
                  },
                  status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                },
              },
            },
          },
        ],
      },
    }),
  ).toBe(201);
  await waitFor(
    async () => (await fetch(`${sandbox.url}${TARGETS[4]!.collection}`)).status === 200,
    5000,
    'CRD served',
  );
}

async function reseed(): Promise<void> {
  for (const t of TARGETS.slice(0, 5)) {
    const res = await fetch(`${sandbox.url}${t.collection}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(t.valid(t.name)),
    });
    await res.text();
  }
}

beforeAll(async () => {
  sandbox = await startSandbox({ historyWindow: 200 });
  await seedObjects();
});
afterAll(async () => {
  await sandbox.stop();
});

/**
 * Cases random seeds found (each crashed the sandbox with a 500 InternalError), kept as fixed regressions with the
 * answer the real server gives.
 */
const SMP = 'application/strategic-merge-patch+json';
const REGRESSIONS: { name: string; a: Attempt; code: number; message?: string | RegExp }[] = [
  {
    name: 'a YAML alias inside its own anchor (a cycle) is refused, not walked forever',
    a: {
      method: 'PATCH',
      path: `/api/v1/namespaces/${NS}/configmaps/cm?fieldManager=m`,
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
      body: '&a [*a]',
    },
    code: 400,
    // handlers/patch.go validateAndTranscodePatch: an apply body that is no YAML is "error encoding patch"
    message: 'error encoding patch: yaml: anchor value contains itself',
  },
  {
    name: 'object-prototype keys (constructor, hasOwnProperty, toString) are plain fields',
    a: {
      method: 'POST',
      path: `/api/v1/namespaces/${NS}/secrets`,
      headers: { 'Content-Type': 'application/json' },
      body: '{"$setElementOrder/containers":"/","constructor":{"labels":{}},"hasOwnProperty":{"a/b":"1"},"toString":{"containers":"x"}}',
    },
    code: 422,
  },
  {
    name: 'a null item in a list with a merge key (SMP): the real list element type error',
    a: {
      method: 'PATCH',
      path: `/api/v1/namespaces/${NS}/services/svc`,
      headers: { 'Content-Type': SMP },
      body: '{"spec":{"ports":[{"port":80},null]}}',
    },
    code: 500,
    // the live ports first, then the patch's (fmt.Sprint of the two slices)
    message:
      /^list element types are not identical: \[\[map\[name:http port:80 .*\]\] \[map\[port:80\] <nil>\]\]$/,
  },
  {
    name: '$patch with an unknown directive',
    a: {
      method: 'PATCH',
      path: `/api/v1/namespaces/${NS}/configmaps/cm`,
      headers: { 'Content-Type': SMP },
      body: '{"a~b":0.5,"$patch":"bogus"}',
    },
    code: 500,
    message: 'unknown patch type: bogus in map: map[$patch:bogus a~b:0.5]',
  },
  {
    name: '$patch: delete in a list item without its merge key',
    a: {
      method: 'PATCH',
      path: `/api/v1/namespaces/${NS}/services/svc`,
      headers: { 'Content-Type': SMP },
      body: '{"spec":{"ports":[{"$patch":"delete"}]}}',
    },
    code: 500,
    message: 'map: map[$patch:delete] does not contain declared merge key: port',
  },
  {
    name: '$retainKeys that is not a list',
    a: {
      method: 'PATCH',
      path: `/apis/apps/v1/namespaces/${NS}/deployments/dep`,
      headers: { 'Content-Type': SMP },
      body: '{"spec":{"strategy":{"$retainKeys":null,"type":"Recreate"}}}',
    },
    code: 400,
    message: 'invalid patch format of retainKeys',
  },
  {
    name: '$retainKeys that does not list a field the patch sets',
    a: {
      method: 'PATCH',
      path: `/apis/apps/v1/namespaces/${NS}/deployments/dep`,
      headers: { 'Content-Type': SMP },
      body: '{"spec":{"strategy":{"$retainKeys":["rollingUpdate"],"type":"Recreate"}}}',
    },
    code: 400,
    message: 'invalid patch format of retainKeys',
  },
  {
    name: '$setElementOrder for a list the patch sets to null',
    a: {
      method: 'PATCH',
      path: `/api/v1/namespaces/${NS}/services/svc`,
      headers: { 'Content-Type': SMP },
      body: '{"spec":{"$setElementOrder/ports":[{"port":80}],"ports":null}}',
    },
    code: 500,
    message: 'expected a []interface {}, but received a %!s(<nil>)',
  },
  {
    name: '$setElementOrder that is not a list',
    a: {
      method: 'PATCH',
      path: `/api/v1/namespaces/${NS}/services/svc`,
      headers: { 'Content-Type': SMP },
      body: '{"spec":{"$setElementOrder/ports":"x"}}',
    },
    code: 500,
    message: 'expected a []interface {}, but received a string',
  },
  {
    name: '$setElementOrder for an absent list is a no-op',
    a: {
      method: 'PATCH',
      path: `/api/v1/namespaces/${NS}/secrets/sec`,
      headers: { 'Content-Type': SMP },
      body: '{"metadata":{"$setElementOrder/finalizers":["a"]}}',
    },
    code: 200,
  },
  {
    name: '$setElementOrder with a bad prefix',
    a: {
      method: 'PATCH',
      path: `/api/v1/namespaces/${NS}/secrets/sec`,
      headers: { 'Content-Type': SMP },
      body: '{"metadata":{"$setElementOrderX":["a"]}}',
    },
    code: 400,
    message: 'invalid patch format of setElementOrder list',
  },
  {
    name: '$deleteFromPrimitiveList with a bad prefix',
    a: {
      method: 'PATCH',
      path: `/api/v1/namespaces/${NS}/secrets/sec`,
      headers: { 'Content-Type': SMP },
      body: '{"metadata":{"$deleteFromPrimitiveListX":["a"]}}',
    },
    code: 400,
    message: 'invalid patch format of primitive list',
  },
  {
    name: '$deleteFromPrimitiveList on an absent list sets the list (as the real server does)',
    a: {
      method: 'PATCH',
      path: `/api/v1/namespaces/${NS}/configmaps/cm`,
      headers: { 'Content-Type': SMP },
      body: '{"metadata":{"$deleteFromPrimitiveList/finalizers":null}}',
    },
    code: 200,
  },
  {
    name: 'a list for a list the live object lacks is taken as it is, then fails to decode (not a lists-of-lists error)',
    a: {
      method: 'PATCH',
      path: `/api/v1/namespaces/${NS}/configmaps/cm`,
      headers: { 'Content-Type': SMP },
      body: '{"metadata":{"finalizers":[["a"]]}}',
    },
    code: 422,
    message:
      /^ "" is invalid: patch: Invalid value: ".*": json: cannot unmarshal array into Go struct field ObjectMeta.metadata.finalizers of type string$/,
  },
  {
    name: 'a null item in a list of structs decodes to the zero struct (create), then fails validation',
    a: {
      method: 'POST',
      path: `/api/v1/namespaces/${NS}/services`,
      headers: { 'Content-Type': 'application/json' },
      body: '{"apiVersion":"v1","kind":"Service","metadata":{"name":"f43"},"spec":{"selector":{"app":"a"},"ports":[null]}}',
    },
    code: 422,
  },
  {
    name: 'a custom resource whose metadata.name is an object',
    a: {
      method: 'POST',
      path: `/apis/fuzz.example.com/v1/namespaces/${NS}/widgets`,
      headers: { 'Content-Type': 'application/json' },
      body: '{"apiVersion":"fuzz.example.com/v1","kind":"Widget","metadata":{"name":{"toString":"true"}},"spec":{"size":3}}',
    },
    code: 400,
    message:
      'Widget in version "v1" cannot be handled as a Widget: json: cannot unmarshal object into Go struct field ObjectMeta.name of type string',
  },
];

describe('fuzz regressions', () => {
  it("bodies nested 9,999 deep (under Go's 10000): a 400, or what the real server does, never a stack overflow", async () => {
    const post = async (path: string, body: string) => {
      const res = await fetch(`${sandbox.url}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body,
      });
      return { code: res.status, body: JSON.parse(await res.text()), warning: res.headers.get('warning') };
    };
    const deepObject = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
    // in a typed field: the decode error of the shallow case
    const typed = await post(
      `/api/v1/namespaces/${NS}/configmaps`,
      `{"metadata":{"name":"deep1"},"data":${'['.repeat(9998)}${']'.repeat(9998)}}`,
    );
    expect([typed.code, typed.body.message]).toEqual([
      400,
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal array into Go struct field ConfigMap.data of type map[string]string',
    ]);
    // in an unknown field of a described kind: dropped, as the real decoder drops it
    const dropped = await post(
      `/api/v1/namespaces/${NS}/configmaps`,
      `{"metadata":{"name":"deep2"},"bogus":${deepObject(9998)}}`,
    );
    expect([dropped.code, dropped.body.bogus, dropped.warning]).toEqual([
      201,
      undefined,
      '299 - "unknown field \\"bogus\\""',
    ]);
    // in an unknown field of a Pod's spec (every built-in kind's fields are described): dropped with a warning too
    const walked = await post(
      `/api/v1/namespaces/${NS}/pods`,
      `{"metadata":{"name":"deep3"},"spec":{"containers":[{"name":"c","image":"i"}],"x":${deepObject(9996)}}}`,
    );
    expect([walked.code, walked.body.spec.x, walked.warning]).toEqual([
      201,
      undefined,
      '299 - "unknown field \\"spec.x\\""',
    ]);
    // one level more than Go's limit: Go's scanner error
    const tooDeep = await post(`/api/v1/namespaces/${NS}/configmaps`, deepObject(10001));
    expect([tooDeep.code, tooDeep.body.message]).toEqual([
      400,
      "the request body could not be decoded: invalid character '{' exceeded max depth",
    ]);
  });

  it('a warning about a non-ASCII unknown field is sent as its UTF-8 bytes, quoted as apimachinery quotes it', async () => {
    await reseed();
    const res = await fetch(`${sandbox.url}/apis/fuzz.example.com/v1/namespaces/${NS}/widgets/w`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: JSON.stringify({ 'ü💥': true, 'q"\\': 1 }),
    });
    expect(res.status).toBe(200);
    const warning = Buffer.from(res.headers.get('warning') ?? '', 'latin1').toString('utf8');
    expect(warning).toBe(String.raw`299 - "unknown field \"ü💥\"", 299 - "unknown field \"q\"\\\""`);
  });

  it.each(REGRESSIONS)('$name', async ({ a, code, message }) => {
    await reseed();
    const res = await fetch(`${sandbox.url}${a.path}`, {
      method: a.method,
      headers: a.headers,
      ...(a.body !== undefined ? { body: a.body } : {}),
    });
    const body = JSON.parse(await res.text());
    expect(res.status, JSON.stringify(body)).toBe(code);
    if (code >= 400) {
      expect(body.kind).toBe('Status');
      // a crash of the sandbox itself would say InternalError
      expect(body.reason).not.toBe('InternalError');
    }
    if (message !== undefined)
      expect(body.message).toMatch(
        message instanceof RegExp
          ? message
          : new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`),
      );
  });
});

describe('fuzzing the sandbox', () => {
  it(`answers random and mutated requests with 2xx or a 4xx Status, never a 5xx or a hang (FUZZ_SEED=${SEED})`, async () => {
    console.log(`fuzz seed ${SEED} (FUZZ_SEED=${SEED} to reproduce), ${REQUESTS} requests`);
    rnd = prng(SEED);
    const attempts = Array.from({ length: REQUESTS }, randomAttempt);
    const failures: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < attempts.length) {
        const i = next++;
        if (i % 200 === 0) await reseed(); // keep something to PUT and PATCH
        const problem = await send(attempts[i]!);
        if (problem) failures.push(`#${i} ${problem}\n    ${describeAttempt(attempts[i]!)}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(failures.slice(0, 15), `seed ${SEED}: ${failures.length} failures`).toEqual([]);

    // and the server still answers, reads and writes
    const ns = await fetch(`${sandbox.url}/api/v1/namespaces/default`);
    expect(ns.status).toBe(200);
    const created = await fetch(`${sandbox.url}/api/v1/namespaces/default/configmaps`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ metadata: { name: 'after-fuzz' }, data: { ok: 'yes' } }),
    });
    expect(created.status).toBe(201);
  }, 30_000);
});
