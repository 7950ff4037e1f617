import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/sandbox.js';
import { Kubectl } from './helpers.js';

/**
 * What the real API server does to a bad write, with its status, reason, causes and message text.
 * Sources: apiserver pkg/endpoints/handlers/rest.go (transformDecodeError), storage/etcd3/store.go
 * (ErrResourceVersionSetOnCreate), registry/rest/update.go + storage/interfaces.go (UID precondition),
 * pkg/apis/core/validation/validation.go (ValidateConfigMap/ValidateSecret/ValidateService),
 * apimachinery pkg/api/validation/objectmeta.go and pkg/apis/meta/v1/validation/validation.go.
 */
let sandbox: Sandbox;
let kubectl: Kubectl;
let nsCounter = 0;

interface Answer {
  code: number;
  body: {
    kind?: string;
    status?: string;
    reason?: string;
    message?: string;
    metadata?: Record<string, unknown>;
    details?: {
      name?: string;
      kind?: string;
      group?: string;
      causes?: { reason: string; field: string; message: string }[];
    };
    [k: string]: unknown;
  };
}

async function call(
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<Answer> {
  const res = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: { 'content-type': contentType },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  return { code: res.status, body: (await res.json()) as Answer['body'] };
}

async function freshNamespace(): Promise<string> {
  const name = `wv-${++nsCounter}`;
  expect((await call('POST', '/api/v1/namespaces', { metadata: { name } })).code).toBe(201);
  return name;
}

const cm = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  ...extra,
});
const secret = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name },
  ...extra,
});

async function notStored(ns: string, plural: string, name: string): Promise<void> {
  expect((await call('GET', `/api/v1/namespaces/${ns}/${plural}/${name}`)).code).toBe(404);
}

beforeAll(async () => {
  sandbox = await startSandbox();
  kubectl = new Kubectl();
  await sandbox.writeKubeconfig(kubectl.kubeconfig);
});
afterAll(async () => {
  await sandbox.stop();
  kubectl.cleanup();
});

