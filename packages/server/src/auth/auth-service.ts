import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from '../db/database.ts';
import { BadRequestError, ForbiddenError, NotFoundError, ValidationError } from '../errors/api-error.ts';
import type { RecordValues, Viewer } from '../records/record-codec.ts';
import { exportRecord } from '../records/record-codec.ts';
import type { RecordService } from '../records/record-service.ts';
import { type Collection, SUPERUSERS } from '../schema/collection.ts';
import type { CollectionService } from '../schema/collection-service.ts';
import { isPasswordValue } from '../schema/fields/password.ts';
import { hashPassword, verifyPassword } from './password.ts';
import { peekClaims, signAuthToken, verifyAuthToken } from './tokens.ts';

export interface AuthServiceDeps {
  db: Database;
  collections: CollectionService;
  records: RecordService;
}

export type AuthService = ReturnType<typeof createAuthService>;

/**
 * Password sign-in and token resolution for auth collections. The full set of flows
 * (OTP, OAuth2, MFA...) builds on this in the auth issue.
 */
export function createAuthService({ db, collections, records }: AuthServiceDeps) {
  // one-time install token: lets the first superuser be created, only while none exists
  const installToken = randomBytes(24).toString('base64url');
  const installExpires = Date.now() + 60 * 60 * 1000;
  let installUsed = false;
  // a hash to compare against when the identity is unknown, so timing does not reveal it
  let dummyHash: Promise<string> | undefined;

  return {
    installToken,

    /** True while the given token is the valid, unused install token. */
    isInstallToken(token: string): boolean {
      const a = Buffer.from(token);
      const b = Buffer.from(installToken);
      return !installUsed && Date.now() < installExpires && a.length === b.length && timingSafeEqual(a, b);
    },

    /**
     * Creates the first superuser with the install token. Refused (403) once any superuser
     * exists; the check runs under a lock inside the write, so two racing requests cannot
     * both succeed. The token is spent on success.
     */
    async createFirstSuperuser(body: Record<string, unknown>): Promise<Record<string, unknown>> {
      const su = collections.get(SUPERUSERS);
      const record = await records.create(
        SUPERUSERS,
        body,
        { superuser: true },
        {
          precondition: async (tx) => {
            await db.lockKey(tx, 'install-superuser');
            if (await records.hasAny(tx, su))
              throw new ForbiddenError('Only superusers can perform this action.');
          },
        },
      );
      installUsed = true;
      return record;
    },

    /** Resolves an Authorization header value into a viewer; invalid tokens mean no auth. */
    async viewerFromToken(header: string | undefined): Promise<Viewer> {
      const anonymous: Viewer = { superuser: false };
      if (!header) return anonymous;
      const token = header.replace(/^bearer\s+/i, '').trim();
      const claims = peekClaims(token);
      if (
        claims?.type !== 'auth' ||
        typeof claims.id !== 'string' ||
        typeof claims.collectionId !== 'string'
      ) {
        return anonymous;
      }
      const c = collections.find(claims.collectionId);
      if (c?.type !== 'auth') return anonymous;
      const record = await records.findById(c, claims.id);
      if (!record || !(await verifyAuthToken(token, c, record))) return anonymous;
      return {
        superuser: c.name === SUPERUSERS,
        authId: String(record.id),
        authCollectionId: c.id,
        auth: { collection: c, record },
      };
    },

    /** PocketBase's auth-with-password: `{identity, password, identityField?}` → `{token, record}`. */
    async authWithPassword(
      collection: string,
      body: Record<string, unknown>,
    ): Promise<{ token: string; record: Record<string, unknown> }> {
      const c = collections.find(collection);
      if (c?.type !== 'auth') throw new NotFoundError('Missing or invalid auth collection context.');
      if (!c.passwordAuth?.enabled)
        throw new ForbiddenError('The collection is not configured to allow password authentication.');
      const identity = body.identity;
      const password = body.password;
      const errors: Record<string, { code: string; message: string }> = {};
      for (const [k, v] of [
        ['identity', identity],
        ['password', password],
      ] as const) {
        if (typeof v !== 'string' || v === '')
          errors[k] = { code: 'validation_required', message: 'Cannot be blank.' };
        else if (v.length > 255)
          errors[k] = { code: 'validation_length_too_long', message: 'The length must be no more than 255.' };
      }
      const fields = c.passwordAuth.identityFields;
      const identityField = body.identityField;
      if (identityField !== undefined && identityField !== '' && !fields.includes(String(identityField))) {
        errors.identityField = { code: 'validation_in_invalid', message: 'Must be a valid value.' };
      }
      if (Object.keys(errors).length)
        throw new ValidationError('An error occurred while validating the submitted data.', errors);
      let record: RecordValues | undefined;
      for (const field of identityField ? [String(identityField)] : fields) {
        record = await records.findByField(c, field, String(identity));
        if (record) break;
      }
      const stored = record && isPasswordValue(record.password) ? record.password.hash : '';
      dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
      const ok = await verifyPassword(String(password), stored || (await dummyHash));
      if (!record || !stored || !ok) throw new BadRequestError('Failed to authenticate.');
      return this.authResponse(c, record);
    },

    /** `{token, record}` for a signed-in record; the record always shows its email. */
    async authResponse(
      c: Collection,
      record: RecordValues,
    ): Promise<{ token: string; record: Record<string, unknown> }> {
      const token = await signAuthToken(c, record);
      const viewer: Viewer = {
        superuser: c.name === SUPERUSERS,
        authId: String(record.id),
        authCollectionId: c.id,
      };
      return { token, record: exportRecord(c, record, viewer) };
    },
  };
}
