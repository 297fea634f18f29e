import type { SystemMigration } from '../db/system-migrations.ts';

/**
 * The cron registry's table: the last tick of each job some node claimed, so that on a
 * PostgreSQL cluster only one node runs a job per tick. Append only.
 */
export const CRONS_MIGRATIONS: readonly SystemMigration[] = [
  {
    name: '0011_cron_leases',
    sqlite:
      'CREATE TABLE _cron_leases (id TEXT PRIMARY KEY NOT NULL, tick TEXT NOT NULL, node TEXT NOT NULL);',
    postgres:
      'CREATE TABLE _cron_leases (id TEXT PRIMARY KEY NOT NULL, tick TEXT NOT NULL, node TEXT NOT NULL);',
  },
];
