import type { Database } from '../db/database.ts';
import { randomString } from '../tools/id.ts';
import { nowDate } from '../tools/time.ts';

/** A provider identity linked to an auth record (PocketBase's `_externalAuths`). */
export interface ExternalAuthRow {
  id: string;
  collection_ref: string;
  record_ref: string;
  provider: string;
  provider_id: string;
  created: string;
}

export type ExternalAuths = ReturnType<typeof createExternalAuths>;

/** The `_external_auths` system table. */
export function createExternalAuths(db: Database) {
  const qb = db.sys;
  return {
    find(collectionRef: string, provider: string, providerId: string): Promise<ExternalAuthRow | undefined> {
      return db.first<ExternalAuthRow>(
        qb
          .selectFrom('_external_auths')
          .selectAll()
          .where('collection_ref', '=', collectionRef)
          .where('provider', '=', provider)
          .where('provider_id', '=', providerId),
      );
    },

    /** The providers linked to a record. */
    listByRecord(collectionRef: string, recordRef: string): Promise<ExternalAuthRow[]> {
      return db.all<ExternalAuthRow>(
        qb
          .selectFrom('_external_auths')
          .selectAll()
          .where('collection_ref', '=', collectionRef)
          .where('record_ref', '=', recordRef)
          .orderBy('created'),
      );
    },

    async link(row: Omit<ExternalAuthRow, 'id' | 'created'>): Promise<void> {
      await db.run(
        qb.insertInto('_external_auths').values({ id: randomString(15), ...row, created: nowDate() }),
      );
    },

    async delete(id: string): Promise<void> {
      await db.run(qb.deleteFrom('_external_auths').where('id', '=', id));
    },

    /** Unlinks every provider of a record (e.g. before an unverified record is taken over). */
    async deleteByRecord(collectionRef: string, recordRef: string): Promise<void> {
      await db.run(
        qb
          .deleteFrom('_external_auths')
          .where('collection_ref', '=', collectionRef)
          .where('record_ref', '=', recordRef),
      );
    },
  };
}
