import { isBackupRunning } from '../../backups/backup-service.ts';
import { possibleProxyHeader } from '../../tools/client-ip.ts';
import type { HttpDeps } from '../deps.ts';
import { NoQuery, type RouteApp } from '../route-schema.ts';
import { Type } from '../type.ts';
import { viewerOf } from '../viewer.ts';

const HealthBody = Type.Object({
  code: Type.Integer(),
  message: Type.String(),
  data: Type.Record(Type.String(), Type.Unknown()),
});

/**
 * `GET /api/health`, PocketBase's shape: `data` is empty, except for a superuser, who also
 * learns whether a backup may start now, the address the server sees for them and a
 * client-address header that hints at a reverse proxy.
 */
export function healthRoutes(app: RouteApp, { auth, config, backups }: HttpDeps): void {
  const message = 'API is healthy.';
  app.get(
    '/api/health',
    {
      schema: {
        summary: 'Health check',
        description:
          'For a superuser, `data` holds `canBackup`, `realIP` and `possibleProxyHeader` (PocketBase).',
        tags: ['system'],
        querystring: NoQuery,
        response: { 200: HealthBody },
      },
    },
    async (req) => {
      if (!(await viewerOf(req, auth)).superuser) return { message, code: 200, data: {} };
      return {
        message,
        code: 200,
        data: {
          canBackup: !isBackupRunning(backups),
          realIP: req.clientIp,
          possibleProxyHeader: possibleProxyHeader(req.headers, config.trustedProxyHeaders),
        },
      };
    },
  );
}
