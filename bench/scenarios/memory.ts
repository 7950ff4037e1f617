import type { BenchServer } from '../lib/bench-cluster.js';
import { type ChildMemory, ControllerChild } from '../lib/controller-child.js';
import type { Launch } from '../lib/in-process-controller.js';
import { pollUntil } from '../lib/poll.js';
import { detail, figure, progress } from '../lib/report.js';

const MB = 1024 * 1024;
const NAMESPACES = 500;

export interface MemoryResult {
  rssMbIdle: number;
  rssMb1k: number;
  rssMb10k: number;
  heapMb1k: number;
  heapMb10k: number;
  rssMb1kWhileCreating: number;
  rssMb10kWhileCreating: number;
  rssKbPerMirror: number;
  heapKbPerMirror: number;
  rssMb10kSmall?: number;
  rssMb10kLarge?: number;
  payloadRssRatio10k?: number;
}

export interface MemoryOptions {
  server: () => Promise<BenchServer>;
  /** also measure 10,000 mirrors of 64 KiB (640 MB of objects: the sandbox holds them, etcd would need more) */
  largePayload: boolean;
}

/** A 64 KiB value, as a CA bundle is. */
const LARGE = 'Q'.repeat(64 * 1024);

/**
 * RSS and heap of the controller alone (child process, after a full gc) managing 1,000 and 10,000 mirrors
 * (2 and 20 sources × 500 namespaces). Each size is measured twice: in the controller that just created the
 * mirrors, and in a fresh controller started over them once it has synced and gone idle (its steady state,
 * which is the reported figure).
 */
