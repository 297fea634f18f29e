import type { Database } from '../db/database.ts';
import type { RecordService } from '../records/record-service.ts';
import { EXTERNAL_AUTHS } from './auth-collections.ts';

/** A provider identity linked to an auth record (a `_externalAuths` record). */
export interface ExternalAuthRow {
  id: string;
  collection_ref: string;
  record_ref: string;
  provider: string;
  provider_id: string;
  created: string;
}

export type ExternalAuths = ReturnType<typeof createExternalAuths>;

/**
 * PocketBase's `_externalAuths` system collection, as auth uses it: read from its table,
 * written through the record service (so the change log, realtime and the SDK's
 * `listExternalAuths`/`unlinkExternalAuth` see the same records).
 */
export function createExternalAuths(db: Database, records: RecordService) {
  const qb = db.qb;
  const columns = [
    'id',
    'collectionRef as collection_ref',
    'recordRef as record_ref',
    'provider',
    'providerId as provider_id',
    'created',
  ] as const;
  const sys = () => records.asSystem();
  return {
    find(collectionRef: string, provider: string, providerId: string): Promise<ExternalAuthRow | undefined> {
      return db.first<ExternalAuthRow>(
        qb
          .selectFrom(EXTERNAL_AUTHS)
          .select(columns)
          .where('collectionRef', '=', collectionRef)
          .where('provider', '=', provider)
          .where('providerId', '=', providerId),
      );
    },

    /** The providers linked to a record. */
    listByRecord(collectionRef: string, recordRef: string): Promise<ExternalAuthRow[]> {
      return db.all<ExternalAuthRow>(
        qb
          .selectFrom(EXTERNAL_AUTHS)
          .select(columns)
          .where('collectionRef', '=', collectionRef)
          .where('recordRef', '=', recordRef)
          .orderBy('created')
          .orderBy('id'),
      );
    },

    async link(row: Omit<ExternalAuthRow, 'id' | 'created'>): Promise<void> {
      await sys().create(EXTERNAL_AUTHS, {
        collectionRef: row.collection_ref,
        recordRef: row.record_ref,
        provider: row.provider,
        providerId: row.provider_id,
      });
    },

    async delete(id: string): Promise<void> {
      await sys().delete(EXTERNAL_AUTHS, id);
    },

    /** Unlinks every provider of a record (e.g. before an unverified record is taken over). */
    async deleteByRecord(collectionRef: string, recordRef: string): Promise<void> {
      for (const row of await this.listByRecord(collectionRef, recordRef))
        await sys().delete(EXTERNAL_AUTHS, row.id);
    },
  };
}
