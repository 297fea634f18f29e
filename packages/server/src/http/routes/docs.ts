import type { FastifyInstance } from 'fastify';

/** `GET /api/docs/openapi.json`: built on first request (its schemas load only then). */
export function docsRoutes(app: FastifyInstance): void {
  let body: string | undefined;
  app.get('/api/docs/openapi.json', async (_req, reply) => {
    if (!body) {
      const { openApiDocument } = await import('../openapi/document.ts');
      const { version } = (await import('../../../package.json', { with: { type: 'json' } })).default;
      body = JSON.stringify(openApiDocument(version));
    }
    reply.type('application/json').send(body);
  });
}
