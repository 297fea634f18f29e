import type { HttpDeps } from '../deps.ts';
import { listParams, QUERY } from '../query-params.ts';
import type { RouteApp } from '../route-schema.ts';
import { pageOf } from '../schemas.ts';
import { Type } from '../type.ts';
import { superuserOnly } from '../viewer.ts';

const Entry = Type.Object({
  seq: Type.Integer({ description: 'Position in the chain, from 1, without gaps.' }),
  created: Type.String({ description: 'When it happened (UTC, `2006-01-02 15:04:05.000Z`).' }),
  actor: Type.Object({
    type: Type.String({ description: '`superuser`, `record`, `apiKey`, `system` or `guest`.' }),
    id: Type.String(),
    collection: Type.String({ description: "The auth collection's name for superusers and records." }),
  }),
  action: Type.String({
    description: 'Dotted action name (`auth.signIn`, `collection.update` …; docs/audit.md).',
  }),
  target: Type.String(),
  ip: Type.String(),
  data: Type.Record(Type.String(), Type.Unknown(), { description: 'Details; secrets are redacted.' }),
  prevHash: Type.String({ description: "The previous entry's hash (64 zeros for the first)." }),
  hash: Type.String({ description: 'SHA-256 of prevHash and the canonical entry (hex).' }),
});

const EntryList = pageOf(Entry);

/** `GET /api/audit` (superusers): the audit chain, with PocketBase's list parameters. */
export function auditRoutes(app: RouteApp, { audit, auth }: HttpDeps): void {
  app.get(
    '/api/audit',
    {
      preValidation: superuserOnly(auth),
      schema: {
        summary: 'List audit entries, oldest first (superusers)',
        description:
          'Filter and sort over seq, created, actorType, actorId, actorCollection, action, target, ip, `data.*`, prevHash and hash. `forgebase audit verify` checks the chain.',
        tags: ['audit'],
        forgebase: true,
        querystring: Type.Object({
          page: QUERY.page,
          perPage: QUERY.perPage,
          sort: Type.Optional(
            Type.String({ description: 'Default `seq` (oldest first); `-seq` newest first.' }),
          ),
          filter: Type.Optional(
            Type.String({ description: "PocketBase's filter, e.g. `action ~ 'auth.' && ip = '10.0.0.1'`." }),
          ),
          fields: QUERY.fields,
          skipTotal: QUERY.skipTotal,
        }),
        response: { 200: EntryList },
      },
    },
    async (req) => {
      const params = listParams(req.query);
      return audit.list({ ...params, sort: params.sort || 'seq' });
    },
  );
}
