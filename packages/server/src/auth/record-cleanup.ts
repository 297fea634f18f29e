import type { Kysely } from 'kysely';
import type { Executor } from '../db/database.ts';
import type { RecordHooks } from '../records/hooks.ts';
import type { SystemRecords } from '../records/record-service.ts';
import { PER_RECORD_COLLECTIONS } from './auth-collections.ts';

/** Auth's own tables (not collections) that hold rows per auth record. */
const TABLES = ['_totps', '_passkeys'] as const;

/**
 * Drops what auth keeps about a record (OAuth2 links, sign-in origins, pending OTPs and
 * MFA sessions, TOTP secret, passkeys) in the transaction that deletes the record, so
 * nothing can sign in as it afterwards, and nothing stays behind if the delete rolls back.
 * Rows of system collections go through the record service (`sys`), so the change log
 * and realtime hear of them.
 */
export async function forgetAuthRecord(
  tx: Executor,
  qb: Kysely<any>,
  sys: Pick<SystemRecords, 'delete'>,
  collectionId: string,
  recordId: string,
): Promise<void> {
  for (const name of PER_RECORD_COLLECTIONS) {
    const rows = await tx.all<{ id: string }>(
      qb
        .selectFrom(name)
        .select('id')
        .where('collectionRef', '=', collectionId)
        .where('recordRef', '=', recordId),
    );
    for (const r of rows) await sys.delete(name, r.id);
  }
  for (const table of TABLES) {
    await tx.run(
      qb.deleteFrom(table).where('collection_ref', '=', collectionId).where('record_ref', '=', recordId),
    );
  }
}

/**
 * Registers the clean-up as an afterDelete hook of every auth collection (cascaded
 * deletes included), so it runs in the deleting transaction; returns the unregister.
 */
export function cleanUpDeletedAuthRecords(hooks: RecordHooks, qb: Kysely<any>): () => void {
  return hooks.afterDelete('*', async (e) => {
    if (e.collection.type === 'auth')
      await forgetAuthRecord(e.tx, qb, e.records.asSystem(), e.collection.id, String(e.record.id));
  });
}
