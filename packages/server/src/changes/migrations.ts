import type { SystemMigration } from '../db/system-migrations.ts';

const CURSORS = `
  CREATE TABLE _change_cursors (
    name TEXT PRIMARY KEY NOT NULL, position BIGINT NOT NULL, updated TEXT NOT NULL);`;

/**
 * The change log's own additions to `_changes` (created by 0001_init): the transaction id
 * on each row and the durable consumers' cursors. Append only: never edit or rename a
 * released entry.
 */
export const CHANGES_MIGRATIONS: readonly SystemMigration[] = [
  {
    // rows of one transaction share tx_id (0 on rows written before this migration)
    name: '0010_change_cursors',
    sqlite: `ALTER TABLE _changes ADD COLUMN tx_id INTEGER NOT NULL DEFAULT 0;${CURSORS}`,
    postgres: `ALTER TABLE _changes ADD COLUMN tx_id BIGINT NOT NULL DEFAULT 0;${CURSORS}`,
  },
];
