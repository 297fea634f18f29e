import { randomInt } from 'node:crypto';
import { BadRequestError, ForbiddenError, TooManyRequestsError } from '../errors/api-error.ts';
import { type MailTemplate, renderTemplate, templateOf } from '../mail/templates.ts';
import type { Logger } from '../observability/logger.ts';
import type { RecordService } from '../records/record-service.ts';
import type { Collection } from '../schema/collection.ts';
import { randomString } from '../tools/id.ts';
import { type AuthStore, hasExpired } from './auth-store.ts';
import { readForm } from './forms.ts';
import { hashPassword, verifyPassword } from './password.ts';
import { createRateLimiter, type RateLimiter, reserveAll, TOO_MANY_FAILURES } from './rate-limiter.ts';
import type { AuthResult, SignIn, SignInContext } from './sign-in.ts';
import type { EmailFlowDeps } from './token-mail.ts';

export interface OtpDeps extends Pick<EmailFlowDeps, 'config' | 'mailer' | 'authCollection' | 'clock'> {
  logger: Logger;
  records: RecordService;
  store: AuthStore;
  signIn: SignIn;
  /** Failed sign-ins per client IP, shared with password sign-in. */
  ipFailures: RateLimiter;
}

const INVALID = 'Invalid or expired OTP';
const MAX_RECENT = 10;

type OtpOptions = {
  enabled?: boolean;
  duration?: number;
  length?: number;
  emailTemplate?: unknown;
  magicLinkTemplate?: unknown;
};

/** The default magic-link mail: a link to the app's page that finishes the sign-in. */
const MAGIC_LINK_TEMPLATE: MailTemplate = {
  subject: 'Sign in to {APP_NAME}',
  body: '<p>Hello,</p><p>Click on the link below to sign in.</p><p><a href="{APP_URL}/_/#/auth/magic-link?collection={COLLECTION}&otpId={OTP_ID}&code={OTP}">Sign in</a></p><p>If you did not ask for this, ignore this email.</p>',
};

/** The collection's `otp.magicLinkTemplate`, or the default one. */
function magicLinkTemplate(o: OtpOptions): MailTemplate {
  const t = templateOf(o.magicLinkTemplate);
  return t.subject && t.body ? t : MAGIC_LINK_TEMPLATE;
}

function otpOptions(c: Collection): Required<Pick<OtpOptions, 'duration' | 'length'>> & OtpOptions {
  const o = (c.otp ?? {}) as OtpOptions;
  if (!o.enabled) throw new ForbiddenError('The collection is not configured to allow OTP authentication.');
  return { ...o, duration: Number(o.duration) || 180, length: Math.max(4, Number(o.length) || 8) };
}

/** A code of `length` decimal digits, uniformly random. */
function randomDigits(length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += String(randomInt(10));
  return s;
}

/**
 * One-time passwords by email (PocketBase's request-otp and auth-with-otp). The code is
 * stored hashed in `_otps`, is spent by its first successful use, and expires after the
 * collection's `otp.duration`. Requests answer `{otpId}` even for an unknown email.
 */
