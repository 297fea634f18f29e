import type { FastifyInstance } from 'fastify';

/** `GET /api/health`, PocketBase's shape. */
export function healthRoutes(app: FastifyInstance): void {
  const body = { message: 'API is healthy.', code: 200, data: {} };
  app.get('/api/health', async () => body);
}
