import type { Config } from '../config/config.js';
import type { DecideConfig } from '../core/decide.js';
import { DEFAULT_FIGHT_POLICY, type FightPolicy } from '../core/fights.js';
import type { MirrorKeys } from '../core/keys.js';
import type { TargetPolicy } from '../core/targeting.js';
import { DEFAULT_TRANSFORM_LIMITS, type TransformLimits } from '../core/transform/index.js';

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

/** The settings a source decision reads (core/decide.ts), from the live config. */
export function decideConfig(cfg: Config, keys: MirrorKeys): DecideConfig {
  return {
    keys,
    policy: targetPolicy(cfg, keys),
    sourceNamespaces: cfg.sourceNamespaces,
    finalizers: cfg.finalizers,
    stripKeys: cfg.stripKeys,
    clusterName: cfg.clusterName,
  };
}

export function transformLimits(cfg: Config): TransformLimits {
  return {
    ...DEFAULT_TRANSFORM_LIMITS,
    maxRules: cfg.transformMaxRules,
    maxBytes: cfg.transformMaxBytes,
    renderTimeoutMs: cfg.transformRenderTimeoutMs,
  };
}

/**
 * How fights are backed off (core/fights.ts): repairs wait up to the resync period; the window is a tenth of it
 * and the first hold a fifth, at most 1 and 2 minutes (the defaults, with the default 10m resync). Everything
 * scales with the resync period, so a short resync (tests, the bench) runs the same fight faster.
 */
export function fightPolicy(cfg: Config): FightPolicy {
  const step = Math.min(DEFAULT_FIGHT_POLICY.windowMs, Math.max(1, Math.floor(cfg.resyncPeriodMs / 10)));
  return { ...DEFAULT_FIGHT_POLICY, windowMs: step, baseMs: 2 * step, maxMs: cfg.resyncPeriodMs };
}
