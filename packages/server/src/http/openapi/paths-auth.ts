import Type from 'typebox';
import { type Operation, type Paths, pick, TypeObject } from './operation.ts';
import { AuthBody } from './schemas.ts';

const MFA_NOTE =
  'With MFA enabled on the collection, a first factor answers 401 with `{mfaId}`; repeat with a different method and `mfaId` to finish.';

const AuthMethodsBody = Type.Object({
  password: Type.Object({ enabled: Type.Boolean(), identityFields: Type.Array(Type.String()) }),
  oauth2: Type.Object({ enabled: Type.Boolean(), providers: Type.Array(Type.Unknown()) }),
  mfa: Type.Object({ enabled: Type.Boolean(), duration: Type.Integer() }),
  otp: Type.Object({ enabled: Type.Boolean(), duration: Type.Integer() }),
});

/** A POST that answers 204 whatever happened (so it does not reveal which emails exist). */
const request = (summary: string, body: Record<string, 'string'>): Record<string, Operation> => ({
  post: {
    summary,
    description: 'Answers 204 whether or not the email belongs to a record.',
    tag: 'auth',
    body: TypeObject(body),
    ok: 204,
  },
});

const confirm = (summary: string, body: Record<string, 'string'>): Record<string, Operation> => ({
  post: { summary, tag: 'auth', body: TypeObject(body), ok: 204 },
});

/** The auth endpoints of auth collections (PocketBase's). */
export const AUTH_PATHS: Paths = {
  '/api/collections/{c}/auth-methods': {
    get: { summary: 'Sign-in methods the collection allows', tag: 'auth', ok: AuthMethodsBody },
  },
  '/api/collections/{c}/auth-with-password': {
    post: {
      summary: 'Sign in with identity and password',
      description: MFA_NOTE,
      tag: 'auth',
      query: pick('expand', 'fields'),
      body: TypeObject({ identity: 'string', password: 'string' }),
      ok: AuthBody,
    },
  },
  '/api/collections/{c}/auth-with-oauth2': {
    post: {
      summary: 'Sign in with an OAuth2 / OpenID Connect provider',
      description: `Exchange the code the provider redirected back with (and the codeVerifier auth-methods gave). An identity seen before signs in as its record; otherwise the record with the same provider-verified email, or a new one made from createData. Answers {token, record, meta}. ${MFA_NOTE}`,
      tag: 'auth',
      query: pick('expand', 'fields'),
      body: Type.Object({
        provider: Type.String(),
        code: Type.String(),
        codeVerifier: Type.Optional(Type.String()),
        redirectURL: Type.String(),
        createData: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      }),
      ok: Type.Intersect([AuthBody, Type.Object({ meta: Type.Record(Type.String(), Type.Unknown()) })]),
    },
  },
  '/api/collections/{c}/auth-refresh': {
    post: {
      summary: 'Renew the auth token of the signed-in record',
      tag: 'auth',
      query: pick('expand', 'fields'),
      ok: AuthBody,
    },
  },
  '/api/collections/{c}/request-otp': {
    post: {
      summary: 'Mail a one-time password',
      description: 'Answers `{otpId}` whether or not the email belongs to a record.',
      tag: 'auth',
      body: TypeObject({ email: 'string' }),
      ok: Type.Object({ otpId: Type.String() }),
    },
  },
  '/api/collections/{c}/auth-with-otp': {
    post: {
      summary: 'Sign in with a mailed one-time password',
      description: MFA_NOTE,
      tag: 'auth',
      query: pick('expand', 'fields'),
      body: TypeObject({ otpId: 'string', password: 'string' }),
      ok: AuthBody,
    },
  },
  '/api/collections/{c}/request-verification': request('Mail an email verification link', {
    email: 'string',
  }),
  '/api/collections/{c}/confirm-verification': confirm('Mark the email verified', { token: 'string' }),
  '/api/collections/{c}/request-password-reset': request('Mail a password reset link', { email: 'string' }),
  '/api/collections/{c}/confirm-password-reset': confirm('Set a new password (signs out other sessions)', {
    token: 'string',
    password: 'string',
    passwordConfirm: 'string',
  }),
  '/api/collections/{c}/request-email-change': {
    post: {
      summary: 'Mail a confirmation link to a new address (signed-in record)',
      tag: 'auth',
      body: TypeObject({ newEmail: 'string' }),
      ok: 204,
    },
  },
  '/api/collections/{c}/confirm-email-change': confirm('Change the email', {
    token: 'string',
    password: 'string',
  }),
  '/api/collections/{c}/impersonate/{id}': {
    post: {
      summary: 'A non-refreshable token for any record (superusers)',
      tag: 'auth',
      body: Type.Object({
        duration: Type.Optional(Type.Integer({ description: 'Seconds; 0 for the default.' })),
      }),
      ok: AuthBody,
    },
  },
};
