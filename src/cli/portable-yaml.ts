import { Document, Scalar, visit } from 'yaml';

/**
 * Plain scalars that some reader takes for something other than a string. YAML 1.1 readers (kubectl's
 * sigs.k8s.io/yaml, PyYAML) read y/n/yes/no/on/off as booleans, `<<` as a merge key and `=` as a value key;
 * go-yaml reads anything that strconv parses after dropping `_` as a number (0o17, 0x1F, 1_000, 0755), and
 * YAML 1.1 adds base-60 (1:20), timestamps (2001-12-14) and floats like 1.2.3. Rather than track each
 * reader's rules, every string that starts like a number (a digit, or a sign or dot before a digit) is quoted.
 */
const YAML11_WORDS = /^(y|yes|n|no|true|false|on|off|null|~|<<|=)$/i;
const NUMBER_LIKE = /^[-+]?\.?[0-9]|^[-+]?\.(inf|nan)$/i;
const MERGE_TAG = 'tag:yaml.org,2002:merge';

/** True when `s`, written as a plain scalar, could be read back as anything but the string `s`. */
export function needsQuotes(s: string): boolean {
  return YAML11_WORDS.test(s) || NUMBER_LIKE.test(s);
}

/**
 * YAML that every reader — YAML 1.1 or 1.2 — reads back as the same JSON value: the yaml package's own
 * YAML 1.1 quoting (booleans, nulls, base-60, timestamps), plus double quotes for every string
 * `needsQuotes` flags, keys included. Multi-line strings keep their block style (its content is never
 * type-resolved). Long strings are never folded.
 */
export function stringifyPortable(value: unknown): string {
  // the 1.1 schema's merge tag would print a `<<` string as a bare merge key, whatever its quoting
  const doc = new Document(value, {
    version: '1.1',
    customTags: (tags) => tags.filter((t) => !(typeof t === 'object' && t.tag === MERGE_TAG)),
  });
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && !node.value.includes('\n') && needsQuotes(node.value))
        node.type = Scalar.QUOTE_DOUBLE;
    },
  });
  return doc.toString({ lineWidth: 0 });
}
