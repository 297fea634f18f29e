import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';

/**
 * A fetch whose every request has a socket of its own (no keep-alive pool), for clients
 * that hold streams (SSE): aborting a stream then closes its socket at once, so no
 * connection outlives a test's server and `close()` does not wait on it.
 */
export const ownSocketFetch: typeof fetch = (input, init) =>
  new Promise((resolve, reject) => {
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    const req = httpRequest(String(input), { method: init?.method ?? 'GET', headers, agent: false });
    init?.signal?.addEventListener('abort', () =>
      req.destroy(Object.assign(new Error('aborted'), { name: 'AbortError' })),
    );
    req.on('response', (res) => {
      const h = new Headers();
      for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
      const status = res.statusCode ?? 0;
      const body = status === 204 || status === 304 ? null : (Readable.toWeb(res) as ReadableStream);
      resolve(new Response(body, { status, headers: h }));
    });
    req.on('error', reject);
    if (typeof init?.body === 'string') req.end(init.body);
    else req.end();
  });
