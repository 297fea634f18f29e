import type { FastifyInstance } from 'fastify';
import { requireCapability, routeCapability } from '../auth/operator-roles.ts';
import type { HttpDeps } from './deps.ts';
import { viewerOf } from './viewer.ts';

/**
 * Two things every request needs from who sent it, in one place:
 * - the audit log's request context (client IP, viewer), so an entry appended anywhere
 *   while the request is served names its actor;
 * - the superuser roles: a signed-in superuser whose role lacks what the route needs
 *   (auth/operator-roles.ts) is refused with a 403 before the route runs. Other viewers
 *   are left to the route's own checks (so a guest still gets the route's 401).
 */
export function registerOperatorAccess(
  app: FastifyInstance,
  { audit, auth }: Pick<HttpDeps, 'audit' | 'auth'>,
): void {
  app.addHook('onRequest', async function auditContext(req) {
    audit.enterRequest({
      get ip() {
        return req.clientIp;
      },
      viewer: () => viewerOf(req, auth),
    });
  });
  app.addHook('preValidation', async function operatorRole(req) {
    const url = req.routeOptions.url;
    if (!url || !req.headers.authorization) return;
    const capability = routeCapability(req.method, url);
    // every role may read: a read needs no look at who is asking
    if (capability === 'read') return;
    requireCapability(await viewerOf(req, auth), capability);
  });
}
