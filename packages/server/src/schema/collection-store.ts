import type { Kysely } from 'kysely';
import type { Database, Executor, Transaction } from '../db/database.ts';
import type { SystemTables } from '../db/system-tables.ts';
import type { SecretBox } from '../tools/secret-box.ts';
import type { Collection } from './collection.ts';

/** The secret keys of an OAuth2 provider's options: the client secret, Apple's signing key. */
const PROVIDER_SECRETS = ['clientSecret', 'privateKey'] as const;

/**
 * The collection with `fn` applied to each OAuth2 provider secret (a copy; the input
 * is left alone). `fn` seals on the way to `_collections` and opens on the way back, so
 * the schema in memory holds them in clear and the stored row never does.
 */
function mapProviderSecrets(c: Collection, fn: (v: string) => string): Collection {
  const providers = (c.oauth2 as { providers?: unknown } | undefined)?.providers;
  if (!Array.isArray(providers)) return c;
  return {
    ...c,
    oauth2: {
      ...c.oauth2,
      providers: providers.map((p) => {
        if (!p || typeof p !== 'object') return p;
        const out: Record<string, unknown> = { ...(p as Record<string, unknown>) };
        for (const k of PROVIDER_SECRETS)
          if (typeof out[k] === 'string' && out[k] !== '') out[k] = fn(out[k]);
        return out;
      }),
    },
  };
}

/** Reads every collection from `_collections`, oldest first, provider secrets opened. */
export async function loadCollections(
  qb: Kysely<SystemTables>,
  ex: Executor,
  box: SecretBox,
): Promise<Collection[]> {
  const rows = await ex.all<{ data: string }>(
    qb.selectFrom('_collections').select('data').orderBy('created').orderBy('id'),
  );
  return rows.map((r) => mapProviderSecrets(JSON.parse(r.data) as Collection, box.open));
}

/**
 * Re-seals the OAuth2 provider secrets of every stored collection that holds one in
 * clear or under a previous key (see secrets/encryption-key.ts); returns how many rows.
 */
export async function resealCollectionSecrets(db: Database, box: SecretBox): Promise<number> {
  const qb = db.sys;
  return db.transaction(async (tx) => {
    const rows = await tx.all<{ id: string; data: string }>(
      qb.selectFrom('_collections').select(['id', 'data']),
    );
    let n = 0;
    for (const row of rows) {
      const c = JSON.parse(row.data) as Collection;
      let stale = false;
      mapProviderSecrets(c, (v) => {
        box.open(v);
        if (box.needsReseal(v)) stale = true;
        return v;
      });
      if (!stale) continue;
      const data = JSON.stringify(mapProviderSecrets(mapProviderSecrets(c, box.open), box.seal));
      await tx.run(qb.updateTable('_collections').set({ data }).where('id', '=', row.id));
      n++;
    }
    return n;
  });
}

/** Inserts or replaces one collection's row (the whole definition lives in `data`). */
export async function storeCollection(
  qb: Kysely<SystemTables>,
  tx: Transaction,
  c: Collection,
  isNew: boolean,
  box: SecretBox,
): Promise<void> {
  const data = JSON.stringify(mapProviderSecrets(c, box.seal));
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
