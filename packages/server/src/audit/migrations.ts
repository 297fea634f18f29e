import type { SystemMigration } from '../db/system-migrations.ts';

const CHECKPOINTS = `
  CREATE TABLE _audit_checkpoints (
    seq BIGINT PRIMARY KEY NOT NULL, hash TEXT NOT NULL, kind TEXT NOT NULL,
    signature TEXT NOT NULL, "publicKey" TEXT NOT NULL, created TEXT NOT NULL);`;

/**
 * The audit log's tables, in the app database so an entry commits with the action it
 * records: `_audit` (the hash chain; `seq` is taken under a lock as head + 1, never from a
 * sequence, so a gap always means a deleted entry) and `_audit_checkpoints` (signed heads,
 * and where pruning cut the chain).
 * Append only: never edit or rename a released entry.
 */
export const AUDIT_MIGRATIONS: readonly SystemMigration[] = [
  {
    name: '0020_audit',
    sqlite: `
      CREATE TABLE _audit (
        seq INTEGER PRIMARY KEY NOT NULL, created TEXT NOT NULL,
        "actorType" TEXT NOT NULL, "actorId" TEXT NOT NULL, "actorCollection" TEXT NOT NULL,
        action TEXT NOT NULL, target TEXT NOT NULL, ip TEXT NOT NULL, data JSON NOT NULL,
        "prevHash" TEXT NOT NULL, hash TEXT NOT NULL);
      CREATE INDEX _audit_created ON _audit (created);${CHECKPOINTS}`,
    postgres: `
      CREATE TABLE _audit (
        seq BIGINT PRIMARY KEY NOT NULL, created TEXT NOT NULL,
        "actorType" TEXT NOT NULL, "actorId" TEXT NOT NULL, "actorCollection" TEXT NOT NULL,
        action TEXT NOT NULL, target TEXT NOT NULL, ip TEXT NOT NULL, data JSONB NOT NULL,
        "prevHash" TEXT NOT NULL, hash TEXT NOT NULL);
      CREATE INDEX _audit_created ON _audit (created);${CHECKPOINTS}`,
  },
];
