import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { Logger } from '../observability/logger.ts';
import type { RecordService } from '../records/record-service.ts';

/** The auth side tables that hold rows per auth record. */
const TABLES = ['_external_auths', '_totps', '_passkeys', '_otps', '_mfas'] as const;

/**
 * Drops what auth keeps about a record (OAuth2 links, TOTP secret, passkeys, pending
 * OTPs and MFA sessions) once the record is deleted, so nothing can sign in as it or
 * be linked to a reused id. Runs after the delete commits; failures are logged.
 */
export function forgetDeletedRecords({
  db,
  records,
  logger,
}: {
  db: Database;
  records: RecordService;
  logger: Logger;
}) {
  const qb: Kysely<any> = db.qb;
  return records.onChange((change) => {
    if (change.action !== 'delete' || change.collection.type !== 'auth') return;
    const id = String(change.record.id);
    void (async () => {
      for (const table of TABLES) {
        await db.run(
          qb
            .deleteFrom(table)
            .where('collection_ref', '=', change.collection.id)
            .where('record_ref', '=', id),
        );
      }
    })().catch((err: unknown) =>
      logger.error({ err, record: id }, 'forgetting a deleted auth record failed'),
    );
  });
}
