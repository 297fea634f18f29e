import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database.ts';
import type { CronClaim, CronLastTick } from './cron-registry.ts';

/**
 * Claims of scheduled ticks in `_cron_leases` (one row per job): a node runs a tick only
 * when its upsert moved the job's row to that tick. Every node computes the same tick
 * time from the expression, so on a PostgreSQL cluster exactly one node wins each tick
 * (the row lock of the upsert decides); the others see the row already at that tick and
 * skip it. Nothing is held while the job runs, so a crashed node blocks nobody: the next
 * tick is claimed anew. On SQLite there is one process and the claim always succeeds.
 */
export function createCronLeases(db: Database): CronClaim {
  const node = randomUUID();
  return async (id, at) => {
    const tick = new Date(at).toISOString();
    const result = await db.run(
      db.sys
        .insertInto('_cron_leases')
        .values({ id, tick, node })
        .onConflict((oc) =>
          oc.column('id').doUpdateSet({ tick, node }).where('_cron_leases.tick', '<', tick),
        ),
    );
    return result.changes === 1;
  };
}

/** The last tick any node claimed for a job (the point a catch-up at start looks back to). */
export function cronLastTick(db: Database): CronLastTick {
  return async (id) => {
    const row = await db.first(db.sys.selectFrom('_cron_leases').select('tick').where('id', '=', id));
    return row ? Date.parse(row.tick) : undefined;
  };
}
