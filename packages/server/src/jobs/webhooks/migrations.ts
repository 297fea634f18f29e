import type { SystemMigration } from '../../db/system-migrations.ts';

// times to compare (next attempt, lease) are epoch milliseconds; dates shown to users are text
const WEBHOOKS = `
  CREATE TABLE _webhooks (
    id TEXT PRIMARY KEY NOT NULL, collection_id TEXT NOT NULL, events TEXT NOT NULL,
    url TEXT NOT NULL, secret TEXT NOT NULL, filter TEXT NOT NULL, enabled INTEGER NOT NULL,
    failures INTEGER NOT NULL, disabled_reason TEXT NOT NULL, from_seq BIGINT NOT NULL,
    created TEXT NOT NULL, updated TEXT NOT NULL);
  CREATE TABLE _webhook_deliveries (
    id TEXT PRIMARY KEY NOT NULL, webhook_id TEXT NOT NULL, dedup_key TEXT NOT NULL,
    event_id TEXT NOT NULL, change_seq BIGINT NOT NULL, event TEXT NOT NULL,
    record_id TEXT NOT NULL, body TEXT NOT NULL, state TEXT NOT NULL,
    attempts INTEGER NOT NULL, next_at BIGINT NOT NULL, lease_until BIGINT NOT NULL,
    lease_owner TEXT NOT NULL, status_code INTEGER NOT NULL, duration_ms INTEGER NOT NULL,
    response TEXT NOT NULL, error TEXT NOT NULL, redelivery_of TEXT NOT NULL,
    created TEXT NOT NULL, updated TEXT NOT NULL);
  CREATE UNIQUE INDEX _webhook_deliveries_dedup ON _webhook_deliveries (dedup_key);
  CREATE INDEX _webhook_deliveries_due ON _webhook_deliveries (state, next_at);
  CREATE INDEX _webhook_deliveries_webhook ON _webhook_deliveries (webhook_id, created);`;

/**
 * Webhooks and their deliveries (docs/webhooks.md): one delivery row per webhook and
 * change seq (`dedup_key`), so a replay of the change log after a crash adds none twice.
 * Append only: never edit or rename a released entry.
 */
export const WEBHOOKS_MIGRATIONS: readonly SystemMigration[] = [
  { name: '0040_webhooks', sqlite: WEBHOOKS, postgres: WEBHOOKS },
];
