import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback in front of a real server, for faults the real server will not make on request: every
 * open connection cut at once (watches included), and a while with no connection accepted. TLS passes through
 * untouched (the serving certificate names 127.0.0.1, whatever the port).
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private refusing = false;
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = createServer((client) => {
      if (!proxy || proxy.refusing) {
        client.destroy();
        return;
      }
      const upstream = createConnection({ host: targetHost, port: targetPort });
      for (const s of [client, upstream]) {
        proxy.sockets.add(s);
        s.once('close', () => proxy?.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const addr = server.address();
    proxy = new TcpProxy(server, typeof addr === 'object' && addr ? addr.port : 0);
    return proxy;
  }

  /** `server` rewritten to go through the proxy */
  url(scheme = 'https'): string {
    return `${scheme}://127.0.0.1:${this.port}`;
  }

  /** Cuts every open connection; with `refuse`, also drops new ones until `accept()`. */
  cut(opts: { refuse?: boolean } = {}): void {
    if (opts.refuse) this.refusing = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  accept(): void {
    this.refusing = false;
  }

  async stop(): Promise<void> {
    this.cut({ refuse: true });
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
