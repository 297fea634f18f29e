import type { Kysely } from 'kysely';
import type { Executor, Transaction } from '../db/database.ts';
import type { SystemTables } from '../db/system-tables.ts';
import type { Collection } from './collection.ts';

/** Reads every collection from `_collections`, oldest first. */
export async function loadCollections(qb: Kysely<SystemTables>, ex: Executor): Promise<Collection[]> {
  const rows = await ex.all<{ data: string }>(
    qb.selectFrom('_collections').select('data').orderBy('created').orderBy('id'),
  );
  return rows.map((r) => JSON.parse(r.data) as Collection);
}

/** Inserts or replaces one collection's row (the whole definition lives in `data`). */
export async function storeCollection(
  qb: Kysely<SystemTables>,
  tx: Transaction,
  c: Collection,
  isNew: boolean,
): Promise<void> {
  const data = JSON.stringify(c);
  if (isNew) {
    await tx.run(
      qb
        .insertInto('_collections')
        .values({ id: c.id, name: c.name, type: c.type, data, created: c.created, updated: c.updated }),
    );
  } else {
    await tx.run(
      qb
        .updateTable('_collections')
        .set({ name: c.name, type: c.type, data, updated: c.updated })
        .where('id', '=', c.id),
    );
  }
}

export async function removeCollection(qb: Kysely<SystemTables>, tx: Transaction, id: string): Promise<void> {
  await tx.run(qb.deleteFrom('_collections').where('id', '=', id));
}