describe('decoding and type checks (400 "cannot be handled as a X")', () => {
  it('a number in ConfigMap data is refused with the Go decoding message and nothing is stored', async () => {
    const ns = await freshNamespace();
    const a = await call('POST', `/api/v1/namespaces/${ns}/configmaps`, cm('num', { data: { a: 1 } }));
    expect(a.code).toBe(400);
    expect(a.body.kind).toBe('Status');
    expect(a.body.reason).toBe('BadRequest');
    expect(a.body.message).toBe(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string',
    );
    await notStored(ns, 'configmaps', 'num');
  });

  it('wrong JSON types in metadata, binaryData, stringData and Secret data name their Go field', async () => {
    const ns = await freshNamespace();
    const cases: [string, unknown, string][] = [
      [
        'configmaps',
        cm('l', { metadata: { name: 'l', labels: { a: 1 } } }),
        'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string',
      ],
      [
        'configmaps',
        cm('an', { metadata: { name: 'an', annotations: { a: true } } }),
        'json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.annotations of type string',
      ],
      [
        'configmaps',
        cm('lm', { metadata: { name: 'lm', labels: 'x' } }),
        'json: cannot unmarshal string into Go struct field ObjectMeta.metadata.labels of type map[string]string',
      ],
      [
        'configmaps',
        cm('f', { metadata: { name: 'f', finalizers: 'x' } }),
        'json: cannot unmarshal string into Go struct field ObjectMeta.metadata.finalizers of type []string',
      ],
      [
        'configmaps',
        cm('d', { data: ['a'] }),
        'json: cannot unmarshal array into Go struct field ConfigMap.data of type map[string]string',
      ],
      ['configmaps', cm('b', { binaryData: { a: 'not base64!' } }), 'illegal base64 data at input byte 3'],
      [
        'secrets',
        secret('s', { data: { a: 'abc' } }),
        // "abc" is a truncated quantum: Go reports the offset where the quantum started
        'illegal base64 data at input byte 0',
      ],
      [
        'secrets',
        secret('sd', { stringData: { a: 5 } }),
        'json: cannot unmarshal number into Go struct field Secret.stringData of type string',
      ],
      [
        'secrets',
        secret('sn', { data: { a: 5 } }),
        'json: cannot unmarshal number into Go struct field Secret.data of type []uint8',
      ],
    ];
    for (const [plural, body, why] of cases) {
      const kind = plural === 'secrets' ? 'Secret' : 'ConfigMap';
      const a = await call('POST', `/api/v1/namespaces/${ns}/${plural}`, body);
      expect(a.body.message).toBe(`${kind} in version "v1" cannot be handled as a ${kind}: ${why}`);
      expect(a.code).toBe(400);
    }
  });

  it('Secret data that is not base64 names the byte, like encoding/base64', async () => {
    const ns = await freshNamespace();
    const a = await call(
      'POST',
      `/api/v1/namespaces/${ns}/secrets`,
      secret('b64', { data: { a: 'aGVsbG8=x' } }),
    );
    expect(a.code).toBe(400);
    expect(a.body.message).toBe(
      'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 8',
    );
    const ok = await call(
      'POST',
      `/api/v1/namespaces/${ns}/secrets`,
      secret('ok', { data: { a: 'aGVs\nbG8=' } }),
    );
    expect(ok.code).toBe(201);
  });

  it('a PUT with a bad type is 400 too; a patch producing one is the 422 of handlers/patch.go', async () => {
    const ns = await freshNamespace();
    expect(
      (await call('POST', `/api/v1/namespaces/${ns}/configmaps`, cm('p', { data: { a: 'x' } }))).code,
    ).toBe(201);
    const put = await call('PUT', `/api/v1/namespaces/${ns}/configmaps/p`, cm('p', { data: { a: 2 } }));
    expect(put.code).toBe(400);
    const patch = await call(
      'PATCH',
      `/api/v1/namespaces/${ns}/configmaps/p`,
      { data: { a: 2 } },
      'application/merge-patch+json',
    );
    expect(patch.code).toBe(422);
    expect(patch.body.reason).toBe('Invalid');
    expect(patch.body.details?.causes?.[0]?.field).toBe('patch');
    expect(patch.body.message).toMatch(
      /^ "" is invalid: patch: Invalid value: ".*": json: cannot unmarshal number into Go struct field ConfigMap.data of type string$/,
    );
    expect((await call('GET', `/api/v1/namespaces/${ns}/configmaps/p`)).body.data).toEqual({ a: 'x' });
  });

  it('Lease times must be MicroTime (six fractional digits)', async () => {
    const ns = await freshNamespace();
    const lease = (renewTime: string) => ({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: `l${renewTime.length}` },
      spec: { holderIdentity: 'me', renewTime },
    });
    const bad = await call(
      'POST',
      `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`,
      lease('2024-01-02T03:04:05.123Z'),
    );
    expect(bad.code).toBe(400);
    expect(bad.body.message).toBe(
      'Lease in version "v1" cannot be handled as a Lease: parsing time "2024-01-02T03:04:05.123Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse ".123Z" as ".000000"',
    );
    const ok = await call(
      'POST',
      `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`,
      lease('2024-01-02T03:04:05.123456Z'),
    );
    expect(ok.code).toBe(201);
  });

  it('kubectl create -f of a ConfigMap with a number value fails with the server message', async () => {
    const ns = await freshNamespace();
    const file = join(kubectl.dir, 'num.json');
    writeFileSync(
      file,
      JSON.stringify(cm('kc-num', { metadata: { name: 'kc-num', namespace: ns }, data: { a: 1 } })),
    );
    const r = await kubectl.run(['create', '--validate=false', '-f', file]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('cannot be handled as a ConfigMap');
    await notStored(ns, 'configmaps', 'kc-num');
  });
});

