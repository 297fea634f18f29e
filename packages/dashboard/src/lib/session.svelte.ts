import { ApiError, api, useToken } from './api.ts';

const STORAGE_KEY = 'forgebase_dashboard_auth';
const SUPERUSERS = '/api/collections/_superusers';
/** Refresh this long before the token expires. */
const REFRESH_AHEAD_MS = 5 * 60 * 1000;

export interface Superuser {
  id: string;
  email: string;
  [field: string]: unknown;
}

interface AuthAnswer {
  token: string;
  record: Superuser;
}

/** The signed-in superuser, kept in localStorage so a reload stays signed in. */
export const session = $state<{ token: string; user: Superuser | null }>({ token: '', user: null });

let refreshTimer: ReturnType<typeof setTimeout> | undefined;

function expiryOf(token: string): number {
  try {
    const payload = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')));
    return typeof payload.exp === 'number' ? payload.exp * 1000 : 0;
  } catch {
    return 0;
  }
}

function keep(answer: AuthAnswer): void {
  session.token = answer.token;
  session.user = answer.record;
  useToken(answer.token);
  localStorage.setItem(STORAGE_KEY, JSON.stringify(answer));
  clearTimeout(refreshTimer);
  const wait = expiryOf(answer.token) - Date.now() - REFRESH_AHEAD_MS;
  refreshTimer = setTimeout(() => void refresh().catch(() => signOut()), Math.max(wait, 10_000));
}

/** Forgets the session (sign-out, or a token the server refused). */
export function signOut(): void {
  clearTimeout(refreshTimer);
  session.token = '';
  session.user = null;
  useToken('');
  localStorage.removeItem(STORAGE_KEY);
}

/** Asks the server for a fresh token (auth-refresh); a refused one signs out. */
export async function refresh(): Promise<void> {
  keep(await api<AuthAnswer>('POST', `${SUPERUSERS}/auth-refresh`));
}

/** Restores the stored session and refreshes it; false when there is none or it is no longer valid. */
export async function restore(): Promise<boolean> {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (!stored) return false;
  try {
    const answer = JSON.parse(stored) as AuthAnswer;
    if (expiryOf(answer.token) <= Date.now()) throw new Error('expired');
    useToken(answer.token);
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
  let mfaId: string;
  try {
    keep(
      await api<AuthAnswer>('POST', `${SUPERUSERS}/auth-with-password`, {
        body: { identity: email, password },
      }),
    );
    return { done: true };
  } catch (e) {
    // matches PocketBase: a first factor that needs a second answers 401 with `mfaId`
    if (!(e instanceof ApiError && e.status === 401 && typeof e.body?.mfaId === 'string')) throw e;
    mfaId = e.body.mfaId;
  }
  const { otpId } = await api<{ otpId: string }>('POST', `${SUPERUSERS}/request-otp`, { body: { email } });
  return { done: false, mfaId, otpId };
}

/** Completes an MFA sign-in with the emailed one-time code. */
export async function signInWithCode(step: { mfaId: string; otpId: string }, code: string): Promise<void> {
  keep(
    await api<AuthAnswer>('POST', `${SUPERUSERS}/auth-with-otp`, {
      body: { otpId: step.otpId, password: code, mfaId: step.mfaId },
    }),
  );
}

/** Creates the first superuser with the install token the server printed, then signs in. */
export async function install(token: string, email: string, password: string, passwordConfirm: string) {
  await api('POST', `${SUPERUSERS}/records`, { token, body: { email, password, passwordConfirm } });
  await signIn(email, password);
}
