import { mfaIdOf } from '@forgebase/client';
import { api, fb } from './api.ts';

const SUPERUSERS = '_superusers';

export interface Superuser {
  id: string;
  email: string;
  [field: string]: unknown;
}

/**
 * The signed-in superuser, mirrored from the SDK's auth store (kept in localStorage, so a
 * reload stays signed in; the SDK refreshes the token before it expires).
 */
export const session = $state<{ token: string; user: Superuser | null }>({ token: '', user: null });

fb.authStore.onChange((token, record) => {
  session.token = token;
  session.user = token ? (record as unknown as Superuser | null) : null;
}, true);

const superusers = () => fb.collection(SUPERUSERS);

/** Forgets the session (sign-out, or a token the server refused). */
export function signOut(): void {
  fb.authStore.clear();
}

/** Asks the server for a fresh token (auth-refresh). */
export async function refresh(): Promise<void> {
  await superusers().authRefresh();
}

/** Restores the stored session and refreshes it; false when there is none or it is no longer valid. */
export async function restore(): Promise<boolean> {
  if (!fb.authStore.isValid || !fb.authStore.isSuperuser) {
    signOut();
    return false;
  }
  try {
    await refresh();
    return true;
  } catch {
    signOut();
    return false;
  }
}

/** The first factor's answer: signed in, or a second factor (an emailed code) is needed. */
export type SignInStep = { done: true } | { done: false; mfaId: string; otpId: string };

/** Signs in with email and password; with MFA on, sends the code and answers the next step. */
export async function signIn(email: string, password: string): Promise<SignInStep> {
  try {
    await superusers().authWithPassword(email, password);
    return { done: true };
  } catch (e) {
    // matches PocketBase: a first factor that needs a second answers 401 with `mfaId`
    const mfaId = mfaIdOf(e);
    if (!mfaId) throw e;
    const { otpId } = await superusers().requestOTP(email);
    return { done: false, mfaId, otpId };
  }
}

/** Completes an MFA sign-in with the emailed one-time code. */
export async function signInWithCode(step: { mfaId: string; otpId: string }, code: string): Promise<void> {
  await superusers().authWithOTP(step.otpId, code, { mfaId: step.mfaId });
}

/** Creates the first superuser with the install token the server printed, then signs in. */
export async function install(token: string, email: string, password: string, passwordConfirm: string) {
  await api('POST', `/api/collections/${SUPERUSERS}/records`, {
    token,
    body: { email, password, passwordConfirm },
  });
  await signIn(email, password);
}
