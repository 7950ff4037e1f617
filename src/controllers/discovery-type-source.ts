import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { parseResourceTypeList, resourceDenyReason } from '../core/resource-policy.js';
import { type ResourceType, resourceTypeId } from '../core/types.js';
import { DiscoveryManager, type DiscoveryReport } from '../kube/discovery.js';
import type { KubeClient } from '../kube/kube-client.js';
import { type Clock, sleep, systemClock } from '../runtime/clock.js';
import type { TypeSource } from './cluster-cache.js';
import { CrdWatch, crdGroup } from './crd-watch.js';
import type { LiveConfig } from './live-config.js';
import type { TypeEntry } from './watched-type.js';

/**
 * Denied kinds whose sources are still watched (label-filtered, so cheap) only to refuse them with a clear
 * status; high-churn kinds are left out so refusing them never costs the API server a busy watch.
 */
const NOT_WATCHED_WHEN_DENIED = new Set(['Event', 'Lease', 'Endpoints', 'EndpointSlice']);

/**
 * The watched types: discovery (or the explicit `--resource-types` list) through the DiscoveryManager,
 * refreshed every `discoveryInterval`, following config reloads of both settings. A CRD that arrives or goes
 * triggers a refresh at once (crd-watch.ts): always with discovery, and with an explicit list while one of
 * its entries of a named group is not served yet. The periodic refresh stays the safety net (and the only
 * way aggregated APIs, which have no CRD, are found).
 */
export function discoveryTypeSource(o: {
  client: KubeClient;
  config: LiveConfig;
  log: Logger;
  clock?: Clock;
}): TypeSource {
  const clock = o.clock ?? systemClock;
  const refs = (cfg: Config) => parseResourceTypeList(cfg.resourceTypes).types;
  let onChange: ((types: TypeEntry[]) => void) | null = null;
  let onRefreshed: (() => void) | null = null;
  let watching: AbortSignal | null = null;
  const manager = new DiscoveryManager({
    client: o.client,
    deny: (t, explicit) => resourceDenyReason(t, explicit),
    explicit: refs(o.config.get()),
    intervalMs: o.config.get().discoveryIntervalMs,
    clock,
    onChange: () => onChange?.(entries()),
    onRefreshed: (report) => {
      crdWatchWanted(report);
      onRefreshed?.();
    },
    onError: (err) =>
      o.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'discovery problem'),
  });
  let served = new Set<string>();
  const crds = new CrdWatch({
    client: o.client,
    relevant: (name) => {
      const explicit = refs(o.config.get());
      return explicit.length === 0 || explicit.some((r) => r.group === crdGroup(name));
    },
    served: (name) => served.has(name),
    rediscover: () => manager.refreshSoon(),
    clock,
    log: o.log,
  });
  /** The CRD watch runs while a CRD could change the types: always when discovering, else for a deferred entry. */
  const crdWatchWanted = (report: DiscoveryReport) => {
    served = new Set(report.served);
    if (!watching || watching.aborted) return;
    const wanted = refs(o.config.get()).length === 0 || report.unresolved.some((u) => u.entry.group !== '');
    if (wanted) crds.start(watching);
    else if (crds.active()) void crds.stop();
  };
  const entries = (): TypeEntry[] => {
    const report = manager.lastReport();
    const out: TypeEntry[] = report.types.map((type) => entry(type, null));
    for (const d of report.denied) {
      if (d.type.namespaced && !NOT_WATCHED_WHEN_DENIED.has(d.type.kind)) out.push(entry(d.type, d.reason));
    }
    return out;
  };
  return {
    async initial(signal) {
      for (let delay = 500; ; delay = Math.min(delay * 2, 30_000)) {
        try {
          await manager.refresh();
          return entries();
        } catch (err) {
          o.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'discovery failed; retrying');
          await sleep(clock, delay, signal);
        }
      }
    },
    watch(signal, cb, refreshed) {
      onChange = cb;
      onRefreshed = refreshed ?? null;
      o.config.onChange((next, prev) => {
        if (
          next.resourceTypes.join() !== prev.resourceTypes.join() ||
          next.discoveryIntervalMs !== prev.discoveryIntervalMs
        ) {
          manager.configure({ explicit: refs(next), intervalMs: next.discoveryIntervalMs });
        }
      });
      manager.start(signal);
      watching = signal;
      crdWatchWanted(manager.lastReport());
    },
  };
}

function entry(type: ResourceType, denied: string | null): TypeEntry {
  return { id: resourceTypeId(type), type, denied };
}
