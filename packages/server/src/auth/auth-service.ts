import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { ChangeLog } from '../changes/change-log.ts';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import {
  BadRequestError,
  type FieldError,
  ForbiddenError,
  NotFoundError,
  TooManyRequestsError,
  UnauthorizedError,
  ValidationError,
} from '../errors/api-error.ts';
import { fields } from '../errors/codes.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { Logger } from '../observability/logger.ts';
import type { RecordService } from '../records/record-service.ts';
import { asSystem, type Viewer } from '../rules/viewer.ts';
import { type Collection, SUPERUSERS } from '../schema/collection.ts';
import type { CollectionService } from '../schema/collection-service.ts';
import { isPasswordValue } from '../schema/fields/password.ts';
import type { RecordValues } from '../schema/record-values.ts';
import type { Clock } from '../tools/clock.ts';
import type { SecretBox } from '../tools/secret-box.ts';
import { formatDate } from '../tools/time.ts';
import { createAnonymousFlow } from './anonymous.ts';
import { createApiKeyService, KEY_PREFIX } from './api-keys.ts';
import { createAuthAlerts, forgetAuthOrigins } from './auth-alerts.ts';
import { authMethods } from './auth-methods.ts';
import { createAuthStore } from './auth-store.ts';
import { createEmailChangeFlow } from './email-change.ts';
import { createEmailFlows } from './email-flows.ts';
import { createExternalAuths } from './external-auths.ts';
import { createOAuth2Flow } from './oauth2.ts';
import { createOtpFlow } from './otp.ts';
import { createPasskeyFlow } from './passkeys.ts';
import { hashPassword, verifyPassword } from './password.ts';
import { createRateLimiter, reserveAll, TOO_MANY_FAILURES } from './rate-limiter.ts';
import { cleanUpDeletedAuthRecords } from './record-cleanup.ts';
import {
  type AuthResult,
  type AuthSuccess,
  createSignIn,
  requireSameCollectionAuth,
  type SignInContext,
} from './sign-in.ts';
import { createTokenCache } from './token-cache.ts';
import { createTokenMail } from './token-mail.ts';
import { peekClaims, signAuthToken, tokenExpiry, verifyAuthToken } from './tokens.ts';
import { createTotpFlow } from './totp.ts';

export type { AuthResult, AuthSuccess, SignInContext } from './sign-in.ts';

export interface AuthServiceDeps {
  db: Database;
  collections: CollectionService;
  records: RecordService;
  config: Config;
  logger: Logger;
  mailer: Mailer;
  /** The time tokens, codes, sessions and rate limits are measured by. */
  clock: Clock;
  /** Where other nodes' record changes are heard (drops their records' cached tokens). */
  changes?: Pick<ChangeLog, 'follow'>;
  /** Seals secrets at rest (TOTP secrets). */
  secrets: SecretBox;
}

/** How many more failures an identity may take from all addresses together than from one. */
const IDENTITY_SPREAD = 10;

export type AuthService = ReturnType<typeof createAuthService>;

/**
 * Sign-in and token resolution for auth collections (PocketBase's auth API): password,
 * OTP, MFA, the mailed-token flows (verification, password reset, email change),
 * impersonation, and brute-force limits on failed sign-ins.
 */
