import { describe, expect, it } from 'vitest';
import {
  controllerLogger,
  createLogger,
  REDACTED,
  reconcileLogger,
  redactObject,
} from '../../../src/observability/logger.js';

// distinctive values that must never reach the output
const SECRET = 'c3VwZXItc2VjcmV0LXZhbHVl';
const PLAIN = 'plain-text-password-1234';
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.payload.sig';

function capture(level = 'trace') {
  const lines: string[] = [];
  const logger = createLogger({ level, destination: { write: (s: string) => void lines.push(s) } });
  return { logger, lines, output: () => lines.join('') };
}

function aSecret() {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'db',
      namespace: 'app',
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ data: { password: SECRET } }),
        team: 'payments',
      },
    },
    type: 'Opaque',
    data: { password: SECRET },
    stringData: { other: PLAIN },
  };
}

describe('createLogger redaction', () => {
  it('never writes Secret data however the object is logged', () => {
    const { logger, output } = capture();
    const secret = aSecret();
    logger.info(secret, 'top level');
    logger.info({ object: secret }, 'one level down');
    logger.info({ event: { old: secret, new: { object: secret } } }, 'nested');
    logger.info({ items: [secret, secret] }, 'in a list');
    logger.child({ object: secret }).info('as a binding');
    const err = new Error('write failed', { cause: { body: secret } });
    logger.error({ err }, 'with an error');
    const out = output();
    expect(out).not.toContain(SECRET);
    expect(out).not.toContain(PLAIN);
    expect(out).toContain('payments');
    expect(out).toContain('write failed');
  });

  it('masks tokens, authorization headers and kubeconfig content, in objects and messages', () => {
    const { logger, output } = capture();
    logger.info({ token: TOKEN, request: { headers: { Authorization: `Bearer ${TOKEN}` } } }, 'request');
    logger.info({ user: { bearerToken: TOKEN, 'client-key-data': TOKEN } }, 'user');
    logger.info(
      { config: `apiVersion: v1\nkind: Config\nusers:\n- user:\n    token: ${TOKEN}\n` },
      'kubeconfig',
    );
    logger.info(`calling with Bearer ${TOKEN}`);
    logger.warn({ kubeconfig: '/tmp/some/kubeconfig' }, 'path is redacted too');
    const out = output();
    expect(out).not.toContain(TOKEN);
    expect(out).toContain('calling with Bearer [Redacted]');
  });

  it('writes JSON lines with string levels and honours the level', () => {
    const { logger, lines } = capture('warn');
    logger.info('dropped');
    logger.warn({ n: 1 }, 'kept');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({ level: 'warn', msg: 'kept', n: 1 });
    expect(typeof line.time).toBe('string');
    logger.level = 'debug';
    logger.debug('now kept');
    expect(lines).toHaveLength(2);
  });
});

describe('child loggers', () => {
  it('put controller, resource, key and reconcileId on every line', () => {
    const { logger, lines } = capture();
    const log = reconcileLogger(controllerLogger(logger, 'source'), { resource: 'Secret.v1', key: 'app/db' });
    log.info('one');
    log.info('two');
    const [a, b] = lines.map((l) => JSON.parse(l));
    expect(a).toMatchObject({ controller: 'source', resource: 'Secret.v1', key: 'app/db', msg: 'one' });
    expect(a.reconcileId).toMatch(/^[0-9a-f]{12}$/);
    expect(b.reconcileId).toBe(a.reconcileId);
    const other = reconcileLogger(logger, { resource: 'Secret.v1', key: 'app/db', reconcileId: 'given' });
    other.info('three');
    expect(JSON.parse(lines[2]!).reconcileId).toBe('given');
  });
});

describe('redactObject', () => {
  it('keeps the shape and data keys but not the values, without touching the input', () => {
    const secret = aSecret();
    const safe = redactObject(secret);
    expect(safe.data).toEqual({ password: REDACTED });
    expect(safe.stringData).toEqual({ other: REDACTED });
    expect(safe.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toBe(REDACTED);
    expect(safe.metadata.name).toBe('db');
    expect(secret.data.password).toBe(SECRET);
    expect(JSON.stringify(safe)).not.toContain(SECRET);
  });

  it('handles cycles, class instances, buffers and errors', () => {
    class V1Secret {
      data = { k: SECRET };
    }
    const loop: Record<string, unknown> = { name: 'x', inner: new V1Secret(), raw: Buffer.from(SECRET) };
    loop.self = loop;
    const safe = redactObject(loop) as Record<string, unknown>;
    expect(safe.self).toBe('[Circular]');
    expect(safe.raw).toBe(REDACTED);
    expect(JSON.stringify(safe)).not.toContain(SECRET);
    const err = Object.assign(new Error('boom'), { reason: 'Forbidden', headers: { authorization: TOKEN } });
    const e = redactObject({ err }).err as unknown as Record<string, unknown>;
    expect(e).toMatchObject({ type: 'Error', message: 'boom', reason: 'Forbidden' });
    expect(JSON.stringify(e)).not.toContain(TOKEN);
  });
});