describe('server-owned metadata on writes', () => {
  it('create carrying metadata.resourceVersion is refused by the storage layer (500, no reason) and nothing is stored', async () => {
    const ns = await freshNamespace();
    const a = await call(
      'POST',
      `/api/v1/namespaces/${ns}/configmaps`,
      cm('rv', { metadata: { name: 'rv', resourceVersion: '12' } }),
    );
    expect(a.code).toBe(500);
    expect(a.body.reason).toBeUndefined();
    expect(a.body.message).toBe('resourceVersion should not be set on objects to be created');
    await notStored(ns, 'configmaps', 'rv');
    // "0" is the versioner's "unset"
    const zero = await call(
      'POST',
      `/api/v1/namespaces/${ns}/configmaps`,
      cm('rv0', { metadata: { name: 'rv0', resourceVersion: '0' } }),
    );
    expect(zero.code).toBe(201);
  });

  it('PUT with another metadata.uid is a 409 precondition failure; a patch changing it is 422 immutable', async () => {
    const ns = await freshNamespace();
    const created = await call('POST', `/api/v1/namespaces/${ns}/configmaps`, cm('u', { data: { a: 'x' } }));
    const uid = (created.body.metadata as { uid: string }).uid;
    const put = await call(
      'PUT',
      `/api/v1/namespaces/${ns}/configmaps/u`,
      cm('u', { metadata: { name: 'u', uid: 'other' }, data: { a: 'y' } }),
    );
    expect(put.code).toBe(409);
    expect(put.body.reason).toBe('Conflict');
    expect(put.body.message).toBe(
      `Operation cannot be fulfilled on configmaps "u": StorageError: invalid object, Code: 4, Key: /registry/configmaps/${ns}/u, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: other, UID in object meta: ${uid}`,
    );
    const patch = await call(
      'PATCH',
      `/api/v1/namespaces/${ns}/configmaps/u`,
      { metadata: { uid: 'other' } },
      'application/merge-patch+json',
    );
    expect(patch.code).toBe(422);
    expect(patch.body.details?.causes?.[0]).toMatchObject({ field: 'metadata.uid' });
    expect((await call('GET', `/api/v1/namespaces/${ns}/configmaps/u`)).body.data).toEqual({ a: 'x' });
  });
});

