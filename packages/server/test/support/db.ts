import type { Database } from '../../src/db/database.ts';
import { openDatabase } from '../../src/db/open.ts';
import { SYSTEM_MIGRATIONS } from '../../src/system-migrations.ts';
import type { Dialect } from './app.ts';
import { schemaUrl } from './pg.ts';
import { testStorage } from './storage.ts';

/** A bare Database (system tables only) on a temp SQLite file or a fresh PostgreSQL schema. */
export async function openTestDatabase(dialect: Dialect): Promise<{ db: Database; close(): Promise<void> }> {
  const storage = testStorage(dialect, 'fb-db-');
  const db = await openDatabase({
    dataDir: storage.dir,
    systemMigrations: SYSTEM_MIGRATIONS,
    ...(dialect === 'postgres' ? { db: schemaUrl(storage.schema) } : {}),
  });
  return {
    db,
    async close() {
      await db.close();
      await storage.remove();
    },
  };
}
