import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../errors/api-error.ts';
import { errors } from '../../errors/codes.ts';
import type { HttpDeps } from '../deps.ts';
import { NoQuery, type RouteApp } from '../route-schema.ts';
import { Type } from '../type.ts';
import { viewerOf } from '../viewer.ts';

const tags = ['databases'];
const NameParam = Type.Object({ name: Type.String({ description: 'The database name.' }) });
const HranaErrorBody = Type.Object({ message: Type.String(), code: Type.Optional(Type.String()) });
const PipelineBody = Type.Object({
  baton: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  requests: Type.Array(Type.Unknown(), {
    description: 'Stream requests: execute, batch, sequence, describe, …',
  }),
});
const CursorBody = Type.Object({
  baton: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  batch: Type.Unknown({ description: 'A batch: `{ steps: [{ condition?, stmt }] }`.' }),
});
const PipelineAnswer = Type.Object({
  baton: Type.Union([Type.String(), Type.Null()]),
  base_url: Type.Null(),
  results: Type.Array(Type.Unknown()),
});

/** The codes Hrana clients see for the failures of the HTTP layer (no SQL ran). */
const STATUS_CODES: Record<number, string> = {
  400: 'HRANA_PROTO_ERROR',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'DATABASE_NOT_FOUND',
  413: 'RESPONSE_TOO_LARGE',
  503: 'UNAVAILABLE',
};

/**
 * Answers in Hrana's error shape `{message, code}` as `application/json` exactly: that is
 * what `@libsql/hrana-client` parses into a `LibsqlError` with that code (other content
 * types become a bare "HTTP status" error).
 */
function sendHranaError(
  err: Error & { status?: number; statusCode?: number; code?: string },
  req: FastifyRequest,
  reply: FastifyReply,
) {
  const hrana = err.name === 'HranaFailure';
  const status = hrana ? (err.status ?? 400) : err instanceof ApiError ? err.status : (err.statusCode ?? 500);
  if (status >= 500 && !(err instanceof ApiError)) req.log.error({ err }, 'database request failed');
  const body =
    status >= 500 && !(err instanceof ApiError)
      ? { message: 'Something went wrong while processing your request.', code: 'INTERNAL' }
      : { message: err.message, code: hrana ? err.code : (STATUS_CODES[status] ?? 'HRANA_PROTO_ERROR') };
  // a Buffer: Fastify would append `; charset=utf-8` to the type of a string
  return reply
    .status(status)
    .header('content-type', 'application/json')
    .send(Buffer.from(JSON.stringify(body)));
}

/**
 * libSQL's Hrana over HTTP (versions 2 and 3, JSON) at `/api/databases/{name}/`, so
 * `createClient({ url: 'http://host/api/databases/shop/', authToken })` of `@libsql/client`
 * works unchanged. Credentials: a superuser token, an API key with the databases scope, or
 * a database token of this database. Errors are Hrana's, not PocketBase's.
 */
export function databaseHranaRoutes(app: RouteApp, deps: HttpDeps): void {
  const { auth, databases } = deps;

  /** Who may open `name`, and whether only to read. 401 otherwise (another database's token too). */
  async function access(req: FastifyRequest, name: string) {
    const svc = await databases.get();
    const header = req.headers.authorization;
    const token = header?.replace(/^bearer\s+/i, '').trim() ?? '';
    if (token.startsWith('fbdb_')) {
      const grant = await svc.resolveToken(token);
      if (grant?.database === name) return { svc, access: grant };
    } else if (token) {
      const viewer = await viewerOf(req, auth);
      if (viewer.superuser || viewer.apiKey?.manageDatabases)
        return { svc, access: { database: name, readOnly: false } };
    }
    throw errors.unauthorized('The token is missing, invalid, expired or not for this database.');
  }

  app.register(async (ctx) => {
    const r: RouteApp = ctx.withTypeProvider();
    r.setErrorHandler((err, req, reply) => sendHranaError(err as Error, req, reply));
    for (const version of ['v2', 'v3'] as const) {
      r.get(
        `/api/databases/:name/${version}`,
        {
          schema: {
            summary: `Hrana over HTTP ${version}: version check`,
            tags,
            forgebase: true,
            protocol: 'hrana',
            params: NameParam,
            querystring: NoQuery,
            response: { 200: Type.String() },
          },
        },
        async (_req, reply) =>
          reply.type('text/plain').send(`Hello, this is ForgeBase's Hrana over HTTP ${version}`),
      );
      r.post(
        `/api/databases/:name/${version}/pipeline`,
        {
          schema: {
            summary: `Hrana over HTTP ${version}: run a pipeline of stream requests`,
            description:
              "libSQL's protocol (docs/databases.md): `{baton, requests}` → `{baton, base_url, results}`. Errors are `{message, code}`.",
            tags,
            forgebase: true,
            protocol: 'hrana',
            params: NameParam,
            querystring: NoQuery,
            body: PipelineBody,
            response: { 200: PipelineAnswer, '4xx': HranaErrorBody },
          },
        },
        async (req) => {
          const { svc, access: a } = await access(req, req.params.name);
          const tenant = await svc.tenant(req.params.name);
          return svc.hrana.pipeline(tenant, a, req.body as never);
        },
      );
    }
    r.post(
      '/api/databases/:name/v3/cursor',
      {
        schema: {
          summary: 'Hrana over HTTP v3: run a batch, rows streamed as newline-delimited JSON',
          tags,
          forgebase: true,
          protocol: 'hrana',
          params: NameParam,
          querystring: NoQuery,
          body: CursorBody,
          response: { 200: Type.String(), '4xx': HranaErrorBody },
        },
      },
      async (req, reply) => {
        const { svc, access: a } = await access(req, req.params.name);
        const tenant = await svc.tenant(req.params.name);
        const text = await svc.hrana.cursor(tenant, a, req.body as never);
        return reply.type('text/plain').send(text);
      },
    );
  });
}