describe('per-kind validation (422 Invalid with causes)', () => {
  async function invalid(ns: string, plural: string, body: unknown) {
    const a = await call('POST', `/api/v1/namespaces/${ns}/${plural}`, body);
    expect(a.code).toBe(422);
    expect(a.body.reason).toBe('Invalid');
    return a.body;
  }

  it('ConfigMap keys: syntax, "." and "..", data/binaryData overlap', async () => {
    const ns = await freshNamespace();
    const body = await invalid(
      ns,
      'configmaps',
      cm('k', { data: { 'bad key': 'v', '..x': 'v', both: 'v' }, binaryData: { both: 'dg==' } }),
    );
    const causes = body.details!.causes!;
    expect(causes).toContainEqual({
      reason: 'FieldValueInvalid',
      field: 'data[bad key]',
      message:
        "Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    });
    expect(causes).toContainEqual({
      reason: 'FieldValueInvalid',
      field: 'data[..x]',
      message: `Invalid value: "..x": must not start with '..'`,
    });
    expect(causes).toContainEqual({
      reason: 'FieldValueInvalid',
      field: 'data[both]',
      message: 'Invalid value: "both": duplicate of key present in binaryData',
    });
    // kube-apiserver v1.37 reports the overlap once, on data[k] (ValidateConfigMap)
    expect(causes).not.toContainEqual(
      expect.objectContaining({ message: expect.stringContaining('present in data') }),
    );
    expect(body.details).toMatchObject({ name: 'k', kind: 'ConfigMap' });
    expect(body.details).not.toHaveProperty('group');
    expect(body.message).toMatch(/^ConfigMap "k" is invalid: \[/);
    await notStored(ns, 'configmaps', 'k');
    await invalid(ns, 'configmaps', cm('dot', { data: { '.': 'v' } }));
  });

  it('Secret types: tls, dockerconfigjson, dockercfg, basic-auth, ssh-auth, service-account-token', async () => {
    const ns = await freshNamespace();
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const tls = await invalid(
      ns,
      'secrets',
      secret('tls', { type: 'kubernetes.io/tls', data: { 'tls.crt': b64('c') } }),
    );
    expect(tls.message).toBe('Secret "tls" is invalid: data[tls.key]: Required value');
    expect(tls.details!.causes).toEqual([
      { reason: 'FieldValueRequired', field: 'data[tls.key]', message: 'Required value' },
    ]);
    const dcj = await invalid(
      ns,
      'secrets',
      secret('dcj', { type: 'kubernetes.io/dockerconfigjson', data: {} }),
    );
    expect(dcj.message).toBe('Secret "dcj" is invalid: data[.dockerconfigjson]: Required value');
    const badJson = await invalid(
      ns,
      'secrets',
      secret('dcj2', { type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64('nope') } }),
    );
    expect(badJson.message).toBe(
      `Secret "dcj2" is invalid: data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": invalid character 'o' in literal null (expecting 'u')`,
    );
    await invalid(ns, 'secrets', secret('dc', { type: 'kubernetes.io/dockercfg', stringData: { x: '{}' } }));
    const basic = await invalid(
      ns,
      'secrets',
      secret('ba', { type: 'kubernetes.io/basic-auth', stringData: { other: 'x' } }),
    );
    expect(basic.details!.causes!.map((c) => c.field)).toEqual(['data[username]', 'data[password]']);
    await invalid(
      ns,
      'secrets',
      secret('ssh', { type: 'kubernetes.io/ssh-auth', stringData: { 'ssh-privatekey': '' } }),
    );
    const sa = await invalid(ns, 'secrets', secret('sa', { type: 'kubernetes.io/service-account-token' }));
    expect(sa.message).toBe(
      'Secret "sa" is invalid: metadata.annotations[kubernetes.io/service-account.name]: Required value',
    );
    // valid ones of each type are stored; basic-auth needs only one of the two keys
    for (const ok of [
      secret('tls-ok', { type: 'kubernetes.io/tls', stringData: { 'tls.crt': 'c', 'tls.key': 'k' } }),
      secret('dcj-ok', {
        type: 'kubernetes.io/dockerconfigjson',
        stringData: { '.dockerconfigjson': '{"auths":{}}' },
      }),
      secret('ba-ok', { type: 'kubernetes.io/basic-auth', stringData: { username: 'u' } }),
      secret('sa-ok', {
        metadata: { name: 'sa-ok', annotations: { 'kubernetes.io/service-account.name': 'default' } },
        type: 'kubernetes.io/service-account-token',
      }),
    ])
      expect((await call('POST', `/api/v1/namespaces/${ns}/secrets`, ok)).code).toBe(201);
  });

  it('Secret keys are config keys and the total data is at most 1 MiB', async () => {
    const ns = await freshNamespace();
    const key = await invalid(ns, 'secrets', secret('key', { stringData: { 'a/b': 'x' } }));
    expect(key.details!.causes![0]!.field).toBe('data[a/b]');
    const big = await invalid(
      ns,
      'secrets',
      secret('big', { stringData: { a: 'x'.repeat(1024 * 1024 + 1) } }),
    );
    expect(big.details!.causes).toEqual([
      { reason: 'FieldValueTooLong', field: 'data', message: 'Too long: may not be more than 1048576 bytes' },
    ]);
  });

  it('Service: DNS-1123 label name, port range, protocol, unique and required port names, targetPort syntax', async () => {
    const ns = await freshNamespace();
    const svc = (name: string, ports: unknown[]) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name },
      spec: { ports },
    });
    // Service names are DNS-1123 labels since RelaxedServiceNameValidation went GA (1.37): a leading digit is fine
    const name = await invalid(ns, 'services', svc('Abc', [{ port: 80 }]));
    expect(name.details!.causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'metadata.name',
        message:
          "Invalid value: \"Abc\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      },
    ]);
    const ports = await invalid(
      ns,
      'services',
      svc('web', [
        { name: 'a', port: 0, protocol: 'HTTP' },
        { name: 'a', port: 70000, targetPort: 'Bad--Name' },
        { port: 81 },
      ]),
    );
    expect(ports.details!.causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.ports[0].port',
        message: 'Invalid value: 0: must be between 1 and 65535, inclusive',
      },
      {
        reason: 'FieldValueNotSupported',
        field: 'spec.ports[0].protocol',
        message: 'Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
      },
      // targetPort defaulted to the port, 0 (SetDefaults_Service), is validated like any number
      {
        reason: 'FieldValueInvalid',
        field: 'spec.ports[0].targetPort',
        message: 'Invalid value: 0: must be between 1 and 65535, inclusive',
      },
      { reason: 'FieldValueDuplicate', field: 'spec.ports[1].name', message: 'Duplicate value: "a"' },
      {
        reason: 'FieldValueInvalid',
        field: 'spec.ports[1].port',
        message: 'Invalid value: 70000: must be between 1 and 65535, inclusive',
      },
      {
        reason: 'FieldValueInvalid',
        field: 'spec.ports[1].targetPort',
        message:
          'Invalid value: "Bad--Name": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      },
      {
        reason: 'FieldValueInvalid',
        field: 'spec.ports[1].targetPort',
        message: 'Invalid value: "Bad--Name": must not contain consecutive hyphens',
      },
      { reason: 'FieldValueRequired', field: 'spec.ports[2].name', message: 'Required value' },
    ]);
    const none = await invalid(ns, 'services', svc('noports', []));
    expect(none.details!.causes).toEqual([
      { reason: 'FieldValueRequired', field: 'spec.ports', message: 'Required value' },
    ]);
    expect(
      (
        await call(
          'POST',
          `/api/v1/namespaces/${ns}/services`,
          svc('ok', [{ name: 'http', port: 80, targetPort: 'http' }]),
        )
      ).code,
    ).toBe(201);
  });

  it('label keys and values, annotation keys and the 256 KiB annotation total', async () => {
    const ns = await freshNamespace();
    const labels = await invalid(
      ns,
      'configmaps',
      cm('lab', {
        metadata: { name: 'lab', labels: { 'Bad_Prefix/x': 'v', ok: '-bad-', ['n'.repeat(64)]: 'v' } },
      }),
    );
    const msgs = labels.details!.causes!.map((c) => c.message);
    expect(labels.details!.causes!.every((c) => c.field === 'metadata.labels')).toBe(true);
    expect(msgs).toContain(
      "Invalid value: \"Bad_Prefix/x\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    );
    expect(msgs).toContain(
      "Invalid value: \"-bad-\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    );
    expect(msgs).toContain(`Invalid value: "${'n'.repeat(64)}": name part must be no more than 63 bytes`);
    const big = await invalid(
      ns,
      'configmaps',
      cm('ann', { metadata: { name: 'ann', annotations: { a: 'x'.repeat(256 * 1024) } } }),
    );
    expect(big.details!.causes).toEqual([
      {
        reason: 'FieldValueTooLong',
        field: 'metadata.annotations',
        message: 'Too long: may not be more than 262144 bytes',
      },
    ]);
    // annotation keys are case-insensitive qualified names
    expect(
      (
        await call(
          'POST',
          `/api/v1/namespaces/${ns}/configmaps`,
          cm('ann-ok', { metadata: { name: 'ann-ok', annotations: { 'Example.COM/Key': 'v' } } }),
        )
      ).code,
    ).toBe(201);
  });

  it('kubectl shows the 422 of an invalid ConfigMap key', async () => {
    const ns = await freshNamespace();
    const file = join(kubectl.dir, 'badkey.json');
    writeFileSync(
      file,
      JSON.stringify(cm('kc-key', { metadata: { name: 'kc-key', namespace: ns }, data: { 'a b': 'x' } })),
    );
    const r = await kubectl.run(['create', '--validate=false', '-f', file]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'The ConfigMap "kc-key" is invalid: data[a b]: Invalid value: "a b": a valid config key must consist',
    );
  });
});

