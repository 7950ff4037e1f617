import { type ParseArgsConfig, parseArgs } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface FlagCheck {
  /** --help or -h is among the flags (it wins over every problem) */
  help: boolean;
  /** every unknown flag, missing or unexpected value and stray argument, in argv order */
  problems: string[];
  /** the option names that were given, e.g. to report a missing required flag along with the rest */
  given: ReadonlySet<string>;
}

/**
 * What `parseArgs({ strict: true })` would reject, collected instead of thrown at the first one, so a command
 * reports every bad flag at once. Run it before the strict parse; when `problems` is empty that parse succeeds.
 */
export function checkFlags(args: readonly string[], options: Options): FlagCheck {
  const { tokens, values } = parseArgs({
    args: [...args],
    options,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const problems: string[] = [];
  let help = false;
  for (const t of tokens) {
    if (t.kind === 'positional') problems.push(`unexpected argument "${t.value}"`);
    if (t.kind !== 'option') continue;
    const spec = Object.hasOwn(options, t.name) ? options[t.name] : undefined;
    if (t.name === 'help' && spec) help = true;
    if (!spec) problems.push(`unknown flag ${t.rawName}`);
    else if (spec.type === 'string' && (t.value === undefined || (!t.inlineValue && t.value.startsWith('-'))))
      problems.push(`${t.rawName} needs a value`);
    else if (spec.type === 'boolean' && t.inlineValue) problems.push(`${t.rawName} takes no value`);
  }
  return { help, problems, given: new Set(Object.keys(values)) };
}
