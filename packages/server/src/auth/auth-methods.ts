import type { Collection } from '../schema/collection.ts';

/**
 * PocketBase's auth-methods answer for a collection: password, oauth2 (with the
 * `providers` the OAuth2 flow lists), mfa and otp, plus the legacy keys older SDKs read.
 */
export function authMethods(
  c: Collection,
  providers: Record<string, unknown>[] = [],
): Record<string, unknown> {
  const password = c.passwordAuth?.enabled
    ? { identityFields: [...c.passwordAuth.identityFields], enabled: true }
    : { identityFields: [], enabled: false };
  const mfa = (c.mfa ?? {}) as { enabled?: boolean; duration?: number };
  const otp = (c.otp ?? {}) as { enabled?: boolean; duration?: number };
  return {
    password,
    oauth2: { providers, enabled: Boolean((c.oauth2 as { enabled?: boolean } | undefined)?.enabled) },
    mfa: { enabled: Boolean(mfa.enabled), duration: mfa.enabled ? Number(mfa.duration ?? 0) : 0 },
    otp: { enabled: Boolean(otp.enabled), duration: otp.enabled ? Number(otp.duration ?? 0) : 0 },
    authProviders: providers.map((p) => ({ ...p, logo: '' })),
    usernamePassword: password.enabled && password.identityFields.includes('username'),
    emailPassword: password.enabled && password.identityFields.includes('email'),
  };
}
