import { NoQuery, type RouteApp } from '../route-schema.ts';
import { Type } from '../type.ts';

const HealthBody = Type.Object({
  code: Type.Integer(),
  message: Type.String(),
  data: Type.Record(Type.String(), Type.Unknown()),
});

/** `GET /api/health`, PocketBase's shape. */
export function healthRoutes(app: RouteApp): void {
  const body = { message: 'API is healthy.', code: 200, data: {} };
  app.get(
    '/api/health',
    {
      schema: {
        summary: 'Health check',
        tags: ['system'],
        querystring: NoQuery,
        response: { 200: HealthBody },
      },
    },
    async () => body,
  );
}
