import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { KubeObject } from '../../src/core/types.js';
import { type BenchServer, PREFIX } from '../lib/bench-cluster.js';
import { ControllerChild } from '../lib/controller-child.js';
import type { Launch } from '../lib/in-process-controller.js';
import { period, pollUntil } from '../lib/poll.js';
import { detail, figure, formatCounts, progress, WRITE_VERBS } from '../lib/report.js';

const NAMESPACES = 1000;
const RESYNC_MS = 2000;
const MB = 1024 * 1024;
const CRD = 'deploy/crds/mirrorpolicies.kubemirror.io.yaml';
const POLICIES = `/apis/${PREFIX}/v1alpha1/mirrorpolicies`;

export interface PolicyResult {
  policyWritesPerChange: number;
  annotatedWritesPerChange: number;
  policySteadyStateWrites: number;
  annotatedSteadyStateWrites: number;
  policyRssMb1k: number;
  annotatedRssMb1k: number;
  policyRssDeltaMb: number;
}

interface Measured {
  writes: number;
  secretWrites: number;
  steadyWrites: number;
  rssMb: number;
}

/**
 * MirrorPolicy against the annotated source it replaces (issue 26): one ~1 KiB Secret mirrored to 1,000
 * namespaces, once carrying `P/sync` itself, once untouched and selected by name by a MirrorPolicy; each on a
 * fresh server (the sandbox, or kube-apiserver), the controller in a child process. For each: RSS once synced (after a gc), writes for one
 * change of the Secret (minimum: one per mirror), and writes over two resync periods with nothing changing
 * (minimum 0). A policy's source must cost what an annotated one does.
 */
export async function policyScenario(
  launch: Launch,
  server: () => Promise<BenchServer>,
): Promise<PolicyResult> {
  const flags = [...launch.flags, '--resource-types=Secret.v1', `--resync-period=${RESYNC_MS}ms`];
  progress(`policy: one Secret to ${NAMESPACES} namespaces, annotated, then selected by a MirrorPolicy`);
  const annotated = await measure(server, { ...launch, flags }, 'annotated', (secret) => [
    {
      ...secret,
      metadata: {
        ...secret.metadata,
        labels: { [`${PREFIX}/enabled`]: 'true' },
        annotations: { [`${PREFIX}/sync`]: 'true', [`${PREFIX}/target-namespaces`]: 'p-*' },
      },
    },
  ]);
  const policy = await measure(server, { ...launch, flags }, 'policy', (secret) => [
    secret,
    {
      apiVersion: `${PREFIX}/v1alpha1`,
      kind: 'MirrorPolicy',
      metadata: { name: 'db-credentials', namespace: 'src' },
      spec: {
        resources: [{ apiVersion: 'v1', kind: 'Secret', names: [secret.metadata.name] }],
        targetNamespaces: ['p-*'],
      },
    },
  ]);
  const result: PolicyResult = {
    policyWritesPerChange: policy.secretWrites,
    annotatedWritesPerChange: annotated.secretWrites,
    policySteadyStateWrites: policy.steadyWrites,
    annotatedSteadyStateWrites: annotated.steadyWrites,
    policyRssMb1k: policy.rssMb,
    annotatedRssMb1k: annotated.rssMb,
    policyRssDeltaMb: Math.round((policy.rssMb - annotated.rssMb) * 10) / 10,
  };
  figure('policyWritesPerChange', policy.secretWrites, 'Secret writes for one change', NAMESPACES);
  figure('annotatedWritesPerChange', annotated.secretWrites, 'same, annotated source', NAMESPACES);
  detail(`all writes for the change: policy ${policy.writes}, annotated ${annotated.writes}`);
  figure('policySteadyStateWrites', policy.steadyWrites, 'writes over two resyncs', 0, '0');
  figure('annotatedSteadyStateWrites', annotated.steadyWrites, 'same, annotated source', 0, '0');
  figure('policyRssMb1k', policy.rssMb, `MB RSS, ${NAMESPACES} mirrors of a policy's Secret`);
  figure('annotatedRssMb1k', annotated.rssMb, `MB RSS, ${NAMESPACES} mirrors of an annotated Secret`);
  figure('policyRssDeltaMb', result.policyRssDeltaMb, 'MB policy - annotated', undefined, '≤ 5');
  return result;
}

async function measure(
  server: () => Promise<BenchServer>,
  launch: Launch,
  label: string,
  objects: (secret: KubeObject) => KubeObject[],
): Promise<Measured> {
  const cluster = await server();
  let child: ControllerChild | undefined;
  try {
    await cluster.seedNamespaces('p-', NAMESPACES);
    await cluster.apply(parse(readFileSync(CRD, 'utf8')) as KubeObject);
    await pollUntil(
      'MirrorPolicies served',
      () =>
        cluster.client
          .request({ method: 'GET', path: POLICIES, verb: 'list', resource: 'mirrorpolicies' })
          .then(
            () => true,
            () => false,
          ),
      (served) => served,
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    for (const o of objects(secret('v0'))) await cluster.apply(o);
    child = await ControllerChild.start(cluster.kubeconfigPath, launch.flags, launch);
    await child.settled(1, NAMESPACES, 300_000);
    const memory = await child.memory();

    // one change, counted from the reset to every mirror written and the queues idle
    const before = (await child.probe(NAMESPACES)).writesOk['update secrets'] ?? 0;
    const live = await cluster.client.request<KubeObject>({
      method: 'GET',
      path: '/api/v1/namespaces/src/secrets/db-credentials',
      verb: 'get',
      resource: 'secrets',
    });
    await cluster.requests.reset();
    const { resourceVersion: _rv, ...metadata } = live.metadata;
    await cluster.apply({ ...live, metadata, data: secret('v1').data });
    await pollUntil(
      `${NAMESPACES} mirror updates (${label})`,
      async () => (await child!.probe(NAMESPACES)).writesOk['update secrets'] ?? 0,
      (n) => n >= before + NAMESPACES,
      { timeoutMs: 120_000, intervalMs: 10 },
    );
    await child.settled(1, NAMESPACES, 120_000);
    const changeCounts = await cluster.requests.counts();
    const writes = await cluster.requests.total({ verbs: WRITE_VERBS });
    const secretWrites = await cluster.requests.total({ verbs: WRITE_VERBS, resources: ['secrets'] });
    detail(`${label}: requests for one change: ${formatCounts(changeCounts)}`);

    // nothing changing: two resync periods and the 10% jitter
    await cluster.requests.reset();
    await period(Math.ceil(2 * RESYNC_MS * 1.1) + 200);
    await child.settled(1, NAMESPACES, 120_000);
    const steadyWrites = await cluster.requests.total({ verbs: WRITE_VERBS });
    detail(`${label}: requests over two resyncs: ${formatCounts(await cluster.requests.counts())}`);
    await child.stop();
    child = undefined;
    return { writes, secretWrites, steadyWrites, rssMb: Math.round((memory.rss / MB) * 10) / 10 };
  } catch (err) {
    child?.kill();
    throw err;
  } finally {
    await cluster.stop();
  }
}

/** A ~1 KiB Secret as an operator makes it: its own labels, nothing of kubemirror's. */
function secret(version: string): KubeObject {
  const data: Record<string, string> = { version: Buffer.from(version).toString('base64') };
  for (let i = 0; i < 8; i++)
    data[`key-${i}`] = Buffer.from(`value-${i}-`.padEnd(96, String(i))).toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db-credentials', namespace: 'src', labels: { 'cnpg.io/cluster': 'db' } },
    type: 'Opaque',
    data,
  };
}
