import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createControlPlanePki } from '../control-plane/pki.js';
import { catalogue } from './catalogue.js';
import { GIZMO_CRD, WIDGET_CRD, WIDGET_GROUP } from './kinds.js';
import { type CaseResult, runCatalogue } from './runner.js';
import { send, type Target } from './transport.js';

/** What both servers need before the catalogue runs: the custom resources' definitions, served. */
export async function prepareServers(targets: Target[], timeoutMs = 60_000): Promise<void> {
  for (const t of targets) {
    for (const crd of [WIDGET_CRD, GIZMO_CRD]) {
      const r = await send(t, {
        method: 'POST',
        url: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
        headers: { 'Content-Type': 'application/json' },
        body: Buffer.from(JSON.stringify(crd)),
      });
      const name = (crd.metadata as { name: string }).name;
      if (r.code !== 201 && r.code !== 409) throw new Error(`${t.name}: creating the CRD ${name}: ${r.code}`);
    }
  }
  // served means a list answers 200 (kube-apiserver registers the resource shortly after Established)
  const served = ['v1/widgets', 'v1/gizmos', 'v1beta1/gizmos'].map((p) => `/apis/${WIDGET_GROUP}/${p}`);
  const deadline = Date.now() + timeoutMs;
  for (const t of targets) {
    for (const url of served) {
      for (;;) {
        const r = await send(t, { method: 'GET', url, headers: {} });
        if (r.code === 200) break;
        if (Date.now() > deadline) throw new Error(`${t.name}: ${url} not served after ${timeoutMs} ms`);
        await new Promise((res) => setTimeout(res, 100));
      }
    }
  }
}

/** Files the kubectl cases read, the same for both servers: a TLS key pair for `kubectl create secret tls`. */
export function writeFixtures(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const { ca } = createControlPlanePki({ days: 1 });
  writeFileSync(join(dir, 'tls.crt'), ca.cert);
  writeFileSync(join(dir, 'tls.key'), ca.key, { mode: 0o600 });
}

/** The whole catalogue against both servers (prepared), with the fixtures in `dir`. */
export async function runFidelity(
  real: Target,
  sandbox: Target,
  dir: string,
  opts: { concurrency?: number; filter?: (id: string) => boolean; salt?: string } = {},
): Promise<CaseResult[]> {
  const fixtures = join(dir, 'fixtures');
  writeFixtures(fixtures);
  await prepareServers([real, sandbox]);
  const cases = catalogue().filter((c) => (opts.filter ? opts.filter(c.id) : true));
  return runCatalogue(cases, real, sandbox, {
    concurrency: opts.concurrency ?? 8,
    fixtures,
    ...(opts.salt ? { salt: opts.salt } : {}),
  });
}
