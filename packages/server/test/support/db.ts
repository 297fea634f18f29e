import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from '../../src/db/database.ts';
import { openDatabase } from '../../src/db/open.ts';
import type { Dialect } from './app.ts';
import { dropSchema, newSchemaName, schemaUrl } from './pg.ts';

/** A bare Database (system tables only) on a temp SQLite file or a fresh PostgreSQL schema. */
export async function openTestDatabase(dialect: Dialect): Promise<{ db: Database; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'fb-db-'));
  const schema = newSchemaName();
  const db = await openDatabase({
    dataDir: dir,
    ...(dialect === 'postgres' ? { db: schemaUrl(schema) } : {}),
  });
  return {
    db,
    async close() {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
      if (dialect === 'postgres') await dropSchema(schema);
    },
  };
}
