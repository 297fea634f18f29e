import type { Database } from '../db/database.ts';
import { BadRequestError } from '../errors/api-error.ts';
import { FieldCode, fieldError } from '../errors/codes.ts';
import type { Clock } from '../tools/clock.ts';
import { randomSecret } from '../tools/id.ts';
import { nowDate } from '../tools/time.ts';

const jose = () => import('jose');
const PARAM_ID = 'storageSigningKey';
/** Signed URLs live at most 7 days (as S3 presigned URLs). */
export const MAX_SIGNED_SECONDS = 7 * 24 * 3600;

/** What a signed URL lets its holder do: download, or upload (once, possibly replacing). */
export interface SignedGrant {
  bucketId: string;
  name: string;
  action: 'download' | 'upload';
  upsert?: boolean;
  /** For uploads: the record the object will belong to (who signed the URL). */
  owner?: string;
}

/**
 * Signs and checks the tokens of signed URLs with a key kept in `_params` (made on first
 * use, shared by every node on the same database); expiry is measured by `clock`.
 */
export function createUrlSigner(db: Database, clock: Clock) {
  let key: Promise<Uint8Array> | undefined;

  async function loadKey(): Promise<Uint8Array> {
    const read = () =>
      db.first<{ value: string }>(db.sys.selectFrom('_params').select('value').where('id', '=', PARAM_ID));
    let row = await read();
    if (!row) {
      const now = nowDate(clock.now());
      await db.run(
        db.qb
          .insertInto('_params')
          .values({ id: PARAM_ID, value: JSON.stringify(randomSecret(32)), created: now, updated: now })
          .onConflict((oc) => oc.column('id').doNothing()),
      );
      row = await read();
    }
    return new TextEncoder().encode(JSON.parse(String(row!.value)) as string);
  }

  const secret = () => {
    key ??= loadKey().catch((e: unknown) => {
      key = undefined;
      throw e;
    });
    return key;
  };

  return {
    /** A token for `grant`, valid for `seconds` (1 to 7 days' worth). */
    async sign(grant: SignedGrant, seconds: number): Promise<string> {
      if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_SIGNED_SECONDS)
        throw new BadRequestError(`expiresIn must be 1 to ${MAX_SIGNED_SECONDS} seconds.`, {
          expiresIn: fieldError(FieldCode.invalidExpires, 'Must be a whole number of seconds.'),
        });
      const { SignJWT } = await jose();
      const extra = { ...(grant.upsert ? { up: true } : {}), ...(grant.owner ? { own: grant.owner } : {}) };
      return new SignJWT({ b: grant.bucketId, o: grant.name, act: grant.action, ...extra })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setExpirationTime(Math.floor(clock.now() / 1000) + seconds)
        .sign(await secret());
    },
    /** The grant a token carries, or undefined when it is forged, expired or not one of ours. */
    async verify(token: string): Promise<SignedGrant | undefined> {
      const { jwtVerify } = await jose();
      try {
        const { payload } = await jwtVerify(token, await secret(), {
          algorithms: ['HS256'],
          currentDate: new Date(clock.now()),
        });
        if (typeof payload.b !== 'string' || typeof payload.o !== 'string') return undefined;
        if (payload.act !== 'download' && payload.act !== 'upload') return undefined;
        return {
          bucketId: payload.b,
          name: payload.o,
          action: payload.act,
          upsert: payload.up === true,
          ...(typeof payload.own === 'string' ? { owner: payload.own } : {}),
        };
      } catch {
        return undefined;
      }
    },
  };
}

export type UrlSigner = ReturnType<typeof createUrlSigner>;
