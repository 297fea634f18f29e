import type { Kysely } from 'kysely';
import type { Database, Executor } from '../db/database.ts';

/** PocketBase's system collection of provider identities (OAuth2) linked to auth records. */
export const EXTERNAL_AUTHS = '_externalAuths';
/** PocketBase's system collection of pending multi-factor sign-ins. */
export const MFAS = '_mfas';
/** PocketBase's system collection of one-time passwords (hashed). */
export const OTPS = '_otps';
/** PocketBase's system collection of the devices auth records signed in from. */
export const AUTH_ORIGINS = '_authOrigins';

/** The system collections that keep rows per auth record (`collectionRef`, `recordRef`). */
export const PER_RECORD_COLLECTIONS = [AUTH_ORIGINS, EXTERNAL_AUTHS, MFAS, OTPS] as const;

/** Auth's own tables (not collections) that keep rows per auth record (`collection_ref`, `record_ref`). */
const PER_RECORD_TABLES = ['_totps', '_passkeys', '_passkey_challenges'] as const;

/** What PocketBase lets an auth record see of its own rows in these collections. */
export const OWNER_RULE =
  "@request.auth.id != '' && recordRef = @request.auth.id && collectionRef = @request.auth.collectionId";

const text = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  type: 'text',
  system: true,
  required: true,
  ...extra,
});
const AUTODATES = [
  { name: 'created', type: 'autodate', system: true, onCreate: true, onUpdate: false },
  { name: 'updated', type: 'autodate', system: true, onCreate: true, onUpdate: true },
];

/**
 * The per-record system collections as PocketBase creates them: the owner lists and views
 * its rows (and deletes its origins and OAuth2 links, which is how the SDK's
 * `unlinkExternalAuth` works); everything else is for superusers.
 */
export function authSystemCollections(): Record<string, unknown>[] {
  const owned = (name: string, canDelete: boolean) => ({
    name,
    type: 'base',
    listRule: OWNER_RULE,
    viewRule: OWNER_RULE,
    deleteRule: canDelete ? OWNER_RULE : null,
  });
  return [
    {
      ...owned(AUTH_ORIGINS, true),
      fields: [text('collectionRef'), text('recordRef'), text('fingerprint'), ...AUTODATES],
      indexes: [
        'CREATE UNIQUE INDEX `idx_authOrigins_unique_pairs` ON `_authOrigins` (`collectionRef`, `recordRef`, `fingerprint`)',
      ],
    },
    {
      ...owned(EXTERNAL_AUTHS, true),
      fields: [text('collectionRef'), text('recordRef'), text('provider'), text('providerId'), ...AUTODATES],
      indexes: [
        'CREATE UNIQUE INDEX `idx_externalAuths_record_provider` ON `_externalAuths` (`collectionRef`, `recordRef`, `provider`)',
        'CREATE UNIQUE INDEX `idx_externalAuths_collection_provider` ON `_externalAuths` (`collectionRef`, `provider`, `providerId`)',
      ],
    },
    {
      ...owned(MFAS, false),
      fields: [text('collectionRef'), text('recordRef'), text('method'), ...AUTODATES],
      indexes: ['CREATE INDEX `idx_mfas_collectionRef_recordRef` ON `_mfas` (`collectionRef`, `recordRef`)'],
    },
    {
      ...owned(OTPS, false),
      fields: [
        text('collectionRef'),
        text('recordRef'),
        // hashed by the record service like any password; never exported
        { name: 'password', type: 'password', system: true, required: true, hidden: true, min: 0, max: 0 },
        text('sentTo', { required: false, hidden: true }),
        ...AUTODATES,
      ],
      indexes: ['CREATE INDEX `idx_otps_collectionRef_recordRef` ON `_otps` (`collectionRef`, `recordRef`)'],
    },
  ];
}

/**
 * Drops what auth keeps about the records of a deleted auth collection, in the transaction
 * that deletes it (the collection's tables go with it; these rows live elsewhere).
 */
export async function forgetAuthCollection(
  tx: Executor,
  qb: Kysely<any>,
  collectionId: string,
): Promise<void> {
  for (const name of PER_RECORD_COLLECTIONS)
    await tx.run(qb.deleteFrom(name).where('collectionRef', '=', collectionId));
  for (const table of PER_RECORD_TABLES)
    await tx.run(qb.deleteFrom(table).where('collection_ref', '=', collectionId));
}

/** Where the OAuth2 links were kept before `_externalAuths` was a collection. */
const OLD_EXTERNAL_AUTHS = '_external_auths';

/**
 * Moves the OAuth2 links of a database from before `_externalAuths` was a collection into
 * it, and drops the old table, in one transaction (so a crash leaves them where they
 * were, for the next start). Nothing to do, one cheap query, on every later start.
 */
export async function adoptExternalAuths(db: Database): Promise<number> {
  if (!(await db.ddl.hasTable(db, OLD_EXTERNAL_AUTHS))) return 0;
  return db.transaction(async (tx) => {
    // nodes starting together: one moves them, the others find the table gone
    await db.bus.lockKey(tx, 'adopt-external-auths');
    if (!(await db.ddl.hasTable(tx, OLD_EXTERNAL_AUTHS))) return 0;
    const moved = await tx.run(
      db.qb
        .insertInto(EXTERNAL_AUTHS)
        .columns(['id', 'collectionRef', 'recordRef', 'provider', 'providerId', 'created', 'updated'])
        .expression(
          db.qb
            .selectFrom(OLD_EXTERNAL_AUTHS)
            .select(['id', 'collection_ref', 'record_ref', 'provider', 'provider_id', 'created', 'created']),
        ),
    );
    await tx.exec(`DROP TABLE ${OLD_EXTERNAL_AUTHS}`);
    return moved.changes;
  });
}
