import type { ChangeLog, ChangeRow, Following, FollowOptions } from '../../src/changes/change-log.ts';

/** A consumer that records what it was handed; `until` waits (bounded) for a condition on it. */
export interface Collected {
  rows: ChangeRow[];
  stop: Following;
  /** Resolves once `ok(rows)` holds (checked after every batch), or rejects after `timeoutMs`. */
  until(ok: (rows: ChangeRow[]) => boolean, timeoutMs?: number): Promise<void>;
}

/**
 * Follows the change log as `name`, keeping every row handed over; `fail(rows)` may
 * throw to make a delivery fail.
 */
export async function collect(
  changes: ChangeLog,
  name: string,
  options: FollowOptions = {},
  fail?: (rows: ChangeRow[]) => void,
): Promise<Collected> {
  const rows: ChangeRow[] = [];
  const waiters = new Set<() => void>();
  const stop = changes.follow(
    name,
    (batch) => {
      fail?.(batch);
      rows.push(...batch);
      for (const w of waiters) w();
    },
    options,
  );
  await stop.ready;
  return {
    rows,
    stop,
    until(ok, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!ok(rows)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${name}: condition not met within ${timeoutMs} ms (${rows.length} rows)`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

/** The seqs of rows, for order checks. */
export const seqs = (rows: ChangeRow[]) => rows.map((r) => r.seq);

/** The titles of rows' records. */
export const titles = (rows: ChangeRow[]) => rows.map((r) => String(r.record.title));
