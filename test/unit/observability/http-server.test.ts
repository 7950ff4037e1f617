import { createServer } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type HttpServers,
  parseBindAddress,
  startHttpServers,
} from '../../../src/observability/http-server.js';
import { createMetrics } from '../../../src/observability/metrics.js';

const opened: HttpServers[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

function start(overrides: Partial<Parameters<typeof startHttpServers>[0]> = {}) {
  const registry = new Registry();
  createMetrics(registry).setLeader(true);
  const state = {
    ready: { ok: false, reason: 'caches not synced: Secret.v1' } as { ok: boolean; reason?: string },
  };
  const servers = startHttpServers({
    metricsAddress: '127.0.0.1:0',
    probeAddress: '127.0.0.1:0',
    registry,
    health: () => ({ ok: true }),
    ready: () => state.ready,
    leader: () => 'Leader: pod-a',
    status: () => ({ sources: [{ source: 'app/db', targets: 3, synced: 3 }] }),
    ...overrides,
  }).then((s) => {
    opened.push(s);
    return s;
  });
  return { servers, state };
}

describe('startHttpServers', () => {
  it('serves /metrics on the metrics address only', async () => {
    const s = await start().servers;
    expect(s.metricsAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(s.metricsAddress).not.toBe(s.probeAddress);
    const res = await fetch(`http://${s.metricsAddress}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toContain('kubemirror_leader 1');
    expect((await fetch(`http://${s.probeAddress}/metrics`)).status).toBe(404);
    expect((await fetch(`http://${s.metricsAddress}/healthz`)).status).toBe(404);
  });

  it('answers /readyz 503 with the reason until ready, then 200', async () => {
    const { servers, state } = start();
    const s = await servers;
    let res = await fetch(`http://${s.probeAddress}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe('caches not synced: Secret.v1\n');
    state.ready = { ok: true };
    res = await fetch(`http://${s.probeAddress}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok\n');
  });

  it('answers /healthz, /leader and /status', async () => {
    const s = await start({ health: () => ({ ok: false, reason: 'watch broken' }) }).servers;
    const health = await fetch(`http://${s.probeAddress}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.text()).toBe('watch broken\n');
    expect(await (await fetch(`http://${s.probeAddress}/leader`)).text()).toBe('Leader: pod-a\n');
    const status = await fetch(`http://${s.probeAddress}/status?x=1`);
    expect(status.headers.get('content-type')).toContain('application/json');
    expect(await status.json()).toEqual({ sources: [{ source: 'app/db', targets: 3, synced: 3 }] });
    expect((await fetch(`http://${s.probeAddress}/leader`, { method: 'POST' })).status).toBe(405);
  });

  it('answers 500 when a status callback throws, and keeps serving', async () => {
    const s = await start({
      status: () => {
        throw new Error('status broke');
      },
    }).servers;
    const res = await fetch(`http://${s.probeAddress}/status`);
    expect(res.status).toBe(500);
    expect((await fetch(`http://${s.probeAddress}/healthz`)).status).toBe(200);
  });

  it('serves everything on one listener when both addresses are the same port', async () => {
    const port = await freePort();
    const s = await start({ metricsAddress: `127.0.0.1:${port}`, probeAddress: `127.0.0.1:${port}` }).servers;
    expect(s.metricsAddress).toBe(`127.0.0.1:${port}`);
    expect(s.probeAddress).toBe(s.metricsAddress);
    expect((await fetch(`http://${s.probeAddress}/metrics`)).status).toBe(200);
    expect((await fetch(`http://${s.probeAddress}/healthz`)).status).toBe(200);
  });

  it('listens on all interfaces for :port', async () => {
    const port = await freePort();
    const s = await start({ metricsAddress: `:${port}`, probeAddress: '0' }).servers;
    expect(s.metricsAddress).toMatch(new RegExp(`:${port}$`));
    expect(s.probeAddress).toBe('');
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
  });

  it('rejects when a port is taken and closes what it opened', async () => {
    const first = await start().servers;
    const taken = first.probeAddress;
    await expect(start({ probeAddress: taken }).servers).rejects.toThrow(/EADDRINUSE/);
  });

  it('stops listening on close', async () => {
    const s = await start().servers;
    await s.close();
    await expect(fetch(`http://${s.probeAddress}/healthz`)).rejects.toThrow();
  });
});

describe('parseBindAddress', () => {
  it.each([
    [':8080', undefined, 8080],
    ['0.0.0.0:9090', '0.0.0.0', 9090],
    ['[::1]:0', '::1', 0],
    ['localhost:81', 'localhost', 81],
  ])('%s', (addr, host, port) => {
    expect(parseBindAddress(addr)).toEqual({ host, port });
  });
  it('rejects a bare port', () => {
    expect(() => parseBindAddress('8080')).toThrow(/not a bind address/);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
