import { readBody } from '../body.ts';
import type { HttpDeps } from '../deps.ts';
import { RecordQuery } from '../query-params.ts';
import { CollectionParam, NoQuery, type RouteApp } from '../route-schema.ts';
import { AuthBody } from '../schemas.ts';
import { Type } from '../type.ts';
import { superuserOnly, viewerOf } from '../viewer.ts';
import { authRouteKit, MFA_NOTE, Params, textFields } from './auth-kit.ts';

const AuthMethodsBody = Type.Object({
  password: Type.Object({ enabled: Type.Boolean(), identityFields: Type.Array(Type.String()) }),
  oauth2: Type.Object({ enabled: Type.Boolean(), providers: Type.Array(Type.Unknown()) }),
  mfa: Type.Object({ enabled: Type.Boolean(), duration: Type.Integer() }),
  otp: Type.Object({ enabled: Type.Boolean(), duration: Type.Integer() }),
});

/** The auth API of auth collections, on PocketBase's paths. */
export function authRoutes(app: RouteApp, deps: HttpDeps): void {
  const { auth, audit } = deps;
  const kit = authRouteKit(app, deps);
  const EMAIL_NOTE = 'Answers 204 whether or not the email belongs to a record.';

  app.get(
    '/api/collections/:c/auth-methods',
    {
      schema: {
        ...kit.doc('Sign-in methods the collection allows', undefined, false),
        params: Params,
        querystring: NoQuery,
        response: { 200: AuthMethodsBody },
      },
    },
    async (req) => auth.authMethods(req.params.c),
  );

  kit.signIn(
    'auth-with-password',
    {
      summary: 'Sign in with identity and password',
      description: MFA_NOTE,
      body: textFields('identity', 'password', 'identityField', 'mfaId'),
    },
    (c, body, ctx) => auth.authWithPassword(c, body, ctx),
  );

  kit.signIn(
    'auth-with-oauth2',
    {
      summary: 'Sign in with an OAuth2 / OpenID Connect provider',
      description: `Exchange the code the provider redirected back with (and the codeVerifier auth-methods gave). An identity seen before signs in as its record; otherwise the record with the same provider-verified email, or a new one made from createData. Answers {token, record, meta}. ${MFA_NOTE}`,
      body: Type.Object({
        provider: Type.Optional(Type.String()),
        code: Type.Optional(Type.String()),
        codeVerifier: Type.Optional(Type.String()),
        redirectURL: Type.Optional(Type.String()),
        createData: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      }),
      ok: Type.Intersect([AuthBody, Type.Object({ meta: Type.Record(Type.String(), Type.Unknown()) })]),
    },
    (c, body, ctx) => auth.authWithOAuth2(c, body, ctx),
  );

  app.post(
    '/api/collections/:c/auth-refresh',
    {
      schema: {
        ...kit.doc('Renew the auth token of the signed-in record', undefined, false),
        params: Params,
        querystring: RecordQuery,
        response: { 200: AuthBody },
      },
    },
    async (req, reply) => {
      const token = String(req.headers.authorization ?? '')
        .replace(/^bearer\s+/i, '')
        .trim();
      return kit.sendAuth(
        reply,
        req.query,
        await auth.refresh(req.params.c, await viewerOf(req, auth), token),
      );
    },
  );

  app.post(
    '/api/collections/:c/request-otp',
    {
      schema: {
        ...kit.doc(
          'Mail a one-time password',
          'Answers `{otpId}` whether or not the email belongs to a record.',
          false,
        ),
        params: Params,
        querystring: NoQuery,
        body: textFields('email'),
        response: { 200: Type.Object({ otpId: Type.String() }) },
      },
    },
    async (req) => auth.requestOtp(req.params.c, await readBody(req)),
  );

  kit.signIn(
    'auth-with-otp',
    {
      summary: 'Sign in with a mailed one-time password',
      description: MFA_NOTE,
      body: textFields('otpId', 'password', 'mfaId'),
    },
    (c, body, ctx) => auth.authWithOtp(c, body, ctx),
  );

  kit.noContent(
    'request-verification',
    { summary: 'Mail an email verification link', description: EMAIL_NOTE, body: textFields('email') },
    (c, body) => auth.requestVerification(c, body),
  );
  kit.noContent(
    'confirm-verification',
    { summary: 'Mark the email verified', body: textFields('token') },
    (c, body) => auth.confirmVerification(c, body),
  );
  kit.noContent(
    'request-password-reset',
    { summary: 'Mail a password reset link', description: EMAIL_NOTE, body: textFields('email') },
    (c, body) => auth.requestPasswordReset(c, body),
  );
  kit.noContent(
    'confirm-password-reset',
    {
      summary: 'Set a new password (signs out other sessions)',
      body: textFields('token', 'password', 'passwordConfirm'),
    },
    (c, body) => auth.confirmPasswordReset(c, body),
  );
  kit.noContent(
    'request-email-change',
    { summary: 'Mail a confirmation link to a new address (signed-in record)', body: textFields('newEmail') },
    async (c, body, req) => auth.requestEmailChange(c, body, await viewerOf(req, auth)),
  );
  kit.noContent(
    'confirm-email-change',
    { summary: 'Change the email', body: textFields('token', 'password') },
    (c, body) => auth.confirmEmailChange(c, body),
  );

  app.post(
    '/api/collections/:c/impersonate/:id',
    {
      preValidation: superuserOnly(auth),
      schema: {
        ...kit.doc('A non-refreshable token for any record (superusers)', undefined, false),
        params: Type.Object({ c: CollectionParam, id: Type.String({ description: 'The record id.' }) }),
        querystring: RecordQuery,
        body: Type.Object({
          duration: Type.Optional(Type.Integer({ description: 'Seconds; 0 for the default.' })),
        }),
        response: { 200: AuthBody },
      },
    },
    async (req, reply) => {
      const result = await auth.impersonate(req.params.c, req.params.id, await readBody(req));
      await audit.append({
        action: 'auth.impersonate',
        target: `${String(result.record.collectionName)}/${req.params.id}`,
      });
      return kit.sendAuth(reply, req.query, result);
    },
  );
}