export async function memoryScenario(launch: Launch, opts: MemoryOptions): Promise<MemoryResult> {
  const cluster = await opts.server();
  progress(`memory: ${cluster.serverName} with ${NAMESPACES} namespaces, controller in a child process`);
  let child: ControllerChild | undefined;
  try {
    await cluster.seedNamespaces('m-', NAMESPACES);
    const addSources = async (from: number, to: number) => {
      for (let i = from; i < to; i++) await cluster.applySource(`mem-${i}`, 'm-*', 'v1');
    };

    child = await ControllerChild.start(cluster.kubeconfigPath, launch.flags, launch);
    await child.settled(0, NAMESPACES);
    const idle = await child.memory();
    report('idle (0 mirrors)', idle);

    await addSources(0, 2);
    await child.settled(2, NAMESPACES);
    const created1k = await child.memory();
    report('1,000 mirrors, just created', created1k);
    await child.stop();

    child = await ControllerChild.start(cluster.kubeconfigPath, launch.flags, launch);
    await child.settled(2, NAMESPACES);
    const warm1k = await child.memory();
    report('1,000 mirrors, fresh controller', warm1k);

    progress('memory: creating 9,000 more mirrors (20 sources × 500 namespaces)');
    await addSources(2, 20);
    await child.settled(20, NAMESPACES);
    const created10k = await child.memory();
    report('10,000 mirrors, just created', created10k);
    await child.stop();

    child = await ControllerChild.start(cluster.kubeconfigPath, launch.flags, launch);
    await child.settled(20, NAMESPACES);
    const warm10k = await child.memory();
    report('10,000 mirrors, fresh controller', warm10k);

    let warm10kLarge: ChildMemory | undefined;
    if (opts.largePayload) {
      await giveSourcesLargePayloads(cluster);
      await child.settled(20, NAMESPACES, 300_000);
      await child.stop();
      child = await ControllerChild.start(cluster.kubeconfigPath, launch.flags, launch);
      await child.settled(20, NAMESPACES, 300_000);
      warm10kLarge = await child.memory();
      report('10,000 × 64 KiB mirrors, fresh controller', warm10kLarge);
    }
    await child.stop();

    const result: MemoryResult = {
      rssMbIdle: round(idle.rss / MB),
      rssMb1k: round(warm1k.rss / MB),
      rssMb10k: round(warm10k.rss / MB),
      heapMb1k: round(warm1k.heapUsed / MB),
      heapMb10k: round(warm10k.heapUsed / MB),
      rssMb1kWhileCreating: round(created1k.rss / MB),
      rssMb10kWhileCreating: round(created10k.rss / MB),
      rssKbPerMirror: round((warm10k.rss - warm1k.rss) / 9000 / 1024),
      heapKbPerMirror: round((warm10k.heapUsed - warm1k.heapUsed) / 9000 / 1024),
      ...(warm10kLarge && {
        rssMb10kSmall: round(warm10k.rss / MB),
        rssMb10kLarge: round(warm10kLarge.rss / MB),
        payloadRssRatio10k: Number((warm10kLarge.rss / warm10k.rss).toFixed(3)),
      }),
    };
    figure('rssMb1k', result.rssMb1k, 'MB RSS at 1,000 mirrors', result.rssMbIdle, '< 100');
    figure('rssMb10k', result.rssMb10k, 'MB RSS at 10,000 mirrors', result.rssMbIdle, '< 250');
    figure('heapMb1k', result.heapMb1k, 'MB heap used at 1,000 mirrors');
    figure('heapMb10k', result.heapMb10k, 'MB heap used at 10,000 mirrors');
    figure('rssKbPerMirror', result.rssKbPerMirror, 'KB RSS per mirror (1k → 10k)', undefined, '≤ 1.5');
    if (result.rssMb10kLarge !== undefined && result.payloadRssRatio10k !== undefined) {
      figure('rssMb10kSmall', warm10k.rss / MB, 'MB RSS at 10,000 mirrors of ~1 KiB');
      figure('rssMb10kLarge', result.rssMb10kLarge, 'MB RSS at 10,000 mirrors of 64 KiB (640 MB of payload)');
      figure(
        'payloadRssRatio10k',
        result.payloadRssRatio10k,
        '× (64 KiB mirrors / ~1 KiB mirrors)',
        1,
        '≤ 1.15',
      );
    }
    figure('heapKbPerMirror', result.heapKbPerMirror, 'KB heap per mirror (1k → 10k)');
    detail('ratios above are to the idle controller (0 mirrors), the least memory it can use');
    if (!warm1k.gcExposed) detail('WARNING: gc not exposed in the child; figures include garbage');
    return result;
  } catch (err) {
    // a failed scenario must not leave its controller process behind
    child?.kill();
    throw err;
  } finally {
    await cluster.stop();
  }
}

/** Every source gets a 64 KiB value (640 MB of mirrors once they follow); waits until the mirrors have it. */
async function giveSourcesLargePayloads(cluster: BenchServer): Promise<void> {
  progress('memory: every source gets a 64 KiB value; the mirrors follow');
  const sources = (await cluster.listConfigMaps('kubemirror.io/enabled=true')).filter(
    (o) => o.metadata.namespace === 'src',
  );
  for (const o of sources) {
    const { resourceVersion: _rv, ...metadata } = o.metadata;
    await cluster.apply({ ...o, metadata, data: { ...(o.data as object), bundle: LARGE } });
  }
  const last = `m-${String(NAMESPACES - 1).padStart(3, '0')}`;
  await pollUntil(
    'the 64 KiB payload in the last namespace of every source',
    async () => {
      let n = 0;
      for (const o of sources) {
        const m = await cluster.getConfigMap(last, o.metadata.name).catch(() => null);
        if ((m?.data as Record<string, string> | undefined)?.bundle === LARGE) n++;
      }
      return n;
    },
    (n) => n === sources.length,
    { timeoutMs: 300_000, intervalMs: 500 },
  );
}

function report(what: string, m: ChildMemory): void {
  detail(
    `${what.padEnd(34)} rss ${(m.rss / MB).toFixed(1)} MB, heap used ${(m.heapUsed / MB).toFixed(1)} / ` +
      `total ${(m.heapTotal / MB).toFixed(1)} MB, external ${(m.external / MB).toFixed(1)} MB`,
  );
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
