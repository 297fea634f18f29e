import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthResult, SignInContext } from '../../auth/auth-service.ts';
import { readBody } from '../body.ts';
import type { HttpDeps } from '../deps.ts';
import { expandParam } from '../query-params.ts';
import { requestViewer, requireSuperuser, viewerOf } from '../viewer.ts';

type P = { Params: { c: string } };

/** The auth API of auth collections, on PocketBase's paths. */
export function authRoutes(app: FastifyInstance, { auth, records }: HttpDeps): void {
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

  /**
   * A first factor that needs a second answers 401 `{mfaId}` (PocketBase's shape); a
   * signed-in record is expanded (`?expand=`) as the record itself would see it.
   */
  async function sendAuth(req: FastifyRequest, reply: FastifyReply, result: AuthResult) {
    if ('mfaId' in result) return reply.status(401).send({ mfaId: result.mfaId });
    const expand = expandParam(req.query as Record<string, unknown>);
    if (expand) {
      const viewer = await auth.viewerFromToken(result.token);
      await records.expand(String(result.record.collectionId), [result.record], expand, viewer);
    }
    return reply.send(result);
  }

  const noContent = (reply: FastifyReply) => reply.status(204).send();

  app.get<P>('/api/collections/:c/auth-methods', async (req) => auth.authMethods(req.params.c));

  app.post<P>('/api/collections/:c/auth-with-password', async (req, reply) => {
    const body = await readBody(req);
    return sendAuth(
      req,
      reply,
      await auth.authWithPassword(req.params.c, body, await signInContext(req, body)),
    );
  });

  app.post<P>('/api/collections/:c/auth-with-oauth2', async (req, reply) => {
    const body = await readBody(req);
    return sendAuth(
      req,
      reply,
      await auth.authWithOAuth2(req.params.c, body, await signInContext(req, body)),
    );
  });

  // ForgeBase's own: the OAuth2 identities linked to the signed-in record
  app.get<P>('/api/collections/:c/external-auths', async (req) =>
    auth.externalAuths.list(req.params.c, await viewerOf(req, auth)),
  );

  app.delete<{ Params: { c: string; provider: string } }>(
    '/api/collections/:c/external-auths/:provider',
    async (req, reply) => {
      await auth.externalAuths.unlink(req.params.c, req.params.provider, await viewerOf(req, auth));
      return noContent(reply);
    },
  );

  // ForgeBase's own: an authenticator app (TOTP) as a second factor
  app.post<P>('/api/collections/:c/totp/enroll', async (req) =>
    auth.totp.enroll(req.params.c, await viewerOf(req, auth)),
  );

  app.post<P>('/api/collections/:c/totp/confirm', async (req, reply) => {
    await auth.totp.confirm(req.params.c, await readBody(req), await viewerOf(req, auth), req.ip);
    return noContent(reply);
  });

  app.post<P>('/api/collections/:c/totp/disable', async (req, reply) => {
    await auth.totp.disable(req.params.c, await readBody(req), await viewerOf(req, auth), req.ip);
    return noContent(reply);
  });

  app.post<P>('/api/collections/:c/auth-with-totp', async (req, reply) => {
    const body = await readBody(req);
    return sendAuth(
      req,
      reply,
      await auth.totp.authWithTotp(req.params.c, body, await signInContext(req, body)),
    );
  });

  // ForgeBase's own: anonymous records, and their upgrade to regular ones
  app.post<P>('/api/collections/:c/auth-anonymously', async (req, reply) => {
    const body = await readBody(req);
    return sendAuth(
      req,
      reply,
      await auth.anonymous.authAnonymously(req.params.c, body, await signInContext(req, body)),
    );
  });

  app.post<P>('/api/collections/:c/upgrade-anonymous', async (req, reply) => {
    const body = await readBody(req);
    return sendAuth(req, reply, await auth.anonymous.upgrade(req.params.c, body, await viewerOf(req, auth)));
  });

  // ForgeBase's own: passkeys (WebAuthn)
  app.post<P>('/api/collections/:c/passkeys/register-options', async (req) =>
    auth.passkeys.registerOptions(req.params.c, await viewerOf(req, auth)),
  );

  app.post<P>('/api/collections/:c/passkeys/register', async (req) =>
    auth.passkeys.register(req.params.c, await readBody(req), await viewerOf(req, auth)),
  );

  app.get<P>('/api/collections/:c/passkeys', async (req) =>
    auth.passkeys.list(req.params.c, await viewerOf(req, auth)),
  );

  app.delete<{ Params: { c: string; id: string } }>(
    '/api/collections/:c/passkeys/:id',
    async (req, reply) => {
      await auth.passkeys.remove(req.params.c, req.params.id, await viewerOf(req, auth));
      return noContent(reply);
    },
  );

  app.post<P>('/api/collections/:c/auth-with-passkey/options', async (req) =>
    auth.passkeys.authOptions(req.params.c),
  );

  app.post<P>('/api/collections/:c/auth-with-passkey', async (req, reply) => {
    const body = await readBody(req);
    return sendAuth(
      req,
      reply,
      await auth.passkeys.authWithPasskey(req.params.c, body, await signInContext(req, body)),
    );
  });

  app.post<P>('/api/collections/:c/auth-refresh', async (req, reply) => {
    const token = String(req.headers.authorization ?? '')
      .replace(/^bearer\s+/i, '')
      .trim();
    return sendAuth(req, reply, await auth.refresh(req.params.c, await viewerOf(req, auth), token));
  });

  app.post<P>('/api/collections/:c/request-otp', async (req) =>
    auth.requestOtp(req.params.c, await readBody(req)),
  );

  // ForgeBase's own: the OTP mailed as a sign-in link
  app.post<P>('/api/collections/:c/request-magic-link', async (req) =>
    auth.requestMagicLink(req.params.c, await readBody(req)),
  );

  app.post<P>('/api/collections/:c/auth-with-otp', async (req, reply) => {
    const body = await readBody(req);
    return sendAuth(req, reply, await auth.authWithOtp(req.params.c, body, await signInContext(req, body)));
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

  app.post<{ Params: { c: string; id: string } }>(
    '/api/collections/:c/impersonate/:id',
    async (req, reply) => {
      await requireSuperuser(req, auth);
      return sendAuth(req, reply, await auth.impersonate(req.params.c, req.params.id, await readBody(req)));
    },
  );
}