export function createOtpFlow(deps: OtpDeps) {
  const { config, logger, mailer, records, store, signIn } = deps;
  // like PocketBase: 5 code attempts per record every 3 minutes
  const attempts = createRateLimiter({ limit: 5, windowMs: 180_000, clock: deps.clock });

  /**
   * Stores a hashed code for the record with that email and mails it, as a code or as a
   * link. Every answer costs the same: the count of recent codes and the (slow) hash of a
   * new code are done whether the email is known or not, and mail goes out in the
   * background, so timing does not tell which emails have an account.
   */
  async function issue(collection: string, body: Record<string, unknown>, kind: 'code' | 'link') {
    const c = deps.authCollection(collection);
    const opts = otpOptions(c);
    const form = await readForm(body, { email: { required: true, max: 255, email: true } });
    const record = await records.findByField(c, 'email', form.email);
    const recent = await store.countRecentOtps(c.id, record ? String(record.id) : '', opts.duration);
    // a link is clicked, not typed: its code can be long
    const code = kind === 'link' ? randomString(32) : randomDigits(opts.length);
    // an unknown email gets an id that leads nowhere, so the answer reveals nothing; the
    // hash it skips is made anyway (a stored code is hashed by the record service)
    if (!record || recent >= MAX_RECENT) {
      await hashPassword(code);
      if (record)
        logger.warn({ collection: c.name, record: record.id }, 'too many OTP requests; no new code sent');
      return { otpId: randomString(15) };
    }
    const otpId = await store.createOtp({
      collection_ref: c.id,
      record_ref: String(record.id),
      password: code,
      sent_to: String(record.email),
    });
    const template = kind === 'link' ? magicLinkTemplate(opts) : templateOf(opts.emailTemplate);
    const { subject, body: html } = renderTemplate(template, config, c, record, {
      '{OTP}': code,
      '{OTP_ID}': otpId,
      '{COLLECTION}': encodeURIComponent(c.name),
    });
    mailer.send({ to: String(record.email), subject, html }).catch(async (err: unknown) => {
      logger.error({ err }, 'sending the OTP mail failed');
      await store
        .deleteOtp(otpId)
        .catch((e: unknown) => logger.error({ err: e, otpId }, 'removing the OTP of a failed mail failed'));
    });
    return { otpId };
  }

  return {
    /** POST request-otp `{email}` → `{otpId}`. */
    requestOtp(collection: string, body: Record<string, unknown>): Promise<{ otpId: string }> {
      return issue(collection, body, 'code');
    },

    /**
     * ForgeBase's POST request-magic-link `{email}` → `{otpId}`: the OTP goes out as a
     * link (`otp.magicLinkTemplate`) carrying otpId and a long code; the page it opens
     * signs in with auth-with-otp `{otpId, password: code}`.
     */
    requestMagicLink(collection: string, body: Record<string, unknown>): Promise<{ otpId: string }> {
      return issue(collection, body, 'link');
    },

    /**
     * A new OTP for a record, handed to the caller instead of mailed (PocketBase's
     * `superuser otp` command): a code of the collection's `otp.length` digits, valid for
     * `otp.duration` seconds. Refused when the collection has OTP auth disabled.
     */
    async createOtp(
      c: Collection,
      recordId: string,
    ): Promise<{ id: string; password: string; duration: number }> {
      const o = (c.otp ?? {}) as OtpOptions;
      if (!o.enabled) throw new BadRequestError(`OTP auth is not enabled for the ${c.name} collection`);
      const { duration, length } = otpOptions(c);
      const password = randomDigits(length);
      const id = await store.createOtp({
        collection_ref: c.id,
        record_ref: recordId,
        password,
        sent_to: '',
      });
      return { id, password, duration };
    },

    /** POST auth-with-otp `{otpId, password}` → `{token, record}` (or `{mfaId}`). */
    async authWithOtp(
      collection: string,
      body: Record<string, unknown>,
      ctx: SignInContext,
    ): Promise<AuthResult> {
      const c = deps.authCollection(collection);
      const opts = otpOptions(c);
      const form = await readForm(body, {
        otpId: { required: true, max: 255 },
        password: { required: true, max: 71 },
      });
      const otp = await store.findOtp(form.otpId);
      if (!otp || otp.collection_ref !== c.id) throw new BadRequestError(INVALID);
      if (hasExpired(otp.created, opts.duration, deps.clock.now())) {
        await store.deleteOtp(otp.id);
        throw new BadRequestError(INVALID);
      }
      let record = await records.findById(c, otp.record_ref);
      if (!record) throw new BadRequestError(INVALID);
      const key = `${c.id}:${String(record.id)}`;
      // counted as they arrive: per client IP (given back on success), per code (kept)
      if (attempts.exceeded(key))
        throw new TooManyRequestsError('Too many attempts, please try again later with a new OTP.');
      const attempt = reserveAll([
        [deps.ipFailures, ctx.ip],
        [attempts, key],
      ]);
      if (!attempt) throw new TooManyRequestsError(TOO_MANY_FAILURES);
      if (!(await verifyPassword(form.password, otp.password))) throw new BadRequestError(INVALID);
      attempt.release();
      // spent once: of two racing uses only one gets through
      if (!(await store.deleteOtp(otp.id))) throw new BadRequestError(INVALID);
      attempts.reset(key);
      if (!record.verified && otp.sent_to !== '' && otp.sent_to === record.email) {
        // the code reached the mailbox, which proves the email; like PocketBase, a password
        // someone else may have set on an unverified account is replaced (unless MFA needs it)
        const update: Record<string, unknown> = { verified: true };
        if (!(c.mfa as { enabled?: boolean } | undefined)?.enabled) {
          const pw = randomString(30);
          Object.assign(update, { password: pw, passwordConfirm: pw });
        }
        await records.asSystem().update(c.id, String(record.id), update);
        record = (await records.findById(c, String(record.id))) ?? record;
      }
      return signIn.complete(c, record, 'otp', ctx);
    },
  };
}
