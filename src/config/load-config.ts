import { readFileSync } from 'node:fs';
import { ConfigError } from '../core/errors.js';
import { type Config, DEFAULT_CONFIG } from './config.js';
import { type ParsedValue, parseSetting } from './parse-setting.js';
import { SETTINGS, type Setting, settingByFlag } from './settings.js';

export { renderHelp } from './render-help.js';

export type ConfigSource = 'flag' | 'env' | 'configmap' | 'default';

export interface LoadConfigInput {
  /** the flags only, e.g. process.argv.slice(3) for `kubemirror run ...` */
  argv: readonly string[];
  /** the environment; the loader reads nothing else of the process */
  env: Readonly<Record<string, string | undefined>>;
  /** `data` of the --config-map ConfigMap, when it has been read */
  configMapData?: Readonly<Record<string, string>>;
  /** reads a file, undefined when it is missing; used for the service account namespace only */
  readFile?: (path: string) => string | undefined;
  /** whether stdout is a terminal (the CLI passes process.stdout.isTTY): logs default to text there, else JSON */
  stdoutIsTTY?: boolean;
}

export interface LoadedConfig {
  config: Config;
  sources: Readonly<Record<keyof Config, ConfigSource>>;
}

export const SERVICE_ACCOUNT_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/**
 * Builds the frozen Config: flag > env > ConfigMap > default. Every problem (unknown flag or ConfigMap key,
 * unparsable or out-of-range value, bad list entry) is collected and thrown at once as one ConfigError.
 * Values shadowed by a higher source are checked too. An empty env variable counts as unset.
 */
export function loadConfig(input: LoadConfigInput): LoadedConfig {
  const problems: string[] = [];
  const flags = parseArgv(input.argv, problems);
  const cm = input.configMapData ?? {};
  checkConfigMapKeys(cm, problems);

  const config: Record<string, ParsedValue> = {};
  const sources: Record<string, ConfigSource> = {};
  for (const s of SETTINGS) {
    const given = candidates(s, flags, input.env, cm);
    // values shadowed by a higher source are still checked, so a bad one cannot lurk until the flag goes
    for (const shadowed of given.slice(1)) {
      const r = parseSetting(s, shadowed.raw, shadowed.where);
      if (!r.ok) problems.push(...r.problems);
    }
    const picked = given[0];
    sources[s.key] = picked?.source ?? 'default';
    if (!picked) {
      const d = DEFAULT_CONFIG[s.key];
      config[s.key] = Array.isArray(d) ? Object.freeze([...d]) : d;
      continue;
    }
    const parsed = parseSetting(s, picked.raw, picked.where);
    if (parsed.ok) config[s.key] = parsed.value;
    else problems.push(...parsed.problems);
  }
  if (problems.length > 0) throw new ConfigError(problems);

  if (config.leaderElectionNamespace === '') {
    config.leaderElectionNamespace = podNamespace(input);
  }
  if (sources.logFormat === 'default' && input.stdoutIsTTY) config.logFormat = 'text';
  return {
    config: Object.freeze(config) as unknown as Config,
    sources: Object.freeze(sources) as Record<keyof Config, ConfigSource>,
  };
}

/** True when argv asks for --help / -h rather than a run. */
export function isHelpRequested(argv: readonly string[]): boolean {
  return argv.some((a) => a === '--help' || a === '-h');
}

interface Raw {
  raw: string;
  where: string;
  source: ConfigSource;
}

function parseArgv(argv: readonly string[], problems: string[]): Map<Setting, string> {
  const out = new Map<Setting, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--') || arg === '--') {
      problems.push(`unexpected argument "${arg}" (flags are written --name=value or --name value)`);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const setting = settingByFlag(name);
    if (!setting) {
      problems.push(`unknown flag --${name}`);
      if (eq < 0 && i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) i++;
      continue;
    }
    let raw: string;
    if (eq >= 0) raw = arg.slice(eq + 1);
    else if (setting.type === 'bool') {
      const next = argv[i + 1]?.toLowerCase();
      raw = next === 'true' || next === 'false' ? argv[++i]! : 'true';
    } else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) raw = argv[++i]!;
    else {
      problems.push(`--${name}: needs a value`);
      continue;
    }
    // a repeated list flag appends; any other repeated flag takes the last value
    const prev = out.get(setting);
    out.set(setting, setting.type === 'list' && prev !== undefined ? `${prev},${raw}` : raw);
  }
  return out;
}

function checkConfigMapKeys(cm: Readonly<Record<string, string>>, problems: string[]): void {
  for (const key of Object.keys(cm)) {
    if (SETTINGS.some((s) => s.configMapKey === key)) continue;
    const flagOnly = SETTINGS.find((s) => s.key === key || s.flag === key);
    problems.push(
      flagOnly && !flagOnly.configMapKey
        ? `ConfigMap key ${key}: --${flagOnly.flag} cannot be set from the ConfigMap`
        : `ConfigMap key ${key}: unknown setting${flagOnly?.configMapKey ? ` (did you mean ${flagOnly.configMapKey}?)` : ''}`,
    );
  }
}

/** Every value given for `s`, highest precedence first. */
function candidates(
  s: Setting,
  flags: Map<Setting, string>,
  env: Readonly<Record<string, string | undefined>>,
  cm: Readonly<Record<string, string>>,
): Raw[] {
  const out: Raw[] = [];
  const flag = flags.get(s);
  if (flag !== undefined) out.push({ raw: flag, where: `--${s.flag}`, source: 'flag' });
  const envName = [s.env, ...(s.envAliases ?? [])].find((n) => env[n] !== undefined && env[n] !== '');
  if (envName) out.push({ raw: env[envName]!, where: `env ${envName}`, source: 'env' });
  if (s.configMapKey && Object.hasOwn(cm, s.configMapKey)) {
    out.push({ raw: cm[s.configMapKey]!, where: `ConfigMap key ${s.configMapKey}`, source: 'configmap' });
  }
  return out;
}

function podNamespace(input: LoadConfigInput): string {
  const fromEnv = input.env.POD_NAMESPACE?.trim();
  if (fromEnv) return fromEnv;
  const read = input.readFile ?? readIfPresent;
  return read(SERVICE_ACCOUNT_NAMESPACE_FILE)?.trim() || 'default';
}

function readIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
