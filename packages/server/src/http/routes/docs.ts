import { routesOf } from '../route-catalog.ts';
import { NoQuery, type RouteApp } from '../route-schema.ts';
import { Type } from '../type.ts';

/** `GET /api/docs/openapi.json`: generated from the registered routes on first request. */
export function docsRoutes(app: RouteApp): void {
  let body: string | undefined;
  app.get(
    '/api/docs/openapi.json',
    {
      schema: {
        summary: 'This document',
        tags: ['system'],
        forgebase: true,
        querystring: NoQuery,
        response: { 200: Type.Object({}, { additionalProperties: true }) },
      },
    },
    async (_req, reply) => {
      if (!body) {
        const { openApiDocument } = await import('../openapi/document.ts');
        const { version } = (await import('../../../package.json', { with: { type: 'json' } })).default;
        body = JSON.stringify(openApiDocument(routesOf(app), version));
      }
      return reply.type('application/json').send(body);
    },
  );
}
