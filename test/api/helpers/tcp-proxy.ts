import { createConnection, createServer, type Socket } from 'node:net';

/** A TCP proxy in front of the API server that tests can cut or freeze, to drop connections for real. */
export interface TcpProxy {
  /** `https://127.0.0.1:<proxy port>`. */
  readonly url: string;
  /** Connections made through the proxy so far. */
  readonly connections: number;
  /** Resets every open connection (new ones are still forwarded). */
  cut(): void;
  /** Stops forwarding on every open connection without closing it (a silent network failure). */
  freeze(): void;
  close(): Promise<void>;
}

/** Starts a proxy on a loopback port chosen at run time, forwarding to `targetPort`. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let connections = 0;
  const server = createServer((client) => {
    connections++;
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `https://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    cut() {
      for (const [a, b] of [...pairs]) {
        a.resetAndDestroy();
        b.destroy();
      }
    },
    freeze() {
      for (const [a, b] of pairs) {
        a.unpipe();
        b.unpipe();
        a.pause();
        b.pause();
      }
    },
    async close() {
      for (const [a, b] of [...pairs]) {
        a.destroy();
        b.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
