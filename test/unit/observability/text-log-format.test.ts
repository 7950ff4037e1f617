import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/observability/logger.js';
import { formatLogLine, textDestination } from '../../../src/observability/text-log-format.js';

const TIME = /^\d\d:\d\d:\d\d\.\d{3} /;

function captureText(level = 'trace') {
  const chunks: string[] = [];
  const logger = createLogger({
    level,
    format: 'text',
    destination: { write: (s: string) => void chunks.push(s) },
  });
  return { logger, output: () => chunks.join(''), lines: () => chunks.join('').split('\n').slice(0, -1) };
}

describe('formatLogLine', () => {
  const at = new Date(2024, 4, 6, 12, 3, 4, 123).toISOString();
  const line = (o: Record<string, unknown>) =>
    formatLogLine(JSON.stringify({ level: 'info', time: at, pid: 42, hostname: 'box', ...o }));

  it('writes local time, level, message, then the other fields as key=value', () => {
    expect(
      line({ controller: 'source', namespace: 'team-a', name: 'db-credentials', kind: 'Secret', msg: 'x' }),
    ).toBe('12:03:04.123 INFO  x  controller=source namespace=team-a name=db-credentials kind=Secret\n');
    expect(line({ level: 'warn', msg: 'no fields' })).toBe('12:03:04.123 WARN  no fields\n');
    expect(line({ level: 'error', msg: 'e', n: 3, ok: false, none: null })).toBe(
      '12:03:04.123 ERROR e  n=3 ok=false none=null\n',
    );
  });

  it('flattens nested objects with dots and quotes values a reader could split wrongly', () => {
    expect(
      line({
        msg: 'mirror skipped',
        lease: { namespace: 'kube-system', name: 'kubemirror-leader' },
        why: 'namespace is terminating',
        eq: 'a=b',
        quote: 'say "hi"',
        empty: '',
        obj: {},
      }),
    ).toBe(
      '12:03:04.123 INFO  mirror skipped  lease.namespace=kube-system lease.name=kubemirror-leader ' +
        'why="namespace is terminating" eq="a=b" quote="say \\"hi\\"" empty="" obj={}\n',
    );
  });

  it('joins lists of plain values with commas and writes other lists as JSON', () => {
    expect(line({ msg: 'm', a: ['team-a', 'team-b'], b: [], c: ['has space'], d: [{ x: 1 }] })).toBe(
      '12:03:04.123 INFO  m  a=team-a,team-b b=[] c=["has space"] d=[{"x":1}]\n',
    );
  });

  it('cannot be made to print a second line by a message or a value, but shows stacks below, indented', () => {
    const out = line({
      msg: 'first\n12:00:00.000 INFO  forged',
      v: 'a\nb',
      err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at f (x.js:1:1)' },
    });
    expect(out).toBe(
      '12:03:04.123 INFO  first\\n12:00:00.000 INFO  forged  v="a\\nb" err.type=Error err.message=boom\n' +
        '    Error: boom\n' +
        '        at f (x.js:1:1)\n',
    );
  });

  it('passes a line that is not JSON on as it is', () => {
    expect(formatLogLine('not json')).toBe('not json\n');
  });
});

describe('textDestination', () => {
  it('writes each JSON line of a chunk as a text line, synchronously, and passes flushSync on', () => {
    const written: string[] = [];
    let flushed = 0;
    const out = { write: (s: string) => void written.push(s), flushSync: () => void flushed++ };
    const dest = textDestination(out);
    dest.write(
      `${JSON.stringify({ level: 'info', msg: 'a' })}\n${JSON.stringify({ level: 'info', msg: 'b' })}\n`,
    );
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/ INFO {2}a\n.* INFO {2}b\n$/);
    (dest as { flushSync?: () => void }).flushSync?.();
    expect(flushed).toBe(1);
  });
});

describe('createLogger({ format: "text" })', () => {
  it('writes human-readable lines, not JSON, with the bindings of child loggers', () => {
    const { logger, lines } = captureText();
    logger.child({ controller: 'source' }).info({ namespace: 'team-a', kind: 'Secret' }, 'mirror created');
    const [first] = lines();
    expect(lines()).toHaveLength(1);
    expect(() => JSON.parse(first!)).toThrow();
    expect(first).toMatch(TIME);
    expect(first!.slice(13)).toBe('INFO  mirror created  controller=source namespace=team-a kind=Secret');
  });

  it('honours the level and its changes at run time', () => {
    const { logger, lines } = captureText('warn');
    logger.info('dropped');
    logger.warn('kept');
    logger.level = 'debug';
    logger.debug('now kept');
    expect(lines().map((l) => l.slice(13))).toEqual(['WARN  kept', 'DEBUG now kept']);
  });

  it('writes errors with their stack below the line', () => {
    const { logger, lines } = captureText();
    logger.error({ err: new Error('write failed') }, 'reconcile failed');
    const [head, stack] = lines();
    expect(head).toMatch(/ERROR reconcile failed {2}err\.type=\w+ err\.message="write failed"$/);
    expect(stack).toBe('    Error: write failed');
  });
});
