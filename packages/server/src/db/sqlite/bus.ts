import type { ChangeBus } from '../database.ts';

/**
 * SQLite serves one process, so there is no other node to tell: the record service's
 * after-commit hook already wakes every local consumer, and every write transaction runs
 * alone on the one writer connection, so locks are already held.
 */
export const sqliteBus: ChangeBus = {
  shared: false,
  notify: async () => undefined,
  listen: async () => async () => undefined,
  lockKey: async () => undefined,
  claimRows: (query) => query,
};
