import { BadRequestError, ForbiddenError, UnauthorizedError } from '../errors/api-error.ts';
import { exportRecord } from '../records/record-codec.ts';
import type { RecordService } from '../records/record-service.ts';
import type { Viewer } from '../rules/viewer.ts';
import { type Collection, SUPERUSERS } from '../schema/collection.ts';
import type { RecordValues } from '../schema/record-values.ts';
import type { Clock } from '../tools/clock.ts';
import type { AuthAlerts } from './auth-alerts.ts';
import { type AuthStore, hasExpired } from './auth-store.ts';
import { signAuthToken } from './tokens.ts';

/** A successful sign-in: PocketBase's `{token, record}`. */
export interface AuthSuccess {
  token: string;
  record: Record<string, unknown>;
}

/** The answer of a sign-in: a token, or (MFA) the id of the session a second factor completes. */
export type AuthResult = AuthSuccess | { mfaId: string };

/** The request a sign-in runs in: its viewer (for rules), client IP and the `mfaId` it carries. */
export interface SignInContext {
  viewer: Viewer;
  ip: string;
  /** The client's User-Agent (auth alerts fingerprint address and agent). */
  userAgent?: string | undefined;
  mfaId?: string | undefined;
}

/** First factors MFA knows (PocketBase's MFAMethod names). */
export type AuthMethod = 'password' | 'otp' | 'oauth2' | 'totp' | 'passkey';

export type SignIn = ReturnType<typeof createSignIn>;

/**
 * Code told of sign-ins (server functions' `beforeAuth`/`afterAuth` hooks). `record` is
 * the record as its owner sees it. A `before` that throws refuses the sign-in with its error.
 */
export interface SignInHook {
  before?(c: Collection, record: Record<string, unknown>, method: AuthMethod, viewer: Viewer): Promise<void>;
  after?(c: Collection, record: Record<string, unknown>, method: AuthMethod, viewer: Viewer): Promise<void>;
}

/**
 * PocketBase's RequireSameCollectionContextAuth: 401 without a signed-in record, 403 when
 * it belongs to another collection than the route's (checked before the route itself).
 */
export function requireSameCollectionAuth(viewer: Viewer, c: Collection | undefined): void {
  if (!viewer.authId || !viewer.auth)
    throw new UnauthorizedError('The request requires valid record authorization token.');
  if (!c || viewer.authCollectionId !== c.id)
    throw new ForbiddenError(
      `The request requires auth record from ${viewer.auth.collection.name} collection.`,
    );
}

/**
 * The last step every sign-in shares (PocketBase's recordAuthResponse): the collection's
 * authRule must pass for the record, then MFA may ask for a second, different factor;
 * only then is a token issued.
 */
export function createSignIn({
  records,
  store,
  clock,
  alerts,
}: {
  records: RecordService;
  store: AuthStore;
  clock: Clock;
  /** Auth alerts: told of every completed sign-in (see auth-alerts.ts). */
  alerts?: AuthAlerts;
}) {
  const hooks = new Set<SignInHook>();
  const ownView = (c: Collection, record: RecordValues) =>
    exportRecord(c, record, {
      superuser: c.name === SUPERUSERS,
      authId: String(record.id),
      authCollectionId: c.id,
    });
  /** `{token, record}`; the record always shows its email to its owner. */
  async function response(c: Collection, record: RecordValues, token?: string): Promise<AuthSuccess> {
    const viewer: Viewer = {
      superuser: c.name === SUPERUSERS,
      authId: String(record.id),
      authCollectionId: c.id,
    };
    return {
      token: token ?? (await signAuthToken(clock, c, record)),
      record: exportRecord(c, record, viewer),
    };
  }

  /** matches PocketBase: authRule `""` lets every record in, `null` none (superusers aside). */
  async function checkAuthRule(c: Collection, record: RecordValues, viewer: Viewer): Promise<void> {
    if (!(await records.passesRule(c, String(record.id), c.authRule ?? null, viewer))) {
      throw new ForbiddenError("The request doesn't satisfy the collection requirements to authenticate.");
    }
  }

  /** Returns an MFA session id to answer with, or undefined when the sign-in may complete. */
  async function checkMfa(
    c: Collection,
    record: RecordValues,
    method: AuthMethod,
    ctx: SignInContext,
  ): Promise<string | undefined> {
    const mfa = (c.mfa ?? {}) as { enabled?: boolean; duration?: number; rule?: string };
    if (!mfa.enabled) return undefined;
    if (mfa.rule?.trim() && !(await records.passesRule(c, String(record.id), mfa.rule, ctx.viewer)))
      return undefined;
    if (!ctx.mfaId) {
      return store.createMfa({ collection_ref: c.id, record_ref: String(record.id), method });
    }
    const session = await store.findMfa(ctx.mfaId);
    if (!session || hasExpired(session.created, mfa.duration ?? 600, clock.now())) {
      if (session) await store.deleteMfa(session.id);
      throw new BadRequestError('Invalid or expired MFA session.');
    }
    if (session.record_ref !== record.id || session.collection_ref !== c.id)
      throw new BadRequestError('Invalid MFA session.');
    if (session.method === method)
      throw new BadRequestError('A different authentication method is required.');
    // spent once: of two racing second factors only one completes the session
    if (!(await store.deleteMfa(session.id))) throw new BadRequestError('Invalid or expired MFA session.');
    return undefined;
  }

  return {
    response,
    checkAuthRule,

    /** Completes a first (or second) factor: authRule, then MFA, then `{token, record}`. */
    async complete(
      c: Collection,
      record: RecordValues,
      method: AuthMethod,
      ctx: SignInContext,
    ): Promise<AuthResult> {
      for (const h of hooks) await h.before?.(c, ownView(c, record), method, ctx.viewer);
      await checkAuthRule(c, record, ctx.viewer);
      const mfaId = await checkMfa(c, record, method, ctx);
      if (mfaId) return { mfaId };
      const result = await response(c, record);
      await alerts?.signedIn(c, record, ctx);
      for (const h of hooks) await h.after?.(c, result.record, method, ctx.viewer);
      return result;
    },

    /** Adds a sign-in hook; returns its remover. */
    addHook(hook: SignInHook): () => void {
      hooks.add(hook);
      return () => hooks.delete(hook);
    },
  };
}
