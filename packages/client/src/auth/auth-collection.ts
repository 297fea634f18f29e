import { ClientError } from '../errors.ts';
import { RecordService, readQuery } from '../records/collection.ts';
import type { ReadOptions, RecordModel } from '../types.ts';
import { authWithOAuth2, type OAuth2PopupOptions } from './oauth2.ts';
import { type PasskeyOptions, passkeyRegister, passkeySignIn } from './passkeys.ts';

/** A sign-in's answer; `meta` holds the OAuth2 provider's user. */
export interface AuthResult<R = RecordModel> {
  token: string;
  record: R;
  meta?: Record<string, unknown>;
}

/** What a collection offers for signing in (`GET auth-methods`). */
export interface AuthMethods {
  password: { enabled: boolean; identityFields: string[] };
  oauth2: {
    enabled: boolean;
    providers: {
      name: string;
      displayName: string;
      state: string;
      authURL: string;
      codeVerifier: string;
      codeChallenge: string;
      codeChallengeMethod: string;
    }[];
  };
  mfa: { enabled: boolean; duration: number };
  otp: { enabled: boolean; duration: number };
  [more: string]: unknown;
}

/** Options of a sign-in that may be the second factor of an MFA sign-in. */
export interface FactorOptions extends ReadOptions {
  /** The `mfaId` of the first factor's 401 (see `mfaIdOf`). */
  mfaId?: string;
}

/** The `mfaId` of a first factor that asks for a second one, or undefined. */
export function mfaIdOf(e: unknown): string | undefined {
  if (!(e instanceof ClientError) || e.status !== 401) return undefined;
  const id = e.response.mfaId;
  return typeof id === 'string' ? id : undefined;
}

/**
 * An auth collection's records plus every way the server signs them in (docs/auth.md):
 * password, OTP, magic link, OAuth2 (code and popup), TOTP, passkeys, anonymous, refresh,
 * and the verification, reset and email-change flows. A successful sign-in is saved in
 * the client's auth store.
 */
export class AuthCollection<
  R = RecordModel,
  C = Record<string, unknown>,
  U = Partial<C>,
