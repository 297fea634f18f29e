import type { Database } from '../db/database.ts';
import type { PasskeysTable } from '../db/system-tables.ts';
import type { Clock } from '../tools/clock.ts';
import { formatDate, nowDate } from '../tools/time.ts';

/** A stored WebAuthn credential of an auth record: a `_passkeys` row (id and public key in base64url). */
export type PasskeyRow = PasskeysTable;

/** What a challenge was issued for. */
export type ChallengeKind = 'register' | 'authenticate';

export type PasskeyStore = ReturnType<typeof createPasskeyStore>;

/** The `_passkeys` and `_passkey_challenges` system tables; rows are dated by `clock`. */
export function createPasskeyStore(db: Database, clock: Clock) {
  const qb = db.sys;
  return {
    async addChallenge(challenge: string, kind: ChallengeKind, collectionRef: string, recordRef: string) {
      await db.run(
        qb.insertInto('_passkey_challenges').values({
          challenge,
          kind,
          collection_ref: collectionRef,
          record_ref: recordRef,
          created: nowDate(clock.now()),
        }),
      );
    },

    /**
     * Spends a challenge: true when it was issued for this kind, collection and record
     * (any record for sign-in), no earlier than `since`, and not used before.
     */
    async spendChallenge(
      challenge: string,
      kind: ChallengeKind,
      collectionRef: string,
      recordRef: string,
      maxAgeSeconds: number,
    ): Promise<boolean> {
      const since = formatDate(new Date(clock.now() - maxAgeSeconds * 1000));
      const done = await db.run(
        qb
          .deleteFrom('_passkey_challenges')
          .where('challenge', '=', challenge)
          .where('kind', '=', kind)
          .where('collection_ref', '=', collectionRef)
          .where('record_ref', '=', recordRef)
          .where('created', '>', since),
      );
      return done.changes > 0;
    },

    find(collectionRef: string, id: string): Promise<PasskeyRow | undefined> {
      return db.first<PasskeyRow>(
        qb
          .selectFrom('_passkeys')
          .selectAll()
          .where('collection_ref', '=', collectionRef)
          .where('id', '=', id),
      );
    },

    listByRecord(collectionRef: string, recordRef: string): Promise<PasskeyRow[]> {
      return db.all<PasskeyRow>(
        qb
          .selectFrom('_passkeys')
          .selectAll()
          .where('collection_ref', '=', collectionRef)
          .where('record_ref', '=', recordRef)
          .orderBy('created'),
      );
    },

    async add(row: PasskeyRow): Promise<void> {
      await db.run(qb.insertInto('_passkeys').values(row));
    },

    /** Moves the signature counter forward and stamps last use. */
    async touch(id: string, counter: number): Promise<void> {
      await db.run(
        qb
          .updateTable('_passkeys')
          .set({ counter, last_used: nowDate(clock.now()) })
          .where('id', '=', id),
      );
    },

    async delete(collectionRef: string, recordRef: string, id: string): Promise<boolean> {
      const done = await db.run(
        qb
          .deleteFrom('_passkeys')
          .where('collection_ref', '=', collectionRef)
          .where('record_ref', '=', recordRef)
          .where('id', '=', id),
      );
      return done.changes > 0;
    },

    /** Drops challenges older than `before` (a stored date). */
    async prune(before: string): Promise<void> {
      await db.run(qb.deleteFrom('_passkey_challenges').where('created', '<', before));
    },
  };
}
