import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { parseResourceTypeList, resourceDenyReason } from '../core/resource-policy.js';
import { type ResourceType, resourceTypeId } from '../core/types.js';
import { DiscoveryManager } from '../kube/discovery.js';
import type { KubeClient } from '../kube/kube-client.js';
import { type Clock, sleep, systemClock } from '../runtime/clock.js';
import type { TypeSource } from './cluster-cache.js';
import type { LiveConfig } from './live-config.js';
import type { TypeEntry } from './watched-type.js';

/**
 * Denied kinds whose sources are still watched (label-filtered, so cheap) only to refuse them with a clear
 * status; high-churn kinds are left out so refusing them never costs the API server a busy watch.
 */
const NOT_WATCHED_WHEN_DENIED = new Set(['Event', 'Lease', 'Endpoints', 'EndpointSlice']);

/**
 * The watched types: discovery (or the explicit `--resource-types` list) through the DiscoveryManager,
 * refreshed every `discoveryInterval`, following config reloads of both settings.
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
  const manager = new DiscoveryManager({
    client: o.client,
    deny: (t, explicit) => resourceDenyReason(t, explicit),
    explicit: refs(o.config.get()),
    intervalMs: o.config.get().discoveryIntervalMs,
    clock,
    onChange: () => onChange?.(entries()),
    onError: (err) =>
      o.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'discovery problem'),
  });
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
    watch(signal, cb) {
      onChange = cb;
      o.config.onChange((next, prev) => {
        if (
          next.resourceTypes.join() !== prev.resourceTypes.join() ||
          next.discoveryIntervalMs !== prev.discoveryIntervalMs
        ) {
          manager.configure({ explicit: refs(next), intervalMs: next.discoveryIntervalMs });
        }
      });
      manager.start(signal);
    },
  };
}

function entry(type: ResourceType, denied: string | null): TypeEntry {
  return { id: resourceTypeId(type), type, denied };
}
