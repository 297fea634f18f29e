import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL server tests use (FORGEBASE_TEST_PG, default the local trust-auth server). */
export const TEST_PG_URL = process.env.FORGEBASE_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A fresh schema name; the database layer creates it on first connect. */
export function newSchemaName(): string {
  return `fb_test_${randomBytes(6).toString('hex')}`;
}

/** A postgres:// URL that works inside its own new schema. */
export function schemaUrl(schema: string): string {
  const u = new URL(TEST_PG_URL);
  u.searchParams.set('schema', schema);
  return u.toString();
}

/** Drops a test schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
