import type { Config } from './config.js';
import { type LoadConfigInput, loadConfig } from './load-config.js';
import { SETTINGS } from './settings.js';

export interface ConfigMapUpdate {
  /** the configuration to use now: new hot-reloadable values, unchanged static ones */
  config: Config;
  /** hot-reloadable settings whose value changed */
  changed: (keyof Config)[];
  /** static settings the new ConfigMap would change; they keep their current value until a restart */
  rejectedStatic: (keyof Config)[];
}

/**
 * Recomputes the configuration with new ConfigMap data (flags and env still win). Throws ConfigError for the
 * whole update when any value is bad, so the caller keeps `current`. Never changes a static setting.
 */
export function applyConfigMapUpdate(
  current: Config,
  input: Omit<LoadConfigInput, 'configMapData'>,
  configMapData: Readonly<Record<string, string>>,
): ConfigMapUpdate {
  const next = loadConfig({ ...input, configMapData }).config;
  const merged: Record<string, unknown> = { ...current };
  const changed: (keyof Config)[] = [];
  const rejectedStatic: (keyof Config)[] = [];
  for (const s of SETTINGS) {
    if (sameValue(current[s.key], next[s.key])) continue;
    if (s.hotReload) {
      merged[s.key] = next[s.key];
      changed.push(s.key);
    } else {
      rejectedStatic.push(s.key);
    }
  }
  return { config: Object.freeze(merged) as unknown as Config, changed, rejectedStatic };
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}