> extends RecordService<R, C, U> {
  /** Posts to `/api/collections/{name}/{action}`, saving `{token, record}` answers in the store. */
  protected async authPost(action: string, body: unknown, o: FactorOptions = {}): Promise<AuthResult<R>> {
    const res = await this.post<AuthResult<R>>(
      action,
      o.mfaId ? { ...(body as object), mfaId: o.mfaId } : body,
      o,
    );
    this.ctx.authStore.save(res.token, res.record as RecordModel);
    return res;
  }

  /** Posts to an action of this collection and answers the parsed body. */
  protected post<T>(action: string, body?: unknown, o: ReadOptions = {}): Promise<T> {
    return this.ctx.transport.send<T>(this.path(`/${action}`), {
      method: 'POST',
      body: body ?? {},
      query: readQuery(o),
      headers: o.headers,
      signal: o.signal,
    });
  }

  /** Which sign-in methods are on, with fresh OAuth2 state and PKCE values. */
  listAuthMethods(): Promise<AuthMethods> {
    return this.ctx.transport.send(this.path('/auth-methods'));
  }

  /** Email or username and password. With MFA on, a 401 carries `mfaId` (`mfaIdOf`). */
  authWithPassword(identity: string, password: string, o: FactorOptions & { identityField?: string } = {}) {
    const body = { identity, password, ...(o.identityField ? { identityField: o.identityField } : {}) };
    return this.authPost('auth-with-password', body, o);
  }

  /** Mails a one-time code; answers the `otpId` to sign in with (also for an unknown email). */
  requestOTP(email: string): Promise<{ otpId: string }> {
    return this.post('request-otp', { email });
  }

  /** Signs in with a mailed one-time code. */
  authWithOTP(otpId: string, password: string, o: FactorOptions = {}) {
    return this.authPost('auth-with-otp', { otpId, password }, o);
  }

  /** Mails a sign-in link (ForgeBase's magic link); answers the `otpId`. */
  requestMagicLink(email: string): Promise<{ otpId: string }> {
    return this.post('request-magic-link', { email });
  }

  /** Signs in from a magic link's `otpId` and `code` query parameters. */
  authWithMagicLink(otpId: string, code: string, o: FactorOptions = {}) {
    return this.authWithOTP(otpId, code, o);
  }

  /** OAuth2 code flow, the last step: the provider's `code` with the `codeVerifier` of `listAuthMethods`. */
  authWithOAuth2Code(
    provider: string,
    code: string,
    codeVerifier: string,
    redirectURL: string,
    createData: Record<string, unknown> = {},
    o: FactorOptions = {},
  ) {
    return this.authPost('auth-with-oauth2', { provider, code, codeVerifier, redirectURL, createData }, o);
  }

  /** OAuth2 in one call: a popup (or `urlCallback`) and the realtime `@oauth2` hand-over. */
  authWithOAuth2(opts: OAuth2PopupOptions): Promise<AuthResult<R>> {
    return authWithOAuth2(this.ctx.transport, this, opts);
  }

  /** Starts TOTP enrolment (signed in): the base32 secret and an `otpauth://` URI for a QR code. */
  enrollTOTP(): Promise<{ secret: string; uri: string }> {
    return this.post('totp/enroll');
  }

  /** Turns TOTP on with a first code from the app. */
  async confirmTOTP(code: string): Promise<void> {
    await this.post('totp/confirm', { code });
  }

  /** Turns TOTP off (a current code is required). */
  async disableTOTP(code: string): Promise<void> {
    await this.post('totp/disable', { code });
  }

  /** The second factor: an authenticator app's code for the first factor's `mfaId`. */
  authWithTOTP(mfaId: string, code: string) {
    return this.authPost('auth-with-totp', { mfaId, code });
  }

  /** Registers a passkey for the signed-in record (the browser's WebAuthn ceremony by default). */
  registerPasskey(o: PasskeyOptions & { name?: string } = {}) {
    return passkeyRegister(this.ctx.transport, this.path(''), o);
  }

  /** The signed-in record's passkeys. */
  async listPasskeys(): Promise<{ id: string; name: string; created: string; lastUsed: string }[]> {
    return (await this.ctx.transport.send<{ items: never[] }>(this.path('/passkeys'))).items;
  }

  /** Removes one of the signed-in record's passkeys. */
  async deletePasskey(id: string): Promise<void> {
    await this.ctx.transport.send(this.path(`/passkeys/${encodeURIComponent(id)}`), { method: 'DELETE' });
  }

  /** Signs in with a passkey (discoverable: no email needed). */
  async authWithPasskey(o: PasskeyOptions & FactorOptions = {}): Promise<AuthResult<R>> {
    const response = await passkeySignIn(this.ctx.transport, this.path(''), o);
    return this.authPost('auth-with-passkey', { response }, o);
  }

  /** Creates an anonymous record and signs it in (`anonymousAuth` on). */
  authAnonymously(data: Record<string, unknown> = {}) {
    return this.authPost('auth-anonymously', { data });
  }

  /** Gives the anonymous record an email and password; it keeps its id. */
  upgradeAnonymous(email: string, password: string, passwordConfirm = password) {
    return this.authPost('upgrade-anonymous', { email, password, passwordConfirm });
  }

  /** A new token for the signed-in record (the record as it is now). */
  authRefresh(o: ReadOptions = {}) {
    return this.authPost('auth-refresh', {}, o);
  }

  /** Mails a verification link (204 whether or not the email exists). */
  async requestVerification(email: string): Promise<void> {
    await this.post('request-verification', { email });
  }

  /** Confirms an email with the token from the verification mail. */
  async confirmVerification(token: string): Promise<void> {
    await this.post('confirm-verification', { token });
  }

  /** Mails a password reset link. */
  async requestPasswordReset(email: string): Promise<void> {
    await this.post('request-password-reset', { email });
  }

  /** Sets a new password with the reset mail's token. */
  async confirmPasswordReset(token: string, password: string, passwordConfirm = password): Promise<void> {
    await this.post('confirm-password-reset', { token, password, passwordConfirm });
  }

  /** Mails a confirmation link to a new address (signed in). */
  async requestEmailChange(newEmail: string): Promise<void> {
    await this.post('request-email-change', { newEmail });
  }

  /** Confirms the new address with the mail's token and the current password. */
  async confirmEmailChange(token: string, password: string): Promise<void> {
    await this.post('confirm-email-change', { token, password });
  }

  /** A superuser's token for another record (not saved in this client's store). */
  impersonate(recordId: string, duration?: number): Promise<AuthResult<R>> {
    return this.post(`impersonate/${encodeURIComponent(recordId)}`, duration ? { duration } : {});
  }

  /** The OAuth2 identities linked to the signed-in record. */
  async listExternalAuths(): Promise<
    { id: string; provider: string; providerId: string; created: string }[]
  > {
    return (await this.ctx.transport.send<{ items: never[] }>(this.path('/external-auths'))).items;
  }

  /** Unlinks one OAuth2 provider from the signed-in record. */
  async unlinkExternalAuth(provider: string): Promise<void> {
    await this.ctx.transport.send(this.path(`/external-auths/${encodeURIComponent(provider)}`), {
      method: 'DELETE',
    });
  }
}
