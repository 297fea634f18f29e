import { createRequire } from 'node:module';

/**
 * Kysely's runtime, loaded from its CommonJS build: the ESM build is ~280 small modules
 * and costs about twice the start-up time. Every runtime use of Kysely imports from here
 * (never from 'kysely' directly, which would load a second copy); types may still be
 * imported with `import type` from 'kysely'.
 */
const kysely = createRequire(import.meta.url)('kysely') as typeof import('kysely');

export const {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  sql,
} = kysely;
