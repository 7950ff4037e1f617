import { describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '../../../src/observability/logger.js';
import { formatLogLine } from '../../../src/observability/text-log-format.js';

/**
 * The text format is a rendering of the redacted JSON line, never of the logged object: whatever one format
 * hides, the other hides too. Each case below logs something secret both ways and compares.
 */

// distinctive values that must never reach either output
const SECRET_B64 = 'c3VwZXItc2VjcmV0LXZhbHVl';
const PLAIN = 'plain-text-password-1234';
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.payload.sig';
const KEY_DATA = 'LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ==';
const LEAKS = [SECRET_B64, PLAIN, TOKEN, KEY_DATA];

const aSecret = () => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: {
    name: 'db-credentials',
    namespace: 'team-a',
    annotations: {
      'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ data: { password: SECRET_B64 } }),
    },
  },
  data: { password: SECRET_B64 },
  stringData: { other: PLAIN },
});

const kubeconfig = `apiVersion: v1
kind: Config
users:
- name: admin
  user:
    token: ${TOKEN}
    client-key-data: ${KEY_DATA}
`;

const CASES: [string, (log: Logger) => void][] = [
  ['a Secret logged whole', (log) => log.info(aSecret(), 'source read')],
  ['a Secret one level down', (log) => log.info({ object: aSecret() }, 'mirror created')],
  ['a Secret as a child binding', (log) => log.child({ source: aSecret() }).info('reconciling')],
  ['Secrets in a list', (log) => log.debug({ items: [aSecret(), aSecret()] }, 'listed')],
  [
    'an API error that echoes the body sent',
    (log) => log.error({ err: new Error('422 Invalid', { cause: { body: aSecret() } }) }, 'write refused'),
  ],
  ['a bearer token in the message', (log) => log.warn(`retrying with Bearer ${TOKEN}`)],
  [
    'tokens and authorization headers',
    (log) =>
      log.info(
        {
          token: TOKEN,
          request: { headers: { authorization: `Bearer ${TOKEN}` } },
          user: { bearerToken: TOKEN },
        },
        'request',
      ),
  ],
  ['kubeconfig content', (log) => log.info({ cluster: 'west', config: kubeconfig }, 'cluster registered')],
  ['a kubeconfig field', (log) => log.info({ kubeconfig }, 'cluster credentials changed')],
  ['client key data', (log) => log.info({ user: { 'client-key-data': KEY_DATA } }, 'user')],
];

function logBoth(act: (log: Logger) => void): { json: string[]; text: string[] } {
  const out = { json: [] as string[], text: [] as string[] };
  for (const format of ['json', 'text'] as const) {
    const chunks: string[] = [];
    act(createLogger({ level: 'trace', format, destination: { write: (s: string) => void chunks.push(s) } }));
    out[format] = chunks.join('').split('\n').slice(0, -1);
  }
  return out;
}

/** how many of the distinctive secret values `s` contains, so a failure never prints one */
const leaked = (s: string) => LEAKS.filter((v) => s.includes(v)).length;

describe('text and JSON logs redact the same', () => {
  for (const [name, act] of CASES) {
    it(`hides ${name} in both formats, the text line being the redacted JSON line`, () => {
      const { json, text } = logBoth(act);
      expect(leaked(json.join('\n')), 'secret values in the JSON output').toBe(0);
      expect(leaked(text.join('\n')), 'secret values in the text output').toBe(0);
      expect(json.join('\n')).toContain('[Redacted]');
      // the same entries, the same censoring: text = the JSON line rendered (the time differs by a few ms)
      const rendered = json.flatMap((l) => formatLogLine(l).split('\n').slice(0, -1));
      const timeless = (ls: string[]) => ls.map((l) => l.replace(/^\d\d:\d\d:\d\d\.\d{3} /, ''));
      expect(timeless(text)).toEqual(timeless(rendered));
      const count = (ls: string[]) => ls.join('\n').split('[Redacted]').length - 1;
      expect(count(text)).toBe(count(json));
    });
  }

  it('shows what was redacted where, in text as in JSON', () => {
    const { json, text } = logBoth((log) => {
      log.info(aSecret(), 'source read');
      log.warn(`retrying with Bearer ${TOKEN}`);
      log.info({ kubeconfig }, 'cluster credentials changed');
    });
    const [secret, bearer, kc] = json.map((l) => JSON.parse(l));
    expect(secret).toMatchObject({ data: '[Redacted]', stringData: '[Redacted]' });
    expect(bearer.msg).toBe('retrying with Bearer [Redacted]');
    expect(kc.kubeconfig).toBe('[Redacted]');
    expect(text[0]).toContain(' data=[Redacted] stringData=[Redacted]');
    expect(text[0]).toContain(
      ' metadata.annotations.kubectl.kubernetes.io/last-applied-configuration=[Redacted]',
    );
    expect(text[1]).toMatch(/WARN {2}retrying with Bearer \[Redacted\]$/);
    expect(text[2]).toMatch(/INFO {2}cluster credentials changed {2}kubeconfig=\[Redacted\]$/);
  });
});
