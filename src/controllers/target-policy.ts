import type { Config } from '../config/config.js';
import type { MirrorKeys } from '../core/keys.js';
import type { TargetPolicy } from '../core/targeting.js';

/** The targeting policy in force: the controller's namespace filters and limit from the live config. */
export function targetPolicy(cfg: Config, keys: MirrorKeys): TargetPolicy {
  return {
    keys,
    excludedNamespaces: cfg.excludedNamespaces,
    includedNamespaces: cfg.includedNamespaces,
    systemNamespaces: cfg.systemNamespaces,
    maxTargets: cfg.maxTargets,
  };
}
