import { createServer, type Server } from 'node:http';
import { isIP } from 'node:net';

/**
 * The plain-HTTP listener of a server that serves HTTPS (PocketBase's `--https` with
 * `--http`): a GET or HEAD is redirected to the same URL on the HTTPS port (302, as
 * PocketBase's autocert handler does), anything else is a 400, so that no credentials or
 * bodies are accepted in clear text.
 */
export function createHttpsRedirect(httpsPort: number): Server {
  return createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const body = JSON.stringify({ data: {}, message: 'Use HTTPS.', status: 400 });
      res.writeHead(400, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    const host = hostOnly(req.headers.host ?? '') || 'localhost';
    const authority = httpsPort === 443 ? host : `${host}:${httpsPort}`;
    res.writeHead(302, { location: `https://${authority}${req.url ?? '/'}`, 'content-length': 0 });
    res.end();
  });
}

/** The host of a Host header without its port (IPv6 kept in brackets); empty when malformed. */
function hostOnly(header: string): string {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?$/.exec(header.trim());
  if (!m) return '';
  const host = m[1]!;
  return host.startsWith('[') ? (isIP(host.slice(1, -1)) === 6 ? host : '') : host;
}
