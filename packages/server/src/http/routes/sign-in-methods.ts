import { readBody } from '../body.ts';
import type { HttpDeps } from '../deps.ts';
import { CollectionParam, NoContent, NoQuery, type RouteApp } from '../route-schema.ts';
import { Type } from '../type.ts';
import { viewerOf } from '../viewer.ts';
import { authRouteKit, Params, textFields } from './auth-kit.ts';

const Passkey = Type.Object({
  id: Type.String({ description: 'The credential id (base64url).' }),
  name: Type.String(),
  created: Type.String(),
  lastUsed: Type.String(),
});

const Options = Type.Record(Type.String(), Type.Unknown());

/** ForgeBase's own sign-in methods of auth collections: OAuth2 links, TOTP, anonymous, passkeys. */
export function signInMethodRoutes(app: RouteApp, deps: HttpDeps): void {
  const { auth, audit } = deps;
  const kit = authRouteKit(app, deps);
  const doc = (summary: string, description?: string) => kit.doc(summary, description, true);

  app.get(
    '/api/collections/:c/external-auths',
    {
      schema: {
        ...doc('The OAuth2 identities linked to the signed-in record'),
        params: Params,
        querystring: NoQuery,
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                id: Type.String(),
                provider: Type.String(),
                providerId: Type.String(),
                created: Type.String(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => auth.externalAuths.list(req.params.c, await viewerOf(req, auth)),
  );

  app.delete(
    '/api/collections/:c/external-auths/:provider',
    {
      schema: {
        ...doc('Unlink an OAuth2 provider from the signed-in record'),
        params: Type.Object({
          c: CollectionParam,
          provider: Type.String({ description: 'The provider name.' }),
        }),
        querystring: NoQuery,
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      await auth.externalAuths.unlink(req.params.c, req.params.provider, await viewerOf(req, auth));
      await audit.append({
        action: 'auth.oauth2Unlink',
        target: req.params.c,
        data: { provider: req.params.provider },
      });
      return reply.status(204).send();
    },
  );

  // an authenticator app (TOTP) as a second factor
  app.post(
    '/api/collections/:c/totp/enroll',
    {
      schema: {
        ...doc(
          'Start TOTP enrolment (signed-in record): a secret and its otpauth:// URI',
          'Replaces an unconfirmed enrolment; 400 once TOTP is enabled.',
        ),
        params: Params,
        querystring: NoQuery,
        response: { 200: Type.Object({ secret: Type.String(), uri: Type.String() }) },
      },
    },
    async (req) => auth.totp.enroll(req.params.c, await viewerOf(req, auth)),
  );
  kit.noContent(
    'totp/confirm',
    {
      summary: 'Turn TOTP on with a first code from the authenticator app',
      forgebase: true,
      body: textFields('code'),
    },
    async (c, body, req) => {
      await auth.totp.confirm(c, body, await viewerOf(req, auth), req.clientIp);
      await audit.append({ action: 'auth.mfa.totpEnable', target: c });
    },
  );
  kit.noContent(
    'totp/disable',
    { summary: 'Turn TOTP off with a current code', forgebase: true, body: textFields('code') },
    async (c, body, req) => {
      await auth.totp.disable(c, body, await viewerOf(req, auth), req.clientIp);
      await audit.append({ action: 'auth.mfa.totpDisable', target: c });
    },
  );
  kit.signIn(
    'auth-with-totp',
    {
      summary: 'Complete a multi-factor sign-in with a TOTP code',
      description: 'Needs the `mfaId` of a first factor (in the body or query). Each code works once.',
      forgebase: true,
      body: textFields('mfaId', 'code'),
    },
    (c, body, ctx) => auth.totp.authWithTotp(c, body, ctx),
  );

  // anonymous records, and their upgrade to regular ones
  kit.signIn(
    'auth-anonymously',
    {
      summary: 'Sign in as a new anonymous record (with anonymousAuth.enabled)',
      description:
        'Creates a record with no email and an unknown password; the createRule applies. `data` may fill other fields.',
      forgebase: true,
      body: Type.Object({ data: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }),
    },
    (c, body, ctx) => auth.anonymous.authAnonymously(c, body, ctx),
  );
  kit.signIn(
    'upgrade-anonymous',
    {
      summary: 'Give the signed-in anonymous record an email and password (keeps its id)',
      forgebase: true,
      body: textFields('email', 'password', 'passwordConfirm'),
    },
    (c, body, ctx) => auth.anonymous.upgrade(c, body, ctx.viewer),
  );

  // the OTP mailed as a sign-in link
  app.post(
    '/api/collections/:c/request-magic-link',
    {
      schema: {
        ...doc(
          'Mail a sign-in link (an OTP as a link; with otp.enabled)',
          'Answers `{otpId}` whether or not the email belongs to a record. The link carries `otpId` and `code`; sign in with auth-with-otp `{otpId, password: code}`.',
        ),
        params: Params,
        querystring: NoQuery,
        body: textFields('email'),
        response: { 200: Type.Object({ otpId: Type.String() }) },
      },
    },
    async (req) => auth.requestMagicLink(req.params.c, await readBody(req)),
  );

  // passkeys (WebAuthn)
  app.post(
    '/api/collections/:c/passkeys/register-options',
    {
      schema: {
        ...doc(
          'WebAuthn creation options to register a passkey (signed-in record)',
          'Pass them to `navigator.credentials.create()` (e.g. @simplewebauthn/browser startRegistration).',
        ),
        params: Params,
        querystring: NoQuery,
        response: { 200: Options },
      },
    },
    async (req) => auth.passkeys.registerOptions(req.params.c, await viewerOf(req, auth)),
  );
  app.post(
    '/api/collections/:c/passkeys/register',
    {
      schema: {
        ...doc('Verify and store a new passkey (signed-in record)'),
        params: Params,
        querystring: NoQuery,
        body: Type.Object({
          response: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
          name: Type.Optional(Type.String()),
        }),
        response: { 200: Passkey },
      },
    },
    async (req) => {
      const passkey = await auth.passkeys.register(
        req.params.c,
        await readBody(req),
        await viewerOf(req, auth),
      );
      await audit.append({ action: 'auth.passkeyAdd', target: req.params.c, data: { id: passkey.id } });
      return passkey;
    },
  );
  app.get(
    '/api/collections/:c/passkeys',
    {
      schema: {
        ...doc("The signed-in record's passkeys"),
        params: Params,
        querystring: NoQuery,
        response: { 200: Type.Object({ items: Type.Array(Passkey) }) },
      },
    },
    async (req) => auth.passkeys.list(req.params.c, await viewerOf(req, auth)),
  );
  app.delete(
    '/api/collections/:c/passkeys/:id',
    {
      schema: {
        ...doc("Remove one of the signed-in record's passkeys"),
        params: Type.Object({ c: CollectionParam, id: Type.String({ description: 'The credential id.' }) }),
        querystring: NoQuery,
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      await auth.passkeys.remove(req.params.c, req.params.id, await viewerOf(req, auth));
      await audit.append({ action: 'auth.passkeyRemove', target: req.params.c, data: { id: req.params.id } });
      return reply.status(204).send();
    },
  );
  app.post(
    '/api/collections/:c/auth-with-passkey/options',
    {
      schema: {
        ...doc(
          'WebAuthn request options to sign in with a passkey',
          'Pass them to `navigator.credentials.get()` (e.g. @simplewebauthn/browser startAuthentication).',
        ),
        params: Params,
        querystring: NoQuery,
        response: { 200: Options },
      },
    },
    async (req) => auth.passkeys.authOptions(req.params.c),
  );
  kit.signIn(
    'auth-with-passkey',
    {
      summary: 'Sign in with a passkey assertion',
      description: 'With MFA enabled, answers 401 `{mfaId}` like any first factor.',
      forgebase: true,
      body: Type.Object({ response: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }),
    },
    (c, body, ctx) => auth.passkeys.authWithPasskey(c, body, ctx),
  );
}
