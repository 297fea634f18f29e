import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../../errors/codes.ts';
import type { FunctionService } from '../../functions/function-service.ts';
import type { HttpDeps } from '../deps.ts';
import { routesOf } from '../route-catalog.ts';
import { NoQuery, type RouteApp } from '../route-schema.ts';
import { Type } from '../type.ts';
import { requestViewer, superuserOnly } from '../viewer.ts';

const tags = ['functions'];

const FunctionInfo = Type.Object({
  module: Type.String({ description: 'The file under fb_functions/, without its extension.' }),
  name: Type.String({ description: 'The export.' }),
  kind: Type.String({ description: 'query, mutation, action, route or hook.' }),
  isolated: Type.Boolean(),
  args: Type.Optional(Type.Unknown({ description: 'The JSON schema of the args.' })),
  method: Type.Optional(Type.String()),
  path: Type.Optional(Type.String()),
  collection: Type.Optional(Type.String()),
  event: Type.Optional(Type.String()),
});

/** `/hello/{name}` (a user route) or `/api/x/:id` (Fastify's form) as one comparable shape. */
const routeShape = (method: string, path: string) =>
  `${method} ${path.replace(/\{[^}]*\}|:\w+/g, '{}').replace(/\/+$/, '')}`;

/**
 * Server functions (docs/functions.md): `POST /api/functions/{module}/{export}` calls a query,
 * mutation or action with the JSON body as its args; `GET /api/functions` lists them
 * (superusers); each `route()` export is registered beside the built-in API, with the same
 * CORS, logs and rate limits (the server's hooks apply to every route).
 */
export function functionRoutes(app: RouteApp, { functions, auth }: HttpDeps): void {
  app.post(
    '/api/functions/*',
    {
      schema: {
        summary: 'Call a query, mutation or action with its args',
        tags,
        forgebase: true,
        params: Type.Object({
          '*': Type.String({
            description: 'The module (it may contain slashes), then the export: billing/invoices/create.',
          }),
        }),
        querystring: NoQuery,
        body: Type.Unknown({ description: 'The args (JSON).' }),
        response: { 200: Type.Unknown({ description: "The function's JSON result." }) },
      },
    },
    async (req, reply) => {
      const path = req.params['*'];
      const at = path.lastIndexOf('/');
      if (!functions || at <= 0) throw errors.notFound('The function was not found.');
      const args = req.body ?? {};
      const viewer = await requestViewer(req, auth, isObject(args) ? args : {});
      const result = await functions.call(path.slice(0, at), path.slice(at + 1), args, viewer);
      return reply.type('application/json').send(JSON.stringify(result ?? null));
    },
  );
  app.get(
    '/api/functions',
    {
      preValidation: superuserOnly(auth),
      schema: {
        summary: 'The registered functions: modules, exports, kinds and arg schemas (superusers)',
        tags,
        forgebase: true,
        querystring: NoQuery,
        response: { 200: Type.Object({ items: Type.Array(FunctionInfo) }) },
      },
    },
    async () => ({ items: functions?.list() ?? [] }),
  );
  if (functions) userRoutes(app, functions, auth);
}

function userRoutes(app: RouteApp, functions: FunctionService, auth: HttpDeps['auth']): void {
  const builtIn = new Map(routesOf(app).map((r) => [routeShape(r.method, r.url), `${r.method} ${r.url}`]));
  for (const r of functions.routes()) {
    const clash = builtIn.get(routeShape(r.method, r.path));
    if (clash)
      throw new Error(
        `functions: route ${r.method} ${r.path} of ${r.fn} clashes with the built-in route ${clash}`,
      );
    const names = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    const url = r.path.replace(/\{(\w+)\}/g, ':$1');
    app.route({
      method: r.method as 'GET',
      url,
      schema: {
        summary: `${r.fn} (server function)`,
        tags,
        forgebase: true,
        ...(names.length
          ? { params: Type.Object(Object.fromEntries(names.map((n) => [n, Type.String()]))) }
          : {}),
      },
      handler: async (req: FastifyRequest, reply: FastifyReply) => {
        const body = req.body ?? null;
        const viewer = await requestViewer(req, auth, isObject(body) ? body : {});
        const result = await functions.route(
          r.method,
          r.path,
          {
            method: req.method,
            path: req.url.split('?')[0]!,
            params: req.params as Record<string, string>,
            query: { ...(req.query as Record<string, unknown>) },
            headers: req.headers,
            body,
          },
          viewer,
        );
        if (result instanceof Response) {
          reply.status(result.status);
          for (const [k, v] of result.headers) reply.header(k, v);
          return reply.send(Buffer.from(await result.arrayBuffer()));
        }
        return reply.type('application/json').send(JSON.stringify(result ?? null));
      },
    });
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
