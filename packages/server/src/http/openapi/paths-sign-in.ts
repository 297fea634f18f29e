import Type from 'typebox';
import { type Operation, type Paths, pick, TypeObject } from './operation.ts';
import { AuthBody } from './schemas.ts';

const Passkey = Type.Object({
  id: Type.String({ description: 'The credential id (base64url).' }),
  name: Type.String(),
  created: Type.String(),
  lastUsed: Type.String(),
});

const fb = (op: Omit<Operation, 'tag' | 'fb'>): Record<string, Operation> => ({
  post: { ...op, tag: 'auth', fb: true },
});

/** ForgeBase's own sign-in methods of auth collections: TOTP, anonymous, magic link, passkeys. */
export const SIGN_IN_PATHS: Paths = {
  '/api/collections/{c}/external-auths': {
    get: {
      summary: 'The OAuth2 identities linked to the signed-in record',
      tag: 'auth',
      fb: true,
      ok: Type.Object({
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
  '/api/collections/{c}/external-auths/{provider}': {
    delete: {
      summary: 'Unlink an OAuth2 provider from the signed-in record',
      tag: 'auth',
      fb: true,
      ok: 204,
    },
  },
  '/api/collections/{c}/totp/enroll': fb({
    summary: 'Start TOTP enrolment (signed-in record): a secret and its otpauth:// URI',
    description: 'Replaces an unconfirmed enrolment; 400 once TOTP is enabled.',
    ok: Type.Object({ secret: Type.String(), uri: Type.String() }),
  }),
  '/api/collections/{c}/totp/confirm': fb({
    summary: 'Turn TOTP on with a first code from the authenticator app',
    body: TypeObject({ code: 'string' }),
    ok: 204,
  }),
  '/api/collections/{c}/totp/disable': fb({
    summary: 'Turn TOTP off with a current code',
    body: TypeObject({ code: 'string' }),
    ok: 204,
  }),
  '/api/collections/{c}/auth-with-totp': fb({
    summary: 'Complete a multi-factor sign-in with a TOTP code',
    description: 'Needs the `mfaId` of a first factor (in the body or query). Each code works once.',
    query: pick('expand', 'fields'),
    body: TypeObject({ mfaId: 'string', code: 'string' }),
    ok: AuthBody,
  }),
  '/api/collections/{c}/auth-anonymously': fb({
    summary: 'Sign in as a new anonymous record (with anonymousAuth.enabled)',
    description:
      'Creates a record with no email and an unknown password; the createRule applies. `data` may fill other fields.',
    query: pick('expand', 'fields'),
    body: Type.Object({ data: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }),
    ok: AuthBody,
  }),
  '/api/collections/{c}/upgrade-anonymous': fb({
    summary: 'Give the signed-in anonymous record an email and password (keeps its id)',
    query: pick('expand', 'fields'),
    body: TypeObject({ email: 'string', password: 'string', passwordConfirm: 'string' }),
    ok: AuthBody,
  }),
  '/api/collections/{c}/request-magic-link': fb({
    summary: 'Mail a sign-in link (an OTP as a link; with otp.enabled)',
    description:
      'Answers `{otpId}` whether or not the email belongs to a record. The link carries `otpId` and `code`; sign in with auth-with-otp `{otpId, password: code}`.',
    body: TypeObject({ email: 'string' }),
    ok: Type.Object({ otpId: Type.String() }),
  }),
  '/api/collections/{c}/passkeys/register-options': fb({
    summary: 'WebAuthn creation options to register a passkey (signed-in record)',
    description:
      'Pass them to `navigator.credentials.create()` (e.g. @simplewebauthn/browser startRegistration).',
    ok: Type.Record(Type.String(), Type.Unknown()),
  }),
  '/api/collections/{c}/passkeys/register': fb({
    summary: 'Verify and store a new passkey (signed-in record)',
    body: Type.Object({
      response: Type.Record(Type.String(), Type.Unknown()),
      name: Type.Optional(Type.String()),
    }),
    ok: Passkey,
  }),
  '/api/collections/{c}/passkeys': {
    get: {
      summary: "The signed-in record's passkeys",
      tag: 'auth',
      fb: true,
      ok: Type.Object({ items: Type.Array(Passkey) }),
    },
  },
  '/api/collections/{c}/passkeys/{id}': {
    delete: { summary: "Remove one of the signed-in record's passkeys", tag: 'auth', fb: true, ok: 204 },
  },
  '/api/collections/{c}/auth-with-passkey/options': fb({
    summary: 'WebAuthn request options to sign in with a passkey',
    description:
      'Pass them to `navigator.credentials.get()` (e.g. @simplewebauthn/browser startAuthentication).',
    ok: Type.Record(Type.String(), Type.Unknown()),
  }),
  '/api/collections/{c}/auth-with-passkey': fb({
    summary: 'Sign in with a passkey assertion',
    description: 'With MFA enabled, answers 401 `{mfaId}` like any first factor.',
    query: pick('expand', 'fields'),
    body: Type.Object({ response: Type.Record(Type.String(), Type.Unknown()) }),
    ok: AuthBody,
  }),
};
