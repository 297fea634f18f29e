import { createConnection, createServer, type Socket } from 'node:net';

/** A loopback TCP proxy whose connections a test can drop and refuse, on cue. */
export interface DropProxy {
  url: string;
  /** Destroys every open connection (both sides), as a network failure would. */
  dropAll(): void;
  /** While refusing, new connections are closed at once (the client keeps retrying). */
  refuse(on: boolean): void;
  /** Connections accepted so far. */
  accepted(): number;
  close(): Promise<void>;
}

/** Starts a proxy to `target` (`http://host:port`) on a random loopback port. */
export async function startDropProxy(target: string): Promise<DropProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  let refusing = false;
  let accepted = 0;
  const server = createServer((downstream) => {
    if (refusing) return void downstream.destroy();
    accepted++;
    const upstream = createConnection({ host: hostname, port: Number(port) });
    for (const s of [downstream, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    downstream.pipe(upstream);
    upstream.pipe(downstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const proxyPort = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${proxyPort}`,
    dropAll() {
      for (const s of sockets) s.resetAndDestroy();
    },
    refuse(on) {
      refusing = on;
    },
    accepted: () => accepted,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