describe('dryRun and DeleteOptions', () => {
  it('dryRun=All on create, update, patch and delete answers what would be stored and stores nothing', async () => {
    const ns = await freshNamespace();
    const base = `/api/v1/namespaces/${ns}/configmaps`;
    const dry = await call('POST', `${base}?dryRun=All`, cm('d', { data: { a: '1' } }));
    expect(dry.code).toBe(201);
    expect(dry.body.data).toEqual({ a: '1' });
    await notStored(ns, 'configmaps', 'd');
    const created = await call('POST', base, cm('d', { data: { a: '1' } }));
    const rv = (created.body.metadata as { resourceVersion: string }).resourceVersion;
    const put = await call('PUT', `${base}/d?dryRun=All`, cm('d', { data: { a: '2' } }));
    expect(put.body.data).toEqual({ a: '2' });
    const patch = await call(
      'PATCH',
      `${base}/d?dryRun=All`,
      { data: { a: '3' } },
      'application/merge-patch+json',
    );
    expect(patch.body.data).toEqual({ a: '3' });
    const del = await call('DELETE', `${base}/d?dryRun=All`);
    expect(del.code).toBe(200);
    expect(del.body).toMatchObject({ kind: 'Status', status: 'Success' });
    const delBody = await call('DELETE', `${base}/d`, {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      dryRun: ['All'],
    });
    expect(delBody.code).toBe(200);
    const live = await call('GET', `${base}/d`);
    expect(live.body.data).toEqual({ a: '1' });
    expect((live.body.metadata as { resourceVersion: string }).resourceVersion).toBe(rv);
  });

  it('kubectl delete --dry-run=server leaves the object', async () => {
    const ns = await freshNamespace();
    await kubectl.ok(['create', 'configmap', 'kd', '-n', ns, '--from-literal=a=b']);
    const out = await kubectl.ok(['delete', 'configmap', 'kd', '-n', ns, '--dry-run=server']);
    expect(out).toContain('deleted (server dry run)');
    expect((await call('GET', `/api/v1/namespaces/${ns}/configmaps/kd`)).code).toBe(200);
  });

  it('an unknown dryRun value is the 422 of ValidateCreateOptions / ValidateDeleteOptions', async () => {
    const ns = await freshNamespace();
    const a = await call('POST', `/api/v1/namespaces/${ns}/configmaps?dryRun=Maybe`, cm('x'));
    expect(a.code).toBe(422);
    expect(a.body.message).toBe(
      'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: ["Maybe"]: supported values: "All"',
    );
    await notStored(ns, 'configmaps', 'x');
    await call('POST', `/api/v1/namespaces/${ns}/configmaps`, cm('x'));
    const d = await call('DELETE', `/api/v1/namespaces/${ns}/configmaps/x?dryRun=Maybe`);
    expect(d.code).toBe(422);
    expect(d.body.details).toMatchObject({ kind: 'DeleteOptions', group: 'meta.k8s.io' });
  });

  it('propagationPolicy must be Foreground/Background/Orphan and not combined with orphanDependents', async () => {
    const ns = await freshNamespace();
    await call('POST', `/api/v1/namespaces/${ns}/configmaps`, cm('p'));
    const bad = await call('DELETE', `/api/v1/namespaces/${ns}/configmaps/p?propagationPolicy=Sideways`);
    expect(bad.code).toBe(422);
    expect(bad.body.message).toBe(
      'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Sideways": supported values: "Foreground", "Background", "Orphan", "nil"',
    );
    const both = await call('DELETE', `/api/v1/namespaces/${ns}/configmaps/p`, {
      propagationPolicy: 'Background',
      orphanDependents: true,
    });
    expect(both.code).toBe(422);
    expect(both.body.details!.causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'propagationPolicy',
        message: 'Invalid value: "Background": orphanDependents and deletionPropagation cannot be both set',
      },
    ]);
    expect((await call('GET', `/api/v1/namespaces/${ns}/configmaps/p`)).code).toBe(200);
    // a body wins over the query (handlers/delete.go decodes the query only for an empty body)
    const bodyWins = await call(
      'DELETE',
      `/api/v1/namespaces/${ns}/configmaps/p?propagationPolicy=Sideways`,
      { propagationPolicy: 'Background', dryRun: ['All'] },
    );
    expect(bodyWins.code).toBe(200);
    // a negative grace period is accepted (BeforeDelete treats it as 1s)
    const grace = await call('DELETE', `/api/v1/namespaces/${ns}/configmaps/p`, { gracePeriodSeconds: -5 });
    expect(grace.code).toBe(200);
    await notStored(ns, 'configmaps', 'p');
  });

  it('delete preconditions fail as BeforeDelete words them', async () => {
    const ns = await freshNamespace();
    const created = await call('POST', `/api/v1/namespaces/${ns}/configmaps`, cm('pre'));
    const uid = (created.body.metadata as { uid: string }).uid;
    const a = await call('DELETE', `/api/v1/namespaces/${ns}/configmaps/pre`, {
      preconditions: { uid: 'nope' },
    });
    expect(a.code).toBe(409);
    expect(a.body.message).toBe(
      `Operation cannot be fulfilled on ConfigMap "pre": the UID in the precondition (nope) does not match the UID in record (${uid}). The object might have been deleted and then recreated`,
    );
  });
});
