import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface Check {
  ok: boolean;
  reason?: string;
  /** further lines of the body (e.g. other clusters, which never fail /readyz) */
  details?: readonly string[];
}

export interface HttpServersOptions {
  /** `host:port`, `:port` for all interfaces, port 0 for a free one, `0` to not serve metrics */
  metricsAddress: string;
  /** same forms; serves /healthz, /readyz, /leader and /status */
  probeAddress: string;
  registry: Registry;
  health: () => Check;
  ready: () => Check;
  /** `Leader: <identity>` or `Follower` */
  leader: () => string;
  /** JSON-serialisable coverage per source */
  status: () => unknown;
}

export interface HttpServers {
  /** bound `host:port` of /metrics, '' when disabled */
  metricsAddress: string;
  /** bound `host:port` of the probes, '' when disabled */
  probeAddress: string;
  close(): Promise<void>;
}

type Route = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/**
 * Starts the metrics and probe listeners (one listener when both addresses are the same). Resolves once both
 * listen; rejects (closing whatever was opened) when one cannot bind.
 */
export async function startHttpServers(opts: HttpServersOptions): Promise<HttpServers> {
  const metricsRoutes: Record<string, Route> = {
    '/metrics': async (_req, res) => {
      const body = await opts.registry.metrics();
      send(res, 200, body, opts.registry.contentType);
    },
  };
  const probeRoutes: Record<string, Route> = {
    '/healthz': (_req, res) => sendCheck(res, opts.health()),
    '/readyz': (_req, res) => sendCheck(res, opts.ready()),
    '/leader': (_req, res) => send(res, 200, `${opts.leader()}\n`),
    '/status': (_req, res) =>
      send(res, 200, `${JSON.stringify(opts.status(), null, 2)}\n`, 'application/json; charset=utf-8'),
  };

  // one listener per distinct address; two `:0` addresses are two listeners on two free ports
  const listeners: { addr: string; routes: Record<string, Route>; bound?: string }[] = [];
  for (const [addr, routes] of [
    [opts.metricsAddress, metricsRoutes],
    [opts.probeAddress, probeRoutes],
  ] as const) {
    if (addr === '0') continue;
    const shared = parseBindAddress(addr).port !== 0 && listeners.find((l) => l.addr === addr);
    if (shared) Object.assign(shared.routes, routes);
    else listeners.push({ addr, routes: { ...routes } });
  }

  const servers: Server[] = [];
  try {
    for (const l of listeners) {
      const server = createServer((req, res) => void handle(l.routes, req, res));
      servers.push(server);
      l.bound = await listen(server, l.addr);
    }
  } catch (err) {
    await Promise.all(servers.map(closeServer));
    throw err;
  }
  const where = (path: string) => listeners.find((l) => path in l.routes)?.bound ?? '';
  return {
    metricsAddress: where('/metrics'),
    probeAddress: where('/healthz'),
    close: async () => {
      await Promise.all(servers.map(closeServer));
    },
  };
}

async function handle(
  routes: Record<string, Route>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]!;
  const route = routes[path];
  try {
    if (!route) send(res, 404, 'not found\n');
    else if (req.method !== 'GET' && req.method !== 'HEAD') send(res, 405, 'method not allowed\n');
    else await route(req, res);
  } catch (err) {
    if (!res.headersSent) send(res, 500, `${err instanceof Error ? err.message : 'internal error'}\n`);
    else res.destroy();
  }
}

function sendCheck(res: ServerResponse, check: Check): void {
  const details = (check.details ?? []).map((l) => `${l}\n`).join('');
  if (check.ok) send(res, 200, `ok\n${details}`);
  else send(res, 503, `${check.reason ?? 'not ok'}\n${details}`);
}

function send(res: ServerResponse, code: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(code, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** Parses `:8080`, `host:8080`, `[::1]:8080`; an empty host means all interfaces. */
export function parseBindAddress(addr: string): { host: string | undefined; port: number } {
  const i = addr.lastIndexOf(':');
  const port = Number(addr.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`"${addr}" is not a bind address (expected host:port or :port)`);
  }
  const host = addr.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return { host: host === '' ? undefined : host, port };
}

function listen(server: Server, addr: string): Promise<string> {
  const { host, port } = parseBindAddress(addr);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const a = server.address() as AddressInfo;
      resolve(a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
