import type { Database } from '../db/database.ts';
import { NotFoundError } from '../errors/api-error.ts';
import type { RecordService } from '../records/record-service.ts';
import type { Clock } from '../tools/clock.ts';
import { formatDate } from '../tools/time.ts';
import { MFAS, OTPS } from './auth-collections.ts';

/** A stored one-time password of a record (its hash in `password`): a `_otps` record. */
export interface OtpRow {
  id: string;
  collection_ref: string;
  record_ref: string;
  password: string;
  sent_to: string;
  created: string;
}

/** A pending multi-factor sign-in (the first factor a record passed, and when): a `_mfas` record. */
export interface MfaRow {
  id: string;
  collection_ref: string;
  record_ref: string;
  method: string;
  created: string;
}

export type AuthStore = ReturnType<typeof createAuthStore>;

/** True when a row created at `created` (stored date) is older than `seconds` at `now` (epoch ms). */
export function hasExpired(created: string, seconds: number, now: number): boolean {
  return Date.parse(created.replace(' ', 'T')) + seconds * 1000 <= now;
}

/**
 * PocketBase's `_otps` and `_mfas` system collections, as auth uses them: read from their
 * tables, written through the record service (which hashes an OTP's password and dates
 * rows by the app's clock), so superusers and owners see them through the records API.
 */
export function createAuthStore(db: Database, records: RecordService, clock: Clock) {
  const qb = db.qb;
  const sys = () => records.asSystem();
  const refs = ['id', 'collectionRef as collection_ref', 'recordRef as record_ref', 'created'] as const;

  /** Deletes a record; true when this call removed it (of two racing deletes one wins). */
  async function spend(collection: string, id: string): Promise<boolean> {
    try {
      await sys().delete(collection, id);
      return true;
    } catch (e) {
      if (e instanceof NotFoundError) return false;
      throw e;
    }
  }

  return {
    /** Stores an OTP (hashed by the record service) and returns its id. */
    async createOtp(row: { collection_ref: string; record_ref: string; password: string; sent_to: string }) {
      const created = await sys().create(OTPS, {
        collectionRef: row.collection_ref,
        recordRef: row.record_ref,
        password: row.password,
        sentTo: row.sent_to,
      });
      return String(created.id);
    },

    findOtp(id: string): Promise<OtpRow | undefined> {
      return db.first<OtpRow>(
        qb
          .selectFrom(OTPS)
          .select([...refs, 'password', 'sentTo as sent_to'])
          .where('id', '=', id),
      );
    },

    /** Deletes an OTP; true when this call removed it (so a code is spent only once). */
    deleteOtp(id: string): Promise<boolean> {
      return spend(OTPS, id);
    },

    /** How many OTPs of a record were created within the last `seconds`. */
    async countRecentOtps(collectionRef: string, recordRef: string, seconds: number): Promise<number> {
      const since = formatDate(new Date(clock.now() - seconds * 1000));
      const row = await db.first<{ n: unknown }>(
        qb
          .selectFrom(OTPS)
          .select((eb) => eb.fn.countAll().as('n'))
          .where('collectionRef', '=', collectionRef)
          .where('recordRef', '=', recordRef)
          .where('created', '>', since),
      );
      return Number(row?.n ?? 0);
    },

    async createMfa(row: { collection_ref: string; record_ref: string; method: string }): Promise<string> {
      const created = await sys().create(MFAS, {
        collectionRef: row.collection_ref,
        recordRef: row.record_ref,
        method: row.method,
      });
      return String(created.id);
    },

    findMfa(id: string): Promise<MfaRow | undefined> {
      return db.first<MfaRow>(
        qb
          .selectFrom(MFAS)
          .select([...refs, 'method'])
          .where('id', '=', id),
      );
    },

    deleteMfa(id: string): Promise<boolean> {
      return spend(MFAS, id);
    },

    /**
     * Deletes OTPs and MFA sessions created before `before` (a stored date). A bulk delete
     * of expired rows, like the change log's pruning: nobody follows them any more.
     */
    async prune(before: string): Promise<void> {
      await db.run(qb.deleteFrom(OTPS).where('created', '<', before));
      await db.run(qb.deleteFrom(MFAS).where('created', '<', before));
    },
  };
}
