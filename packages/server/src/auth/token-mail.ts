import type { Config } from '../config.ts';
import { ApiError, BadRequestError, type FieldError } from '../errors/api-error.ts';
import { FieldCode, fieldError } from '../errors/codes.ts';
import type { Mailer } from '../mail/mailer.ts';
import { renderTemplate, templateOf } from '../mail/templates.ts';
import type { Logger } from '../observability/logger.ts';
import type { RecordService } from '../records/record-service.ts';
import type { Collection } from '../schema/collection.ts';
import type { RecordValues } from '../schema/record-values.ts';
import type { Clock } from '../tools/clock.ts';
import { peekClaims, type TokenType, verifyRecordToken } from './tokens.ts';

export interface EmailFlowDeps {
  config: Config;
  logger: Logger;
  mailer: Mailer;
  records: RecordService;
  /** The time token expiry, code expiry and rate limits are measured by. */
  clock: Clock;
  /** The auth collection of a route, or 404. */
  authCollection(name: string): Collection;
  /** Any auth collection by id or name (for a token's collectionId claim). */
  findCollection(idOrName: string): Collection | undefined;
}

/** The record a verified token names, and its collection. */
export interface TokenRecord {
  collection: Collection;
  record: RecordValues;
}

/** A required email field of a form (PocketBase: 1–255 characters, email format). */
export const EMAIL = { required: true, max: 255, email: true } as const;

/** A failure of the record's own validation, under the message of the flow that caused it. */
export function asFlowError(e: unknown, message: string): unknown {
  return e instanceof ApiError && e.status === 400 ? new BadRequestError(message, e.data) : e;
}

export type TokenMail = ReturnType<typeof createTokenMail>;

/**
 * What the mailed-token flows share: resolving a token to its record, the token field of
 * a form, and rendering and sending a collection's mail template.
 */
export function createTokenMail(deps: EmailFlowDeps) {
  const { config, logger, mailer, records } = deps;

  /** The record a token of a type names, when the token verifies; else undefined. */
  async function recordOfToken(token: string, type: TokenType): Promise<TokenRecord | undefined> {
    const claims = peekClaims(token);
    if (claims?.type !== type || typeof claims.collectionId !== 'string' || typeof claims.id !== 'string')
      return undefined;
    const c = deps.findCollection(claims.collectionId);
    if (c?.type !== 'auth') return undefined;
    const record = await records.findById(c, claims.id);
    if (!record || !verifyRecordToken(deps.clock, token, c, record, type)) return undefined;
    return { collection: c, record };
  }

  return {
    recordOfToken,

    /**
     * A token field of a form: `check` verifies it once (PocketBase's field errors, then
     * `more` for flow-specific ones) and keeps the record it names in `found`.
     */
    tokenField(
      c: Collection,
      type: TokenType,
      more?: (found: TokenRecord, token: string) => FieldError | undefined,
    ) {
      const field = {
        found: undefined as TokenRecord | undefined,
        required: true,
        async check(v: string): Promise<FieldError | undefined> {
          field.found = await recordOfToken(v, type);
          if (!field.found) return fieldError(FieldCode.invalidToken, 'Invalid or expired token.');
          if (field.found.collection.id !== c.id)
            return fieldError(
              FieldCode.tokenCollectionMismatch,
              'The provided token is for different auth collection.',
            );
          return more?.(field.found, v);
        },
      };
      return field;
    },

    /** Renders a template option of the collection for the record and sends it to `to`. */
    mail(
      c: Collection,
      record: RecordValues,
      option: unknown,
      to: string,
      placeholders: Record<string, string>,
    ) {
      const { subject, body } = renderTemplate(templateOf(option), config, c, record, placeholders);
      return mailer.send({ to, subject, html: body });
    },

    /** Sends without making the request wait (or its timing tell whether the email exists). */
    mailInBackground(kind: string, send: () => Promise<void>): void {
      send().catch((err: unknown) => logger.error({ err }, `sending the ${kind} mail failed`));
    },

    /** An auth record by exact email (like PocketBase without a NOCASE index). */
    findByEmail(c: Collection, email: string) {
      return records.findByField(c, 'email', email);
    },
  };
}
