import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dialect } from './app.ts';
import { dropSchema, newSchemaName } from './pg.ts';

/** Where one test's data lives: its own temp dir and, on PostgreSQL, its own schema. */
export interface TestStorage {
  dir: string;
  /** The schema name to use on PostgreSQL (created by the database layer on first connect). */
  schema: string;
  /** Deletes the temp dir and, on PostgreSQL, drops the schema. */
  remove(): Promise<void>;
}

/**
 * A fresh temp dir (named `<prefix>XXXXXX`) and schema name for one app, CLI target or
 * database, so that tests run in parallel and clean up with one call.
 */
export function testStorage(dialect: Dialect, prefix = 'fb-test-'): TestStorage {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const schema = newSchemaName();
  return {
    dir,
    schema,
    async remove() {
      rmSync(dir, { recursive: true, force: true });
      if (dialect === 'postgres') await dropSchema(schema);
    },
  };
}
