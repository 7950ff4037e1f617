import { formatDuration } from './duration.js';
import { SETTINGS, type Setting } from './settings.js';

const WIDTH = 100;
const INDENT = '      ';

/** The text of `kubemirror run --help`: every setting with its type, default, env name and ConfigMap key. */
export function renderHelp(): string {
  const lines = [
    'Usage: kubemirror run [flags]',
    '',
    'Runs the controller. Every setting is a flag, an environment variable, or a key of the ConfigMap',
    'named by --config-map. Precedence: flag > env > ConfigMap > default. Settings marked "live" are',
    'applied from a changed ConfigMap without a restart; the others need one. Flags take --name=value or',
    '--name value; booleans also take a bare --name. Durations: 500ms, 3s, 5m, 1h, 1m30s.',
    'Lists are comma-separated. Invalid configuration is reported all at once and nothing starts.',
    '',
    'Flags:',
  ];
  for (const s of SETTINGS) {
    lines.push(`  --${s.flag} ${s.type}`);
    lines.push(...wrap(s.help));
    const envs = [s.env, ...(s.envAliases ?? [])].join(', ');
    lines.push(`${INDENT}default: ${defaultText(s)}`);
    lines.push(
      `${INDENT}env: ${envs} | configmap: ${s.configMapKey ?? '-'} | ${s.hotReload ? 'live' : 'restart'}`,
    );
  }
  lines.push('  --help', `${INDENT}Show this help`);
  return `${lines.join('\n')}\n`;
}

function defaultText(s: Setting): string {
  if (s.defaultText) return s.defaultText;
  const v = s.default;
  if (s.type === 'duration') return formatDuration(v as number);
  if (Array.isArray(v)) return v.length ? v.join(',') : '(none)';
  if (v === '') return '""';
  return String(v);
}

function wrap(text: string): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && INDENT.length + line.length + 1 + word.length > WIDTH) {
      out.push(INDENT + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(INDENT + line);
  return out;
}
