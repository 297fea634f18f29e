import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthResult, SignInContext } from '../../auth/auth-service.ts';
import { readBody } from '../body.ts';
import type { HttpDeps } from '../deps.ts';
import { requestViewer, requireSuperuser, viewerOf } from '../viewer.ts';

type P = { Params: { c: string } };

/** The auth API of auth collections, on PocketBase's paths. */
export function authRoutes(app: FastifyInstance, { auth }: HttpDeps): void {
  /** The request a sign-in runs in; `mfaId` may come in the query or the body (PocketBase). */
  async function signInContext(req: FastifyRequest, body: Record<string, unknown>): Promise<SignInContext> {
    const q = req.query as Record<string, unknown>;
    const mfaId = typeof q.mfaId === 'string' && q.mfaId ? q.mfaId : body.mfaId;
    return {
      viewer: await requestViewer(req, auth, body),
      ip: req.ip,
      mfaId: typeof mfaId === 'string' && mfaId ? mfaId : undefined,
    };
  }

  /** A first factor that needs a second answers 401 `{mfaId}` (PocketBase's shape). */
  function sendAuth(reply: FastifyReply, result: AuthResult) {
    if ('mfaId' in result) return reply.status(401).send({ mfaId: result.mfaId });
    return reply.send(result);
  }

  const noContent = (reply: FastifyReply) => reply.status(204).send();

  app.get<P>('/api/collections/:c/auth-methods', async (req) => auth.authMethods(req.params.c));

  app.post<P>('/api/collections/:c/auth-with-password', async (req, reply) => {
    const body = await readBody(req);
    return sendAuth(reply, await auth.authWithPassword(req.params.c, body, await signInContext(req, body)));
  });

  app.post<P>('/api/collections/:c/auth-refresh', async (req) => {
    const token = String(req.headers.authorization ?? '')
      .replace(/^bearer\s+/i, '')
      .trim();
    return auth.refresh(req.params.c, await viewerOf(req, auth), token);
  });

  app.post<P>('/api/collections/:c/request-otp', async (req) =>
    auth.requestOtp(req.params.c, await readBody(req)),
  );

  app.post<P>('/api/collections/:c/auth-with-otp', async (req, reply) => {
    const body = await readBody(req);
    return sendAuth(reply, await auth.authWithOtp(req.params.c, body, await signInContext(req, body)));
  });

  app.post<P>('/api/collections/:c/request-verification', async (req, reply) => {
    await auth.requestVerification(req.params.c, await readBody(req));
    return noContent(reply);
  });

  app.post<P>('/api/collections/:c/confirm-verification', async (req, reply) => {
    await auth.confirmVerification(req.params.c, await readBody(req));
    return noContent(reply);
  });

  app.post<P>('/api/collections/:c/request-password-reset', async (req, reply) => {
    await auth.requestPasswordReset(req.params.c, await readBody(req));
    return noContent(reply);
  });

  app.post<P>('/api/collections/:c/confirm-password-reset', async (req, reply) => {
    await auth.confirmPasswordReset(req.params.c, await readBody(req));
    return noContent(reply);
  });

  app.post<P>('/api/collections/:c/request-email-change', async (req, reply) => {
    const body = await readBody(req);
    await auth.requestEmailChange(req.params.c, body, await viewerOf(req, auth));
    return noContent(reply);
  });

  app.post<P>('/api/collections/:c/confirm-email-change', async (req, reply) => {
    await auth.confirmEmailChange(req.params.c, await readBody(req));
    return noContent(reply);
  });

  app.post<{ Params: { c: string; id: string } }>('/api/collections/:c/impersonate/:id', async (req) => {
    await requireSuperuser(req, auth);
    return auth.impersonate(req.params.c, req.params.id, await readBody(req));
  });
}
