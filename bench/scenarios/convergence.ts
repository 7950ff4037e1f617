import { annotatedSource, gadgetCrd } from '../../test/helpers/convergence-fixtures.js';
import { BenchCluster } from '../lib/bench-cluster.js';
import { InProcessController, type Launch } from '../lib/in-process-controller.js';
import { period, pollUntil } from '../lib/poll.js';
import { detail, figure, formatCounts, progress, WRITE_VERBS } from '../lib/report.js';

/**
 * Convergence on a server that changes what it is sent (issue 12), on its own sandbox:
 * - steadyStateWritesDefaultedKinds: Services, Deployments and custom resources whose CRD defaults fields, and
 *   ConfigMaps in a namespace whose mutating webhook labels them, mirrored into TARGETS namespaces each; the
 *   Deployment controller's revision annotation is kept on every copy by a field-owner double. Writes over two
 *   resync periods once in sync (minimum 0).
 * - fightWritesPerHour: a field-owner double that rewrites one mirror after every write of ours. Every fight
 *   timing scales with the resync period (fightPolicy), so an hour at the default 10m resync is
 *   3600 s × RESYNC_MS / 600 s here (12 s at 2 s): the writes to that mirror in that window are the first hour
 *   of a fight at the defaults, ramp included (minimum 0 if kubemirror gave up; goal ≤ 10).
 */
const TARGETS = 20;
const RESYNC_MS = 2000;
const DEFAULT_RESYNC_MS = 600_000;
const source = (apiVersion: string, kind: string, name: string, body: object, targets: string) =>
  annotatedSource(apiVersion, kind, 'cv-src', name, body, targets);

export async function convergenceScenario(
  launch: Launch,
): Promise<{ steadyStateWritesDefaultedKinds: number; fightWritesPerHour: number }> {
  const cluster = await BenchCluster.start();
  const stops: Array<() => void> = [];
  let ctl: InProcessController | null = null;
  try {
    await cluster.sandbox.applyManifest({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'cv-src' },
    });
    for (let i = 0; i < TARGETS; i++)
      await cluster.sandbox.applyManifest({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: `cv-${i}`, labels: { inject: 'true' } },
      });
    await cluster.sandbox.applyManifest({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fight' } });
    await cluster.sandbox.applyManifest(gadgetCrd());
    stops.push(
      cluster.sandbox.faults.admission({
        resource: 'configmaps',
        namespaceSelector: 'inject=true',
        labels: { 'webhook.example.com/injected': 'yes' },
      }),
    );
    const revision = cluster.sandbox.faults.fieldOwner({
      resource: 'deployments',
      group: 'apps',
      manager: 'kube-controller-manager',
      annotation: 'deployment.kubernetes.io/revision',
      value: (o) => (o.metadata.namespace === 'cv-src' ? '7' : '1'),
    });
    stops.push(() => revision.stop());
    const targets = 'cv-*';
    const sources = [
      source(
        'v1',
        'Service',
        'web',
        { spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] } },
        targets,
      ),
      source(
        'apps/v1',
        'Deployment',
        'web',
        {
          spec: {
            selector: { matchLabels: { app: 'web' } },
            template: {
              metadata: { labels: { app: 'web' } },
              spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
            },
          },
        },
        targets,
      ),
      source('cv.example.com/v1', 'Gadget', 'g', { spec: { size: 3 } }, targets),
      source('v1', 'ConfigMap', 'settings', { data: { level: 'info' } }, targets),
    ];
    for (const s of sources) await cluster.sandbox.applyManifest(s);
    progress(
      `convergence: ${sources.length} defaulted/mutated kinds × ${TARGETS} namespaces, resync ${RESYNC_MS} ms`,
    );
    ctl = await InProcessController.start(
      cluster.kubeconfigPath,
      [
        ...launch.flags,
        `--resync-period=${RESYNC_MS}ms`,
        '--resource-types=ConfigMap.v1,Service.v1,Deployment.v1.apps,Gadget.v1.cv.example.com',
      ],
      launch,
    );
    const synced = async () => {
      const lines: string[] = [];
      for (const s of sources) {
        const o = await cluster.client.request<{ metadata: { annotations?: Record<string, string> } }>({
          method: 'GET',
          path: pathOf(s.apiVersion, s.kind, 'cv-src', s.metadata.name),
          verb: 'get',
          resource: 'bench',
        });
        lines.push(o.metadata.annotations?.['kubemirror.io/sync-status'] ?? '');
      }
      return lines;
    };
    await pollUntil('every defaulted kind mirrored', synced, (l) =>
      l.every((x) => x === `Synced ${TARGETS}/${TARGETS}`),
    );
    // one settling resync, then two measured ones
    await period(RESYNC_MS * 1.1);
    const before = (await ctl.probe(TARGETS)).reconciles.source ?? 0;
    cluster.sandbox.requests.reset();
    await period(Math.ceil(2 * RESYNC_MS * 1.1) + 200);
    const writes = cluster.sandbox.requests.total({ verbs: WRITE_VERBS });
    const ran = ((await ctl.probe(TARGETS)).reconciles.source ?? 0) - before;
    figure('steadyStateWritesDefaultedKinds', writes, 'writes over 2 resyncs', 0, '0');
    detail(`source reconciles in the window: ${ran} (${sources.length} sources: the resyncs ran)`);
    detail(`requests in the window: ${formatCounts(cluster.sandbox.requests.counts())}`);

    // the fight
    await cluster.sandbox.applyManifest(
      source('v1', 'ConfigMap', 'contested', { data: { k: 'v' } }, 'fight'),
    );
    await pollUntil(
      'the contested mirror',
      () => cluster.mirrorsOf('contested'),
      (m) => m.length === 1,
    );
    await period(RESYNC_MS * 1.1);
    const hourMs = Math.round((3600_000 * RESYNC_MS) / DEFAULT_RESYNC_MS);
    cluster.sandbox.requests.reset();
    const owner = cluster.sandbox.faults.fieldOwner({
      resource: 'configmaps',
      namespaceSelector: 'kubernetes.io/metadata.name=fight',
      manager: 'rev-bot',
      annotation: 'example.com/owned',
      value: 'theirs',
    });
    await period(hourMs);
    owner.stop();
    const counts = cluster.sandbox.requests.counts();
    const fightWrites = (counts['update configmaps'] ?? 0) + (counts['create configmaps'] ?? 0);
    figure(
      'fightWritesPerHour',
      fightWrites,
      'writes to the fought mirror in the first hour',
      undefined,
      '≤ 10',
    );
    detail(
      `${hourMs} ms here = 1 h at the default 10m resync; the other writer wrote ${owner.writes} times; without backoff each side writes at API speed`,
    );
    return { steadyStateWritesDefaultedKinds: writes, fightWritesPerHour: fightWrites };
  } finally {
    for (const s of stops) s();
    await ctl?.stop();
    await cluster.stop();
  }
}

function pathOf(apiVersion: string, kind: string, ns: string, name: string): string {
  const plural = `${kind.toLowerCase()}s`;
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return `${base}/namespaces/${ns}/${plural}/${name}`;
}
