import type pg from 'pg';
import type { ChangeBus } from '../database.ts';
import { listenChannel, pgChannel } from './listen.ts';

/**
 * The bus on PostgreSQL: NOTIFY through the pool, LISTEN on a dedicated connection per
 * listener, advisory locks held until the transaction ends, claims with SKIP LOCKED.
 */
export function createPgBus(
  pool: pg.Pool,
  connection: pg.ClientConfig,
  schema: string | undefined,
): ChangeBus {
  return {
    shared: true,
    async notify(channel, payload) {
      await pool.query('SELECT pg_notify($1, $2)', [pgChannel(channel, schema), payload]);
    },
    listen(channel, onMessage, onReconnect) {
      return listenChannel(
        connection,
        pgChannel(channel, schema),
        onMessage,
        onReconnect ?? (() => undefined),
      );
    },
    async lockKey(tx, key) {
      await tx.run({ sql: 'SELECT pg_advisory_xact_lock(hashtext($1))', parameters: [key] });
    },
    claimRows: (query) => query.forUpdate().skipLocked(),
  };
}
