import type { FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import type { AuthService } from '../../auth/auth-service.ts';
import { errors } from '../../errors/codes.ts';
import type { HttpDeps } from '../deps.ts';
import { NoContent, NoQuery, type RouteApp } from '../route-schema.ts';
import { Type } from '../type.ts';
import { viewerOf } from '../viewer.ts';

const tags = ['databases'];
const NameParam = Type.Object({ name: Type.String({ description: 'The database name.' }) });

const Limits = {
  maxSizeBytes: Type.Optional(Type.Integer({ description: 'Size quota in bytes (default 1 GiB).' })),
  statementTimeoutMs: Type.Optional(
    Type.Integer({ description: 'A statement still producing rows after this is stopped (default 5000).' }),
  ),
  maxRows: Type.Optional(Type.Integer({ description: 'Rows one statement may return (default 10000).' })),
  idleTransactionMs: Type.Optional(
    Type.Integer({
      description: 'An idle interactive transaction is rolled back after this (default 10000).',
    }),
  ),
};

const DatabaseInfo = Type.Object({
  name: Type.String(),
  created: Type.String(),
  size: Type.Integer({ description: 'Bytes on disk (file and write-ahead log).' }),
  node: Type.String({ description: 'The node that holds the file.' }),
  maxSizeBytes: Type.Integer(),
  statementTimeoutMs: Type.Integer(),
  maxRows: Type.Integer(),
  idleTransactionMs: Type.Integer(),
});

const TokenInfo = Type.Object({
  id: Type.String(),
  database: Type.String(),
  readOnly: Type.Boolean(),
  expires: Type.String({ description: 'Empty when the token does not expire.' }),
  created: Type.String(),
});

const BackupInfo = Type.Object({ name: Type.String(), size: Type.Integer(), created: Type.String() });

/**
 * Superusers, or an API key with the `{ "databases": true }` scope (auth/api-keys.ts): 401
 * without credentials, 403 for others, before anything about the input.
 */
export function databasesAdmin(auth: AuthService): preValidationAsyncHookHandler {
  return async function databasesAdmin(req: FastifyRequest) {
    const viewer = await viewerOf(req, auth);
    if (viewer.superuser || viewer.apiKey?.manageDatabases) return;
    if (!viewer.authId && !viewer.apiKey)
      throw errors.unauthorized(
        'The request requires a superuser token or an API key with the databases scope.',
      );
    throw errors.forbidden('The authorized record is not allowed to perform this action.');
  };
}

/**
 * The databases management API (ForgeBase's own): create, list, view and delete tenant
 * databases, their tokens, backups and stats. The SQL itself is Hrana (databases-hrana.ts).
 */
export function databaseRoutes(app: RouteApp, { auth, audit, databases }: HttpDeps): void {
  const preValidation = databasesAdmin(auth);
  const svc = () => databases.get();
  app.post(
    '/api/databases',
    {
      preValidation,
      schema: {
        summary: 'Create a database',
        description:
          'An isolated SQLite database reached with libSQL clients at `/api/databases/{name}/`. `name` matches `^[a-z][a-z0-9_-]{0,62}$`; 409 when it exists.',
        tags,
        forgebase: true,
        querystring: NoQuery,
        body: Type.Object({ name: Type.Unknown({ description: 'The database name.' }), ...Limits }),
        response: { 200: DatabaseInfo },
      },
    },
    async (req) => (await svc()).create(req.body as Record<string, unknown>),
  );
  app.get(
    '/api/databases',
    {
      preValidation,
      schema: {
        summary: 'List the databases',
        tags,
        forgebase: true,
        querystring: NoQuery,
        response: { 200: Type.Array(DatabaseInfo) },
      },
    },
    async () => (await svc()).list(),
  );
  app.get(
    '/api/databases/:name',
    {
      preValidation,
      schema: {
        summary: 'View a database',
        tags,
        forgebase: true,
        params: NameParam,
        querystring: NoQuery,
        response: { 200: DatabaseInfo },
      },
    },
    async (req) => (await svc()).get(req.params.name),
  );
  app.delete(
    '/api/databases/:name',
    {
      preValidation,
      schema: {
        summary: 'Delete a database',
        description: 'Its file, backups and tokens are removed; clients of it get errors from then on.',
        tags,
        forgebase: true,
        params: NameParam,
        querystring: NoQuery,
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      await (await svc()).delete(req.params.name);
      return reply.status(204).send();
    },
  );
  app.post(
    '/api/databases/:name/tokens',
    {
      preValidation,
      schema: {
        summary: 'Create a database token',
        description:
          'A token that opens only this database (`Authorization: Bearer <token>`), read-only or not, optionally expiring `expiresIn` seconds from now. Shown once.',
        tags,
        forgebase: true,
        params: NameParam,
        querystring: NoQuery,
        body: Type.Object({
          readOnly: Type.Optional(Type.Boolean()),
          expiresIn: Type.Optional(Type.Integer({ description: 'Seconds until the token expires.' })),
        }),
        response: { 200: Type.Object({ ...TokenInfo.properties, token: Type.String() }) },
      },
    },
    async (req) => {
      const service = await svc();
      return audit.recorded(
        () => service.createToken(req.params.name, req.body ?? {}),
        (token) => ({
          action: 'database.token.issue',
          target: `${req.params.name}/${String(token.id)}`,
          data: { database: req.params.name, readOnly: token.readOnly, expires: token.expires },
        }),
      );
    },
  );
  app.get(
    '/api/databases/:name/tokens',
    {
      preValidation,
      schema: {
        summary: 'List the tokens of a database (without secrets)',
        tags,
        forgebase: true,
        params: NameParam,
        querystring: NoQuery,
        response: { 200: Type.Array(TokenInfo) },
      },
    },
    async (req) => (await svc()).listTokens(req.params.name),
  );
  app.delete(
    '/api/databases/:name/tokens/:id',
    {
      preValidation,
      schema: {
        summary: 'Revoke a database token',
        tags,
        forgebase: true,
        params: Type.Object({ name: Type.String(), id: Type.String() }),
        querystring: NoQuery,
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      const service = await svc();
      await audit.recorded(
        () => service.revokeToken(req.params.name, req.params.id),
        () => ({ action: 'database.token.revoke', target: `${req.params.name}/${req.params.id}` }),
      );
      return reply.status(204).send();
    },
  );
  app.post(
    '/api/databases/:name/backups',
    {
      preValidation,
      schema: {
        summary: 'Back up a database',
        description: "A consistent copy made with SQLite's online backup while writes go on.",
        tags,
        forgebase: true,
        params: NameParam,
        querystring: NoQuery,
        response: { 200: BackupInfo },
      },
    },
    async (req) => (await svc()).backup(req.params.name),
  );
  app.get(
    '/api/databases/:name/backups',
    {
      preValidation,
      schema: {
        summary: 'List the backups of a database, newest first',
        tags,
        forgebase: true,
        params: NameParam,
        querystring: NoQuery,
        response: { 200: Type.Array(BackupInfo) },
      },
    },
    async (req) => (await svc()).listBackups(req.params.name),
  );
  app.post(
    '/api/databases/:name/backups/:backup/restore',
    {
      preValidation,
      schema: {
        summary: 'Restore a database from one of its backups',
        description: 'Open streams and their transactions end; clients reconnect to the restored data.',
        tags,
        forgebase: true,
        params: Type.Object({ name: Type.String(), backup: Type.String() }),
        querystring: NoQuery,
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      await (await svc()).restore(req.params.name, req.params.backup);
      return reply.status(204).send();
    },
  );
  app.get(
    '/api/databases/:name/stats',
    {
      preValidation,
      schema: {
        summary: 'Statistics of a database',
        description:
          'Size, tables, and since the database was opened on this node: statements, errors, p50/p99 latency.',
        tags,
        forgebase: true,
        params: NameParam,
        querystring: NoQuery,
        response: {
          200: Type.Object({
            name: Type.String(),
            size: Type.Integer(),
            tables: Type.Integer(),
            queries: Type.Integer(),
            errors: Type.Integer(),
            p50Ms: Type.Unsafe<number>({ type: 'number' }),
            p99Ms: Type.Unsafe<number>({ type: 'number' }),
            openStreams: Type.Integer(),
          }),
        },
      },
    },
    async (req) => (await svc()).stats(req.params.name),
  );
}
