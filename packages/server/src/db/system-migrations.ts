import type { Database } from './database.ts';

/**
 * One migration of ForgeBase's own tables, with its SQL per dialect. Each capability
 * keeps its list in its own `migrations.ts` (auth/, storage/, s3/, schema/ ...); the
 * composition root hands them all to `openDatabase`, so db/ never imports them.
 *
 * `name` is recorded in `_system_migrations` once applied, so it never changes; it starts
 * with a four-digit sequence number shared by every capability (take the next free one),
 * which is the order migrations run in.
 */
export interface SystemMigration {
  name: string;
  sqlite: string;
  postgres: string;
}

/**
 * The migrations in the order they run: by name (so by sequence number), whatever order
 * the capabilities' lists came in. Two migrations with one name are a programming error.
 */
export function orderSystemMigrations(migrations: readonly SystemMigration[]): SystemMigration[] {
  const seen = new Set<string>();
  for (const m of migrations) {
    if (seen.has(m.name)) throw new Error(`two system migrations are named ${m.name}`);
    seen.add(m.name);
  }
  return [...migrations].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Brings ForgeBase's own tables up to date: applies, in order, each migration not yet
 * recorded in `_system_migrations`, each in its own transaction. Safe to run on every start.
 */
export async function runSystemMigrations(
  db: Database,
  migrations: readonly SystemMigration[],
): Promise<void> {
  const ordered = orderSystemMigrations(migrations);
  await db.exec(
    'CREATE TABLE IF NOT EXISTS _system_migrations (name TEXT PRIMARY KEY NOT NULL, applied TEXT NOT NULL)',
  );
  const done = new Set(
    (await db.all(db.sys.selectFrom('_system_migrations').select('name'))).map((r) => r.name),
  );
  for (const m of ordered) {
    if (done.has(m.name)) continue;
    await db.transaction(async (tx) => {
      await tx.exec(db.dialect === 'sqlite' ? m.sqlite : m.postgres);
      await tx.run(
        db.sys.insertInto('_system_migrations').values({ name: m.name, applied: new Date().toISOString() }),
      );
    });
  }
}
