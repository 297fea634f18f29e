import { BadRequestError } from '../errors/api-error.ts';
import { FieldCode, fieldError } from '../errors/codes.ts';
import { SUPERUSERS } from '../schema/collection.ts';
import { randomString } from '../tools/id.ts';
import { readForm } from './forms.ts';
import { createRateLimiter } from './rate-limiter.ts';
import { asFlowError, EMAIL, type EmailFlowDeps, type TokenMail } from './token-mail.ts';
import { peekClaims, signRecordToken } from './tokens.ts';

const SUPERUSERS_VERIFIED = 'All superusers are verified by default.';

export type EmailFlows = ReturnType<typeof createEmailFlows>;

/**
 * Verification and password reset through a mailed token (PocketBase's). Request
 * endpoints answer the same whether or not the email exists; each token type is signed
 * with its own collection secret plus the record's tokenKey.
 */
export function createEmailFlows(deps: EmailFlowDeps, tm: TokenMail) {
  const { records } = deps;
  const { tokenField, mail, mailInBackground, findByEmail } = tm;
  // like PocketBase: one mail of a kind per record every 2 minutes
  const resend = createRateLimiter({ limit: 1, windowMs: 2 * 60_000, clock: deps.clock });

  return {
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
        const token = await signRecordToken(deps.clock, c, record, 'verification', { email: record.email });
        await mail(c, record, c.verificationTemplate, String(record.email), { '{TOKEN}': token });
      });
    },

    /** POST confirm-verification `{token}` → 204; marks the record verified. */
    async confirmVerification(collection: string, body: Record<string, unknown>): Promise<void> {
      const c = deps.authCollection(collection);
      if (c.name === SUPERUSERS) throw new BadRequestError(SUPERUSERS_VERIFIED);
      const claimed = (v: string) => peekClaims(v)?.email;
      const token = tokenField(c, 'verification', (found, v) =>
        found.record.email === claimed(v)
          ? undefined
          : fieldError(
              FieldCode.tokenEmailMismatch,
              "The record email doesn't match with the requested token claims.",
            ),
      );
      await readForm(body, {
        token: {
          required: true,
          check: (v) =>
            typeof claimed(v) === 'string' && claimed(v) !== ''
              ? token.check(v)
              : fieldError(FieldCode.invalidTokenClaims, 'Missing email token claim.'),
        },
      });
      const found = token.found;
      if (!found) throw new BadRequestError('Invalid or expired verification token.');
      resend.reset(`verification:${c.id}:${String(found.record.id)}`);
      if (found.record.verified) return;
      try {
        const update: Record<string, unknown> = { verified: true };
        // like PocketBase: without password sign-in, a password set before verification is dropped
        if (!c.passwordAuth?.enabled) {
          const pw = randomString(30);
          Object.assign(update, { password: pw, passwordConfirm: pw });
        }
        await records.asSystem().update(c.id, String(found.record.id), update);
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
        const token = await signRecordToken(deps.clock, c, record, 'passwordReset', { email: record.email });
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
      const token = tokenField(c, 'passwordReset');
      const form = await readForm(body, {
        token,
        password: { required: true, min, max: 255 },
        passwordConfirm: {
          required: true,
          check: (v) =>
            v === String(body.password ?? '')
              ? undefined
              : fieldError(FieldCode.valuesMismatch, "Values don't match."),
        },
      });
      const found = token.found;
      if (!found) throw new BadRequestError('Invalid or expired password reset token.');
      const update: Record<string, unknown> = { password: form.password, passwordConfirm: form.password };
      // the reset link reached the mailbox: that proves the email, like verification does
      if (!found.record.verified && peekClaims(form.token)?.email === found.record.email)
        update.verified = true;
      resend.reset(`passwordReset:${c.id}:${String(found.record.id)}`);
      try {
        await records.asSystem().update(c.id, String(found.record.id), update);
      } catch (e) {
        throw asFlowError(e, 'Failed to set new password.');
      }
    },
  };
}
