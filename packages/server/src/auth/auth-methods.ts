import type { Collection } from '../schema/collection.ts';

/**
 * PocketBase's auth-methods answer for a collection: password, oauth2 (no providers yet
 * in ForgeBase), mfa and otp, plus the legacy keys older SDKs read.
 */
export function authMethods(c: Collection): Record<string, unknown> {
  const password = c.passwordAuth?.enabled
    ? { identityFields: [...c.passwordAuth.identityFields], enabled: true }
    : { identityFields: [], enabled: false };
  const mfa = (c.mfa ?? {}) as { enabled?: boolean; duration?: number };
  const otp = (c.otp ?? {}) as { enabled?: boolean; duration?: number };
  return {
    password,
    oauth2: { providers: [], enabled: false },
    mfa: { enabled: Boolean(mfa.enabled), duration: mfa.enabled ? Number(mfa.duration ?? 0) : 0 },
    otp: { enabled: Boolean(otp.enabled), duration: otp.enabled ? Number(otp.duration ?? 0) : 0 },
    authProviders: [],
    usernamePassword: password.enabled && password.identityFields.includes('username'),
    emailPassword: password.enabled && password.identityFields.includes('email'),
  };
}
