import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import { clientIpOf, proxyList } from '../tools/client-ip.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The client's address: behind a trusted proxy (config `trustedProxies`), the one its
     * header names (settings `trustedProxy`); otherwise the socket's peer. Sign-in limits
     * are counted by it.
     */
    readonly clientIp: string;
  }
}

/** Adds `req.clientIp`, read from the current settings when first asked for. */
export function registerClientIp(app: FastifyInstance, config: Config): void {
  const proxies = proxyList(config.trustedProxies);
  app.decorateRequest('clientIp', {
    getter(this: { raw: { socket: { remoteAddress?: string | undefined } }; headers: any }) {
      return clientIpOf(this.raw.socket.remoteAddress ?? '', this.headers, {
        proxies,
        headers: config.trustedProxyHeaders,
        useLeftmostIp: config.trustedProxyUseLeftmostIp,
      });
    },
  });
}