export function createAuthService({
  db,
  collections,
  records,
  config,
  logger,
  mailer,
  clock,
  changes,
  secrets,
}: AuthServiceDeps) {
  // verified tokens: a record change on any node drops its tokens (see token-cache.ts)
  const tokens = createTokenCache({ clock });
  // a create has no tokens yet: only updates and deletes are heard
  const forgetChanged = (collectionId: string, recordId: string) => {
    if (collections.find(collectionId)?.type === 'auth') tokens.forget(collectionId, recordId);
  };
  records.onChange((c) => forgetChanged(c.collection.id, String(c.record.id)), ['update', 'delete']);
  collections.onReload(() => tokens.clear());
  let stopFollowing: (() => Promise<void>) | undefined;
  // one-time install token: lets the first superuser be created, only while none exists
  const installToken = randomBytes(24).toString('base64url');
  const installExpires = clock.now() + 60 * 60 * 1000;
  let installUsed = false;
  // a hash to compare against when the identity is unknown, so timing does not reveal it
  let dummyHash: Promise<string> | undefined;
  // failed sign-ins are counted per (identity, IP), per IP, and per identity from every IP
  // (a looser bound, against guesses spread over many addresses); at a limit the key backs
  // off rather than shutting out its owner for the whole window
  const windowMs = config.authFailWindowSeconds * 1000;
  const backoffMs = config.authFailBackoffSeconds * 1000;
  const limited = (limit: number) => createRateLimiter({ limit, windowMs, backoffMs, clock });
  const identityIpFailures = limited(config.authFailLimitIdentity);
  const identityFailures = limited(config.authFailLimitIdentity * IDENTITY_SPREAD);
  const ipFailures = limited(config.authFailLimitIp);
  const store = createAuthStore(db, records, clock);
  const alerts = createAuthAlerts({ db, config, logger, mailer, records, clock });
  const signIn = createSignIn({ records, store, clock, alerts });
  cleanUpDeletedAuthRecords(records.hooks, db.qb);
  forgetAuthOrigins(records.hooks, db);
  // the install token's writes are made as this viewer (a copy of the system viewer): its
  // identity is what the hooks check
  const installer: Viewer = { ...asSystem() };
  const onlyFirst = () => new ForbiddenError('Only superusers can perform this action.');
  records.hooks.beforeCreate(SUPERUSERS, async (e) => {
    if (e.viewer === installer && (await e.records.hasAny(e.collection))) throw onlyFirst();
  });
  // the race: under a lock, in the creating transaction, no other superuser may exist
  records.hooks.afterCreate(SUPERUSERS, async (e) => {
    if (e.viewer !== installer) return;
    await db.bus.lockKey(e.tx, 'install-superuser');
    const other = await e.tx.first(
      db.qb.selectFrom(SUPERUSERS).select('id').where('id', '!=', String(e.record.id)).limit(1),
    );
    if (other) throw onlyFirst();
  });

  /** The auth collection a route names; 404 like PocketBase otherwise. */
  function authCollection(name: string): Collection {
    const c = collections.find(name);
    if (c?.type !== 'auth') throw new NotFoundError('Missing or invalid auth collection context.');
    return c;
  }

  const flowDeps = {
    config,
    logger,
    mailer,
    records,
    clock,
    authCollection,
    findCollection: collections.find,
  };
  const tokenMail = createTokenMail(flowDeps);
  const emailFlows = createEmailFlows(flowDeps, tokenMail);
  const emailChange = createEmailChangeFlow(flowDeps, tokenMail);
  const otpFlow = createOtpFlow({ ...flowDeps, store, signIn, ipFailures });
  const apiKeys = createApiKeyService({ db, clock, findCollection: collections.find });
  const totp = createTotpFlow({
    db,
    secrets,
    config,
    records,
    store,
    signIn,
    ipFailures,
    clock,
    authCollection,
    findCollection: collections.find,
  });
  const passkeys = createPasskeyFlow({
    db,
    config,
    records,
    signIn,
    clock,
    authCollection,
    findCollection: collections.find,
  });
  const externalAuths = createExternalAuths(db, records);
  const oauth2 = createOAuth2Flow({
    records,
    signIn,
    externalAuths,
    logger,
    authCollection,
    findCollection: collections.find,
  });
  const anonymous = createAnonymousFlow({
    records,
    signIn,
    externalAuths,
    clock,
    authCollection,
    findCollection: collections.find,
  });

  return {
    installToken,
    /** Hooks every completed sign-in runs (server functions' beforeAuth/afterAuth). */
    addSignInHook: signIn.addHook,
    /** ForgeBase's API keys (`/api/keys`). */
    apiKeys,

    /** True while the given token is the valid, unused install token. */
    isInstallToken(token: string): boolean {
      const a = Buffer.from(token);
      const b = Buffer.from(installToken);
      return !installUsed && clock.now() < installExpires && a.length === b.length && timingSafeEqual(a, b);
    },

    /**
     * Creates the first superuser with the install token. Refused (403) once any superuser
     * exists: checked before the write, and again under a lock inside it (the hooks above),
     * so two racing requests cannot both succeed. The token is spent on success.
     */
    async createFirstSuperuser(body: Record<string, unknown>): Promise<Record<string, unknown>> {
      const record = await records.create(SUPERUSERS, body, installer);
      installUsed = true;
      return record;
    },

    /** Resolves an Authorization header value into a viewer; invalid tokens mean no auth. */
    async viewerFromToken(header: string | undefined): Promise<Viewer> {
      const anonymous: Viewer = { superuser: false };
      if (!header) return anonymous;
      const token = header.replace(/^bearer\s+/i, '').trim();
      if (token.startsWith(KEY_PREFIX)) {
        const grant = await apiKeys.resolve(token);
        return grant ? { superuser: false, apiKey: grant } : anonymous;
      }
      const claims = peekClaims(token);
      if (
        claims?.type !== 'auth' ||
        typeof claims.id !== 'string' ||
        typeof claims.collectionId !== 'string'
      ) {
        return anonymous;
      }
      const cached = tokens.get(token);
      if (cached) return cached;
      const c = collections.find(claims.collectionId);
      if (c?.type !== 'auth') return anonymous;
      const since = tokens.begin();
      const record = await records.findById(c, claims.id);
      if (!record || !verifyAuthToken(clock, token, c, record)) return anonymous;
      const viewer: Viewer = {
        superuser: c.name === SUPERUSERS,
        authId: String(record.id),
        authCollectionId: c.id,
        auth: { collection: c, record },
      };
      tokens.set(token, viewer, tokenExpiry(token), since);
      return tokens.get(token) ?? viewer;
    },

    /** Starts hearing other nodes' record changes for the token cache (a background service). */
    async start(): Promise<void> {
      if (!changes || stopFollowing) return;
      const following = changes.follow('auth-tokens', (rows) => {
        for (const row of rows) if (row.action !== 'create') forgetChanged(row.collectionId, row.recordId);
      });
      stopFollowing = following;
      await following.ready;
    },

    async stop(): Promise<void> {
      await stopFollowing?.();
      stopFollowing = undefined;
    },

    /** PocketBase's auth-with-password: `{identity, password, identityField?}` → `{token, record}` or `{mfaId}`. */
    async authWithPassword(
      collection: string,
      body: Record<string, unknown>,
      ctx: SignInContext = { viewer: { superuser: false }, ip: '' },
    ): Promise<AuthResult> {
      const c = authCollection(collection);
      if (!c.passwordAuth?.enabled)
        throw new ForbiddenError('The collection is not configured to allow password authentication.');
      const identity = body.identity;
      const password = body.password;
      const errors: Record<string, FieldError> = {};
      for (const [k, v] of [
        ['identity', identity],
        ['password', password],
      ] as const) {
        if (typeof v !== 'string' || v === '') errors[k] = fields.required();
        else if (v.length > 255) errors[k] = fields.tooLong(255);
      }
      const identityFields = c.passwordAuth.identityFields;
      const identityField = body.identityField;
      if (
        identityField !== undefined &&
        identityField !== '' &&
        !identityFields.includes(String(identityField))
      ) {
        errors.identityField = fields.notInList();
      }
      if (Object.keys(errors).length)
        throw new ValidationError('An error occurred while validating the submitted data.', errors);
      // brute-force limit: failures per identity and per client IP, in a sliding window;
      // the attempt counts as it arrives (parallel guesses cannot all pass the check) and
      // is given back when the password was right
      const identityKey = `${c.id}:${String(identity).toLowerCase()}`;
      const identityIpKey = `${identityKey}|${ctx.ip}`;
      const attempt = reserveAll([
        [identityIpFailures, identityIpKey],
        [identityFailures, identityKey],
        [ipFailures, ctx.ip],
      ]);
      if (!attempt) throw new TooManyRequestsError(TOO_MANY_FAILURES);
      let record: RecordValues | undefined;
      for (const field of identityField ? [String(identityField)] : identityFields) {
        record = await records.findByField(c, field, String(identity));
        if (record) break;
      }
      const stored = record && isPasswordValue(record.password) ? record.password.hash : '';
      dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
      const ok = await verifyPassword(String(password), stored || (await dummyHash));
      if (!record || !stored || !ok) throw new BadRequestError('Failed to authenticate.');
      attempt.release();
      identityIpFailures.reset(identityIpKey);
      return signIn.complete(c, record, 'password', ctx);
    },

    /** `{token, record}` for a signed-in record, with a new token unless one is given. */
    authResponse(c: Collection, record: RecordValues, token?: string): Promise<AuthSuccess> {
      return signIn.response(c, record, token);
    },

    /**
     * POST auth-refresh: a new token for the viewer's record (a static, impersonation
     * token is answered as it is, like PocketBase); the authRule must still pass.
     */
    async refresh(collection: string, viewer: Viewer, token: string): Promise<AuthSuccess> {
      requireSameCollectionAuth(viewer, collections.find(collection));
      const c = authCollection(collection);
      const record = await records.findById(c, String(viewer.authId));
      if (!record) throw new UnauthorizedError('The request requires valid record authorization token.');
      await signIn.checkAuthRule(c, record, viewer);
      const refreshable = peekClaims(token)?.refreshable === true;
      return signIn.response(c, record, refreshable ? undefined : token);
    },

    /** GET auth-methods: which sign-in methods the collection offers (PocketBase's shape). */
    async authMethods(collection: string): Promise<Record<string, unknown>> {
      const c = authCollection(collection);
      return authMethods(c, await oauth2.providers(c));
    },

    authWithOAuth2: oauth2.authWithOAuth2,
    /** ForgeBase's own: a record's linked OAuth2 identities, and unlinking one. */
    externalAuths: { list: oauth2.listLinks, unlink: oauth2.unlink },
    /** ForgeBase's passkeys (WebAuthn): registration, listing, sign-in. */
    passkeys,
    /** ForgeBase's anonymous sign-in and its upgrade to a regular record. */
    anonymous,
    /** ForgeBase's TOTP second factor: enroll, confirm, disable, auth-with-totp. */
    totp,

    /**
     * POST impersonate/{id} `{duration?}` (superusers only): a static, non-refreshable
     * auth token for any record of the collection; duration 0 means the collection's.
     */
    async impersonate(collection: string, id: string, body: Record<string, unknown>): Promise<AuthSuccess> {
      const c = authCollection(collection);
      const record = await records.findById(c, id);
      if (!record) throw new NotFoundError();
      const raw = body.duration ?? 0;
      const duration = typeof raw === 'number' ? raw : Number(raw);
      if (!Number.isFinite(duration) || duration < 0 || !Number.isInteger(duration)) {
        throw new BadRequestError('An error occurred while validating the submitted data.', {
          duration: fields.atLeast(0, {
            threshold: 0,
          }),
        });
      }
      const token = await signAuthToken(clock, c, record, { duration, refreshable: false });
      return signIn.response(c, record, token);
    },

    ...emailFlows,
    ...emailChange,
    requestOtp: otpFlow.requestOtp,
    requestMagicLink: otpFlow.requestMagicLink,
    authWithOtp: otpFlow.authWithOtp,
    /** A new OTP for a record, returned instead of mailed (the `superuser otp` command). */
    createOtp: otpFlow.createOtp,

    /** Deletes OTPs and MFA sessions older than a day (they expire much sooner). */
    async pruneSessions(): Promise<void> {
      await passkeys.prune();
      return store.prune(formatDate(new Date(clock.now() - 86_400_000)));
    },
  };
}
