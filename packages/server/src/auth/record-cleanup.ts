import type { Kysely } from 'kysely';
import type { Executor } from '../db/database.ts';
import type { RecordHooks } from '../records/hooks.ts';

/** The auth side tables that hold rows per auth record. */
const TABLES = ['_external_auths', '_totps', '_passkeys', '_otps', '_mfas'] as const;

/**
 * Drops what auth keeps about a record (OAuth2 links, TOTP secret, passkeys, pending
 * OTPs and MFA sessions) in the transaction that deletes the record, so nothing can
 * sign in as it afterwards, and nothing stays behind if the delete rolls back.
 */
export async function forgetAuthRecord(
  tx: Executor,
  qb: Kysely<any>,
  collectionId: string,
  recordId: string,
): Promise<void> {
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
    if (e.collection.type === 'auth') await forgetAuthRecord(e.tx, qb, e.collection.id, String(e.record.id));
  });
}
