import { BadRequestError } from '../errors/api-error.ts';
import { FieldCode, fieldError } from '../errors/codes.ts';
import type { Viewer } from '../rules/viewer.ts';
import { SUPERUSERS } from '../schema/collection.ts';
import { isPasswordValue } from '../schema/fields/password.ts';
import { readForm } from './forms.ts';
import { verifyPassword } from './password.ts';
import { requireSameCollectionAuth } from './sign-in.ts';
import { asFlowError, EMAIL, type EmailFlowDeps, type TokenMail } from './token-mail.ts';
import { peekClaims, signRecordToken } from './tokens.ts';

const SUPERUSERS_EMAIL = 'All superusers can change their emails directly.';

export type EmailChangeFlow = ReturnType<typeof createEmailChangeFlow>;

/**
 * Email change (PocketBase's): a signed-in record asks, a token goes to the new address,
 * and confirming it with the password sets the new email (verified) and a new tokenKey.
 */
export function createEmailChangeFlow(deps: EmailFlowDeps, tm: TokenMail) {
  const { logger, records } = deps;
  const { tokenField, mail, findByEmail } = tm;

  return {
    /** POST request-email-change `{newEmail}` (signed in as a record of the collection) → 204. */
    async requestEmailChange(
      collection: string,
      body: Record<string, unknown>,
      viewer: Viewer,
    ): Promise<void> {
      requireSameCollectionAuth(viewer, deps.findCollection(collection));
      const c = deps.authCollection(collection);
      if (c.name === SUPERUSERS) throw new BadRequestError(SUPERUSERS_EMAIL);
      const record = viewer.auth?.record ?? {};
      const form = await readForm(body, {
        newEmail: {
          ...EMAIL,
          check: async (v) => {
            if (v === record.email) return fieldError(FieldCode.notInInvalid, 'Must not be in list.');
            const other = await findByEmail(c, v);
            if (other && other.id !== record.id)
              return fieldError(FieldCode.invalidNewEmail, 'Invalid new email address.');
            return undefined;
          },
        },
      });
      try {
        const token = await signRecordToken(deps.clock, c, record, 'emailChange', {
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
      const newEmailOf = (v: string) => {
        const e = peekClaims(v)?.newEmail;
        return typeof e === 'string' ? e : '';
      };
      const token = tokenField(c, 'emailChange');
      let emailTaken = false;
      const form = await readForm(body, {
        token: {
          required: true,
          check: async (v) => {
            if (!newEmailOf(v))
              return fieldError(
                FieldCode.invalidTokenPayload,
                'Invalid token payload - newEmail must be set.',
              );
            const err = await token.check(v);
            if (err) return err;
            emailTaken = (await findByEmail(c, newEmailOf(v))) !== undefined;
            return emailTaken
              ? fieldError(FieldCode.invalidTokenEmail, 'The new email address is invalid.')
              : undefined;
          },
        },
        password: {
          required: true,
          max: 100,
          check: async (v) => {
            const pw = token.found?.record.password;
            const hash = isPasswordValue(pw) ? pw.hash : '';
            if (!hash || !(await verifyPassword(v, hash)))
              return fieldError(FieldCode.invalidPassword, 'Missing or invalid auth record password.');
            return undefined;
          },
        },
      });
      const found = token.found;
      if (!found || emailTaken) throw new BadRequestError('Invalid or expired token.');
      try {
        await records
          .asSystem()
          .update(c.id, String(found.record.id), { email: newEmailOf(form.token), verified: true });
      } catch (e) {
        throw asFlowError(e, 'Failed to confirm email change.');
      }
    },
  };
}
