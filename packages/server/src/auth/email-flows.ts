import type { Config } from '../config.ts';
import { ApiError, BadRequestError, fieldError, UnauthorizedError } from '../errors/api-error.ts';
import type { Mailer } from '../mail/mailer.ts';
import { renderTemplate, templateOf } from '../mail/templates.ts';
import type { Logger } from '../observability/logger.ts';
import type { RecordValues, Viewer } from '../records/record-codec.ts';
import type { RecordService } from '../records/record-service.ts';
import { type Collection, SUPERUSERS } from '../schema/collection.ts';
import { isPasswordValue } from '../schema/fields/password.ts';
import { readForm } from './forms.ts';
import { verifyPassword } from './password.ts';
import { createRateLimiter } from './rate-limiter.ts';
import { peekClaims, signRecordToken, type TokenType, verifyRecordToken } from './tokens.ts';

export interface EmailFlowDeps {
  config: Config;
  logger: Logger;
  mailer: Mailer;
  records: RecordService;
  /** The auth collection of a route, or 404. */
  authCollection(name: string): Collection;
  /** Any auth collection by id or name (for a token's collectionId claim). */
  findCollection(idOrName: string): Collection | undefined;
}

const EMAIL = { required: true, max: 255, email: true } as const;
const SUPERUSERS_VERIFIED = 'All superusers are verified by default.';
const SUPERUSERS_EMAIL = 'All superusers can change their emails directly.';

/** A failure of the record's own validation, under the message of the flow that caused it. */
function asFlowError(e: unknown, message: string): unknown {
  return e instanceof ApiError && e.status === 400 ? new BadRequestError(message, e.data) : e;
}

export type EmailFlows = ReturnType<typeof createEmailFlows>;

/**
 * The flows that go through a mailed token (PocketBase's): verification, password reset
 * and email change. Request endpoints answer the same whether or not the email exists;
 * each token type is signed with its own collection secret plus the record's tokenKey.
 */
