import type { Database } from '../db/database.ts';
import type { MfasTable, OtpsTable } from '../db/system-tables.ts';
import type { Clock } from '../tools/clock.ts';
import { randomString } from '../tools/id.ts';
import { formatDate, nowDate } from '../tools/time.ts';

/** A stored one-time password (its hash) of a record: a `_otps` row. */
export type OtpRow = OtpsTable;

/** A pending multi-factor sign-in (the first factor a record passed, and when): a `_mfas` row. */
export type MfaRow = MfasTable;

export type AuthStore = ReturnType<typeof createAuthStore>;

/** True when a row created at `created` (stored date) is older than `seconds` at `now` (epoch ms). */
export function hasExpired(created: string, seconds: number, now: number): boolean {
  return Date.parse(created.replace(' ', 'T')) + seconds * 1000 <= now;
}

/** The `_otps` and `_mfas` system tables (PocketBase keeps the same two); rows are dated by `clock`. */
export function createAuthStore(db: Database, clock: Clock) {
  const qb = db.sys;
  const newId = () => randomString(15);

  return {
    /** Stores a hashed OTP and returns its id. */
    async createOtp(row: Omit<OtpRow, 'id' | 'created'>): Promise<string> {
      const id = newId();
      await db.run(qb.insertInto('_otps').values({ id, ...row, created: nowDate(clock.now()) }));
      return id;
    },

    findOtp(id: string): Promise<OtpRow | undefined> {
      return db.first<OtpRow>(qb.selectFrom('_otps').selectAll().where('id', '=', id));
    },

    /** Deletes an OTP; true when this call removed it (so a code is spent only once). */
    async deleteOtp(id: string): Promise<boolean> {
      return (await db.run(qb.deleteFrom('_otps').where('id', '=', id))).changes > 0;
    },

    /** How many OTPs of a record were created within the last `seconds`. */
    async countRecentOtps(collectionRef: string, recordRef: string, seconds: number): Promise<number> {
      const since = formatDate(new Date(clock.now() - seconds * 1000));
      const row = await db.first<{ n: unknown }>(
        qb
          .selectFrom('_otps')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('collection_ref', '=', collectionRef)
          .where('record_ref', '=', recordRef)
          .where('created', '>', since),
      );
      return Number(row?.n ?? 0);
    },

    async createMfa(row: Omit<MfaRow, 'id' | 'created'>): Promise<string> {
      const id = newId();
      await db.run(qb.insertInto('_mfas').values({ id, ...row, created: nowDate(clock.now()) }));
      return id;
    },

    findMfa(id: string): Promise<MfaRow | undefined> {
      return db.first<MfaRow>(qb.selectFrom('_mfas').selectAll().where('id', '=', id));
    },

    async deleteMfa(id: string): Promise<boolean> {
      return (await db.run(qb.deleteFrom('_mfas').where('id', '=', id))).changes > 0;
    },

    /** Deletes OTPs and MFA sessions created before `before` (a stored date). */
    async prune(before: string): Promise<void> {
      await db.run(qb.deleteFrom('_otps').where('created', '<', before));
      await db.run(qb.deleteFrom('_mfas').where('created', '<', before));
    },
  };
}
