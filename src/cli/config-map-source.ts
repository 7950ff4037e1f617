import type { Logger } from 'pino';
import { applyConfigMapUpdate } from '../config/apply-config-map-update.js';
import type { Config } from '../config/config.js';
import { type LoadConfigInput, loadConfig } from '../config/load-config.js';
import { LiveConfig } from '../controllers/live-config.js';
import { CONFIGMAPS } from '../core/builtin-types.js';
import { ConfigError } from '../core/errors.js';
import type { KubeObject } from '../core/types.js';
import { classifyApiError } from '../kube/api-errors.js';
import type { KubeClient } from '../kube/kube-client.js';
import { kubeListWatch } from '../kube/list-watch.js';
import { Informer } from '../runtime/informer.js';

/**
 * The configuration in force at start: flags, env and defaults, overlaid by the `--config-map` when one is
 * named. A config map that does not validate is logged and ignored (flags still hold); nothing is half-applied.
 */
export async function loadStartupConfig(
  client: KubeClient,
  input: LoadConfigInput,
  first: Config,
  log: Logger,
): Promise<{ config: LiveConfig; configMapData: Record<string, string> }> {
  if (!first.configMap) return { config: new LiveConfig(first), configMapData: {} };
  const data = (await readConfigMapData(client, first.configMap)) ?? {};
  try {
    return {
      config: new LiveConfig(loadConfig({ ...input, configMapData: data }).config),
      configMapData: data,
    };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    log.error({ problems: err.problems }, 'config map rejected at start; using flags, env and defaults');
    return { config: new LiveConfig(first), configMapData: data };
  }
}

/**
 * Hot reload: watches the config map and applies each accepted change as a whole (settings that need a
 * restart are named in a warning, an invalid map leaves the last good configuration in force).
 */
export function watchConfigMapReload(
  client: KubeClient,
  config: LiveConfig,
  input: LoadConfigInput,
  initialData: Record<string, string>,
  log: Logger,
  signal: AbortSignal,
): void {
  const ref = config.get().configMap;
  if (!ref) return;
  watchConfigMap(client, ref, initialData, signal, (data) => {
    try {
      const update = applyConfigMapUpdate(config.get(), input, data);
      if (update.rejectedStatic.length > 0) {
        log.warn(
          { settings: update.rejectedStatic },
          'config map changes these settings only after a restart',
        );
      }
      if (update.changed.length > 0) {
        log.info({ settings: update.changed }, 'configuration reloaded from config map');
        config.set(update.config);
      }
    } catch (err) {
      const problems = err instanceof ConfigError ? err.problems : [String(err)];
      log.error({ problems }, 'config map rejected; the last good configuration stays in force');
    }
  });
}

async function readConfigMapData(client: KubeClient, ref: string): Promise<Record<string, string> | null> {
  const [namespace, name] = ref.split('/') as [string, string];
  try {
    const cm = await client.request<KubeObject>({
      method: 'GET',
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps/${encodeURIComponent(name)}`,
      verb: 'get',
      resource: 'configmaps',
    });
    return (cm.data as Record<string, string> | undefined) ?? {};
  } catch (err) {
    const e = classifyApiError(err);
    if (e.reason === 'NotFound') return null;
    throw e;
  }
}

/** Watches the one ConfigMap; every change of its data is offered to `onData`. */
function watchConfigMap(
  client: KubeClient,
  ref: string,
  initialData: Record<string, string>,
  signal: AbortSignal,
  onData: (data: Record<string, string>) => void,
): void {
  const [namespace, name] = ref.split('/') as [string, string];
  const informer = new Informer<KubeObject>({
    listWatch: kubeListWatch<KubeObject>(client, CONFIGMAPS, { namespace }),
  });
  let last = JSON.stringify(initialData);
  const offer = (o: KubeObject) => {
    if (o.metadata.name !== name) return;
    const data = (o.data as Record<string, string> | undefined) ?? {};
    const text = JSON.stringify(data);
    if (text === last) return;
    last = text;
    onData(data);
  };
  informer.onAdd(offer);
  informer.onUpdate((_a, b) => offer(b));
  informer.onDelete((o) => offer({ ...o, data: {} }));
  informer.start(signal);
}
