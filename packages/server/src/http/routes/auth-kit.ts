import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TSchema } from 'typebox';
import type { AuditInput } from '../../audit/audit-service.ts';
import type { AuthResult, SignInContext } from '../../auth/auth-service.ts';
import { ApiError } from '../../errors/api-error.ts';
import { SUPERUSERS } from '../../schema/collection.ts';
import { readBody } from '../body.ts';
import type { HttpDeps } from '../deps.ts';
import { expandParam, QUERY } from '../query-params.ts';
import { CollectionParam, NoContent, NoQuery, type RouteApp } from '../route-schema.ts';
import { AuthBody } from '../schemas.ts';
import { Type } from '../type.ts';
import { requestViewer } from '../viewer.ts';

/** The path parameters of an auth collection's routes. */
export const Params = Type.Object({ c: CollectionParam });

/** What a sign-in's answer may be shaped by, and the `mfaId` of a first factor (query or body). */
export const SignInQuery = Type.Object({
  expand: QUERY.expand,
  fields: QUERY.fields,
  mfaId: Type.Optional(Type.String({ description: 'The `mfaId` of a first factor (or in the body).' })),
});

export const MFA_NOTE =
  'With MFA enabled on the collection, a first factor answers 401 with `{mfaId}`; repeat with a different method and `mfaId` to finish.';

/** Text fields of an auth body; the auth service says which are missing (PocketBase's messages). */
export const textFields = (...names: string[]) =>
  Type.Object(Object.fromEntries(names.map((n) => [n, Type.Optional(Type.String())])));

type SignIn = (c: string, body: Record<string, unknown>, ctx: SignInContext) => Promise<AuthResult>;

/** The routes of one auth collection path: schemas, the sign-in context and the answer. */
export function authRouteKit(app: RouteApp, { auth, records, audit }: HttpDeps) {
  /** The request a sign-in runs in; `mfaId` may come in the query or the body (PocketBase). */
  async function signInContext(
    req: FastifyRequest,
    query: { mfaId?: string | undefined },
    body: Record<string, unknown>,
  ): Promise<SignInContext> {
    const mfaId = query.mfaId ? query.mfaId : body.mfaId;
    return {
      viewer: await requestViewer(req, auth, body),
      ip: req.clientIp,
      userAgent: req.headers['user-agent'],
      mfaId: typeof mfaId === 'string' && mfaId ? mfaId : undefined,
    };
  }

  /**
   * A first factor that needs a second answers 401 `{mfaId}` (PocketBase's shape); a
   * signed-in record is expanded (`?expand=`) as the record itself would see it.
   */
  async function sendAuth(reply: FastifyReply, query: { expand?: string | undefined }, result: AuthResult) {
    if ('mfaId' in result) return reply.status(401).send({ mfaId: result.mfaId });
    const expand = expandParam(query);
    if (expand) {
      const viewer = await auth.viewerFromToken(result.token);
      await records.expand(String(result.record.collectionId), [result.record], expand, viewer);
    }
    return reply.send(result);
  }

  const doc = (summary: string, description: string | undefined, forgebase: boolean) => ({
    summary,
    ...(description ? { description } : {}),
    tags: ['auth'],
    ...(forgebase ? { forgebase: true } : {}),
  });

  return {
    sendAuth,
    doc,
    /** `POST <path>`: reads the body, signs in, answers `{token, record}` (or 401 `{mfaId}`). */
    signIn(
      path: string,
      info: { summary: string; description?: string; forgebase?: boolean; body: TSchema; ok?: TSchema },
      run: SignIn,
    ) {
      app.post(
        `/api/collections/:c/${path}`,
        {
          schema: {
            ...doc(info.summary, info.description, info.forgebase ?? false),
            params: Params,
            querystring: SignInQuery,
            body: info.body,
            response: { 200: info.ok ?? AuthBody },
          },
        },
        async (req, reply) => {
          const body = await readBody(req);
          const ctx = await signInContext(req, req.query, body);
          const method = signInMethod(path);
          let result: AuthResult;
          try {
            result = await run(req.params.c, body, ctx);
          } catch (e) {
            // no write transaction to join: the failure is an entry of its own
            await audit.append({ ...signInFailure(method, req.params.c, body, e), ip: ctx.ip });
            throw e;
          }
          await audit.append({ ...signInSuccess(method, req.params.c, result), ip: ctx.ip });
          return sendAuth(reply, req.query, result);
        },
      );
    },
    /** `POST <path>` answering 204 (mail flows and confirmations). */
    noContent(
      path: string,
      info: { summary: string; description?: string; forgebase?: boolean; body: TSchema },
      run: (c: string, body: Record<string, unknown>, req: FastifyRequest) => Promise<unknown>,
    ) {
      app.post(
        `/api/collections/:c/${path}`,
        {
          schema: {
            ...doc(info.summary, info.description, info.forgebase ?? false),
            params: Params,
            querystring: NoQuery,
            body: info.body,
            response: { 204: NoContent },
          },
        },
        async (req, reply) => {
          await run(req.params.c, await readBody(req), req);
          return reply.status(204).send();
        },
      );
    },
  };
}

/** `auth-with-password` → `password`, `auth-anonymously` → `anonymous`, `upgrade-anonymous` as is. */
function signInMethod(path: string): string {
  if (path === 'auth-anonymously') return 'anonymous';
  return path.startsWith('auth-with-') ? path.slice('auth-with-'.length) : path;
}

/** The audit entry of a completed first factor: a sign-in, or the MFA step it now needs. */
function signInSuccess(method: string, collection: string, result: AuthResult): AuditInput {
  if ('mfaId' in result)
    return { action: 'auth.mfaRequired', target: collection, data: { method, mfaId: result.mfaId } };
  const r = result.record;
  const name = String(r.collectionName ?? collection);
  return {
    action: 'auth.signIn',
    actor: { type: name === SUPERUSERS ? 'superuser' : 'record', id: String(r.id), collection: name },
    target: `${name}/${String(r.id)}`,
    data: { method },
  };
}

/** The audit entry of a refused sign-in: who tried (the identity given), how, and the answer. */
function signInFailure(
  method: string,
  collection: string,
  body: Record<string, unknown>,
  e: unknown,
): AuditInput {
  const identity = typeof body.identity === 'string' ? body.identity.slice(0, 200) : undefined;
  return {
    action: 'auth.signInFailed',
    actor: { type: 'guest', id: '', collection: '' },
    target: collection,
    data: {
      method,
      ...(identity ? { identity } : {}),
      status: e instanceof ApiError ? e.status : 500,
    },
  };
}
