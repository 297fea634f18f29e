import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { HttpDeps } from '../deps.ts';
import { mediaBody, NoQuery, type RouteApp } from '../route-schema.ts';
import { Type } from '../type.ts';
import { requireSuperuser, superuserOnly } from '../viewer.ts';

const SummaryBody = Type.Object({
  requestsPerMinute: Type.Integer({ description: 'Requests answered in the last 60 seconds.' }),
  errorsPerMinute: Type.Integer({ description: 'Those of them answered with a 5xx status.' }),
  latencyMs: Type.Object(
    {
      p50: Type.Union([Type.Number(), Type.Null()]),
      p99: Type.Union([Type.Number(), Type.Null()]),
    },
    {
      description:
        "The last minute's latency quantiles (null without requests), interpolated within buckets.",
    },
  ),
  requests: Type.Integer({ description: 'Requests answered since the server started.' }),
  errors: Type.Integer({ description: 'Those of them answered with a 5xx status.' }),
  uptimeSeconds: Type.Integer(),
  db: Type.Object({
    dialect: Type.String(),
    sizeBytes: Type.Integer({ description: "Bytes the app's data takes." }),
    connections: Type.Integer(),
    busy: Type.Integer(),
    queued: Type.Integer({
      description: 'SQLite: write jobs waiting for the writer; PostgreSQL: clients waiting for the pool.',
    }),
  }),
  realtime: Type.Object({
    connections: Type.Integer(),
    sse: Type.Integer(),
    ws: Type.Integer(),
    subscriptions: Type.Integer(),
  }),
});

const tags = ['metrics'];

/** Compares in constant time (the digests have equal length whatever was sent). */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * `GET /metrics` (Prometheus text; superusers, or `Authorization: Bearer <metrics_token>`)
 * and `GET /api/metrics/summary` (JSON for the dashboard; superusers).
 */
export function metricsRoutes(app: RouteApp, { metrics, auth, config }: HttpDeps): void {
  const token = config.metricsToken;
  async function scraper(req: FastifyRequest): Promise<void> {
    const header = req.headers.authorization;
    if (token && header) {
      const given = header.startsWith('Bearer ') ? header.slice(7) : header;
      if (sameSecret(given, token)) return;
    }
    await requireSuperuser(req, auth);
  }
  app.get(
    '/metrics',
    {
      preValidation: scraper,
      schema: {
        summary: 'Prometheus metrics (superusers or the metrics token)',
        forgebase: true,
        description:
          'The text exposition format. Authorization: a superuser token, or `Bearer <metrics_token>` when config `metrics_token` is set.',
        tags,
        querystring: NoQuery,
        response: { 200: mediaBody('text/plain', 'Prometheus text format 0.0.4.') },
      },
    },
    async (_req, reply) => {
      const { contentType, text } = await metrics.scrape();
      return reply.type(contentType).send(text);
    },
  );
  app.get(
    '/api/metrics/summary',
    {
      preValidation: superuserOnly(auth),
      schema: {
        summary: "The dashboard's metrics summary (superusers)",
        forgebase: true,
        tags,
        querystring: NoQuery,
        response: { 200: SummaryBody },
      },
    },
    async () => metrics.summary(),
  );
}