export function createEmailFlows(deps: EmailFlowDeps) {
  const { config, logger, mailer, records } = deps;
  // like PocketBase: one mail of a kind per record every 2 minutes
  const resend = createRateLimiter({ limit: 1, windowMs: 2 * 60_000 });

  /** The record a token of a type names, when the token verifies; else undefined. */
  async function recordOfToken(
    token: string,
    type: TokenType,
  ): Promise<{ collection: Collection; record: RecordValues } | undefined> {
    const claims = peekClaims(token);
    if (claims?.type !== type || typeof claims.collectionId !== 'string' || typeof claims.id !== 'string')
      return undefined;
    const c = deps.findCollection(claims.collectionId);
    if (c?.type !== 'auth') return undefined;
    const record = await records.findById(c, claims.id);
    if (!record || !(await verifyRecordToken(token, c, record, type))) return undefined;
    return { collection: c, record };
  }

  /** A token field's check: verifies and matches the route's collection. */
  const tokenCheck = (c: Collection, type: TokenType) => async (v: string) => {
    const found = await recordOfToken(v, type);
    if (!found) return fieldError('validation_invalid_token', 'Invalid or expired token.');
    if (found.collection.id !== c.id)
      return fieldError(
        'validation_token_collection_mismatch',
        'The provided token is for different auth collection.',
      );
    return undefined;
  };

  function mail(
    c: Collection,
    record: RecordValues,
    option: unknown,
    to: string,
    placeholders: Record<string, string>,
  ) {
    const { subject, body } = renderTemplate(templateOf(option), config, c, record, placeholders);
    return mailer.send({ to, subject, html: body });
  }

  /** Sends without making the request wait (or its timing tell whether the email exists). */
  function mailInBackground(kind: string, send: () => Promise<void>): void {
    send().catch((err: unknown) => logger.error({ err }, `sending the ${kind} mail failed`));
  }

  const findByEmail = (c: Collection, email: string) => records.findByField(c, 'email', email);

  return {
    recordOfToken,

    /** POST request-verification `{email}` → 204, whether or not the email exists. */
    async requestVerification(collection: string, body: Record<string, unknown>): Promise<void> {
      const c = deps.authCollection(collection);
      if (c.name === SUPERUSERS) throw new BadRequestError(SUPERUSERS_VERIFIED);
      const form = await readForm(body, { email: EMAIL });
      const record = await findByEmail(c, form.email);
      if (!record || record.verified) return;
      const key = `verification:${c.id}:${String(record.id)}`;
      if (resend.exceeded(key)) return;
      resend.hit(key);
      mailInBackground('verification', async () => {
        const token = await signRecordToken(c, record, 'verification', { email: record.email });
        await mail(c, record, c.verificationTemplate, String(record.email), { '{TOKEN}': token });
      });
    },

    /** POST confirm-verification `{token}` → 204; marks the record verified. */
    async confirmVerification(collection: string, body: Record<string, unknown>): Promise<void> {
      const c = deps.authCollection(collection);
      if (c.name === SUPERUSERS) throw new BadRequestError(SUPERUSERS_VERIFIED);
      const check = tokenCheck(c, 'verification');
      const form = await readForm(body, {
        token: {
          required: true,
          check: async (v) => {
            if (typeof peekClaims(v)?.email !== 'string' || !peekClaims(v)?.email)
              return fieldError('validation_invalid_token_claims', 'Missing email token claim.');
            const err = await check(v);
            if (err) return err;
            const found = await recordOfToken(v, 'verification');
            if (found && found.record.email !== peekClaims(v)?.email)
              return fieldError(
                'validation_token_email_mismatch',
                "The record email doesn't match with the requested token claims.",
              );
            return undefined;
          },
        },
      });
      const found = await recordOfToken(form.token, 'verification');
      if (!found) throw new BadRequestError('Invalid or expired verification token.');
      resend.reset(`verification:${c.id}:${String(found.record.id)}`);
      if (found.record.verified) return;
      try {
        await records.update(c.id, String(found.record.id), { verified: true }, { superuser: true });
      } catch (e) {
        throw asFlowError(e, 'An error occurred while saving the verified state.');
      }
    },

    /** POST request-password-reset `{email}` → 204, whether or not the email exists. */
    async requestPasswordReset(collection: string, body: Record<string, unknown>): Promise<void> {
      const c = deps.authCollection(collection);
      if (!c.passwordAuth?.enabled)
        throw new BadRequestError('The collection is not configured to allow password authentication.');
      const form = await readForm(body, { email: EMAIL });
      const record = await findByEmail(c, form.email);
      if (!record) return;
      const key = `passwordReset:${c.id}:${String(record.id)}`;
      if (resend.exceeded(key)) return;
      resend.hit(key);
      mailInBackground('password reset', async () => {
        const token = await signRecordToken(c, record, 'passwordReset', { email: record.email });
        await mail(c, record, c.resetPasswordTemplate, String(record.email), { '{TOKEN}': token });
      });
    },

    /**
     * POST confirm-password-reset `{token, password, passwordConfirm}` → 204. The new
     * password rotates the record's tokenKey: every earlier token (this one too) stops working.
     */
    async confirmPasswordReset(collection: string, body: Record<string, unknown>): Promise<void> {
      const c = deps.authCollection(collection);
      const pwField = c.fields.find((f) => f.name === 'password');
      const min = Math.max(1, Number(pwField?.min ?? 0) || 1);
      const form = await readForm(body, {
        token: { required: true, check: tokenCheck(c, 'passwordReset') },
        password: { required: true, min, max: 255 },
        passwordConfirm: {
          required: true,
          check: (v) =>
            v === String(body.password ?? '')
              ? undefined
              : fieldError('validation_values_mismatch', "Values don't match."),
        },
      });
      const found = await recordOfToken(form.token, 'passwordReset');
      if (!found) throw new BadRequestError('Invalid or expired password reset token.');
      const update: Record<string, unknown> = { password: form.password, passwordConfirm: form.password };
      // the reset link reached the mailbox: that proves the email, like verification does
      if (!found.record.verified && peekClaims(form.token)?.email === found.record.email)
        update.verified = true;
      resend.reset(`passwordReset:${c.id}:${String(found.record.id)}`);
      try {
        await records.update(c.id, String(found.record.id), update, { superuser: true });
      } catch (e) {
        throw asFlowError(e, 'Failed to set new password.');
      }
    },

    /** POST request-email-change `{newEmail}` (signed in as a record of the collection) → 204. */
    async requestEmailChange(
      collection: string,
      body: Record<string, unknown>,
      viewer: Viewer,
    ): Promise<void> {
      const c = deps.authCollection(collection);
      const auth = viewer.auth;
      if (!auth || viewer.authCollectionId !== c.id)
        throw new UnauthorizedError('The request requires valid record authorization token.');
      if (c.name === SUPERUSERS) throw new BadRequestError(SUPERUSERS_EMAIL);
      const record = auth.record;
      const form = await readForm(body, {
        newEmail: {
          ...EMAIL,
          check: async (v) => {
            if (v === record.email) return fieldError('validation_not_in_invalid', 'Must not be in list.');
            const other = await findByEmail(c, v);
            if (other && other.id !== record.id)
              return fieldError('validation_invalid_new_email', 'Invalid new email address.');
            return undefined;
          },
        },
      });
      try {
        const token = await signRecordToken(c, record, 'emailChange', {
          email: record.email,
          newEmail: form.newEmail,
        });
        await mail(c, record, c.confirmEmailChangeTemplate, form.newEmail, { '{TOKEN}': token });
      } catch (e) {
        logger.error({ err: e }, 'sending the email change mail failed');
        throw new BadRequestError('Failed to request email change.');
      }
    },

    /** POST confirm-email-change `{token, password}` → 204; sets the new email, verified. */
    async confirmEmailChange(collection: string, body: Record<string, unknown>): Promise<void> {
      const c = deps.authCollection(collection);
      if (c.name === SUPERUSERS) throw new BadRequestError(SUPERUSERS_EMAIL);
      const parse = async (token: string) => {
        const newEmail = peekClaims(token)?.newEmail;
        if (typeof newEmail !== 'string' || newEmail === '')
          return fieldError(
            'validation_invalid_token_payload',
            'Invalid token payload - newEmail must be set.',
          );
        const found = await recordOfToken(token, 'emailChange');
        if (!found) return fieldError('validation_invalid_token', 'Invalid or expired token.');
        if (found.collection.id !== c.id)
          return fieldError(
            'validation_token_collection_mismatch',
            'The provided token is for different auth collection.',
          );
        if (await findByEmail(c, newEmail))
          return fieldError('validation_invalid_token_email', 'The new email address is invalid.');
        return { record: found.record, newEmail };
      };
      const token = String(body.token ?? '');
      const parsed = token ? await parse(token) : undefined;
      const form = await readForm(body, {
        token: { required: true, check: () => (parsed && 'code' in parsed ? parsed : undefined) },
        password: {
          required: true,
          max: 100,
          check: async (v) => {
            const hash =
              parsed && 'record' in parsed && isPasswordValue(parsed.record.password)
                ? parsed.record.password.hash
                : '';
            if (!hash || !(await verifyPassword(v, hash)))
              return fieldError('validation_invalid_password', 'Missing or invalid auth record password.');
            return undefined;
          },
        },
      });
      if (!parsed || !('record' in parsed) || !form.token)
        throw new BadRequestError('Invalid or expired token.');
      try {
        await records.update(
          c.id,
          String(parsed.record.id),
          { email: parsed.newEmail, verified: true },
          { superuser: true },
        );
      } catch (e) {
        throw asFlowError(e, 'Failed to confirm email change.');
      }
    },
  };
}
