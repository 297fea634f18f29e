import type { Database } from '../db/database.ts';
import type { Collection } from '../schema/collection.ts';

/** SQL text of a collection's hot statements; parameters go in field order. */
export interface CollectionStatements {
  byId: string;
  insert: string;
  /** UPDATE of every field but id; parameters: field values in order (without id), then id. */
  update: string;
}

// Collections are replaced (never mutated) on every schema change, so object identity
// is the cache key and stale entries simply become unreachable.
const cache = new WeakMap<Database, WeakMap<Collection, CollectionStatements>>();

/** The compiled statements of a collection, built once per schema version. */
export function statementsFor(db: Database, c: Collection): CollectionStatements {
  let perDb = cache.get(db);
  if (!perDb) {
    perDb = new WeakMap();
    cache.set(db, perDb);
  }
  let s = perDb.get(c);
  if (!s) {
    const names = c.fields.map((f) => f.name);
    const rest = names.filter((n) => n !== 'id');
    s = {
      byId: db.qb.selectFrom(c.name).selectAll().where('id', '=', '').compile().sql,
      insert: db.qb
        .insertInto(c.name)
        .values(Object.fromEntries(names.map((n) => [n, ''])))
        .compile().sql,
      update: db.qb
        .updateTable(c.name)
        .set(Object.fromEntries(rest.map((n) => [n, ''])))
        .where('id', '=', '')
        .compile().sql,
    };
    perDb.set(c, s);
  }
  return s;
}
