import { createConnection, createServer, type Socket } from 'node:net';

/** A loopback TCP proxy that drops one connection mid-stream (a network failure, on cue). */
export interface CutProxy {
  url: string;
  /** Bytes the cut connection had forwarded upstream when it was dropped (0 before). */
  cutAfter(): number;
  close(): Promise<void>;
}

/**
 * Forwards every connection to `target` (`http://host:port`); the first connection whose
 * client has sent more than `cutAt` bytes is destroyed on both sides, once. Later
 * connections pass through untouched.
 */
export async function startCutProxy(target: string, cutAt: number): Promise<CutProxy> {
  const { hostname, port } = new URL(target);
  let cut = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection({ host: hostname, port: Number(port) });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    let sent = 0;
    client.on('data', (chunk: Buffer) => {
      if (cut === 0 && sent + chunk.length > cutAt) {
        const part = chunk.subarray(0, cutAt - sent);
        cut = sent + part.length;
        // a reset, as when a network path breaks (a FIN would look like a finished body)
        upstream.write(part, () => upstream.resetAndDestroy());
        client.destroy();
        return;
      }
      sent += chunk.length;
      if (!upstream.write(chunk)) {
        client.pause();
        upstream.once('drain', () => client.resume());
      }
    });
    client.on('end', () => upstream.end());
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const proxyPort = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${proxyPort}`,
    cutAfter: () => cut,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
