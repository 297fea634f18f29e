import type { Database } from '../db/database.ts';
import type { Logger } from '../observability/logger.ts';
import type { Clock } from '../tools/clock.ts';
import type { DatabaseService } from './database-service.ts';

/**
 * The databases service, built on first use: an app that never serves a database request
 * loads none of databases/ (start-up cost stays flat, see docs/databases.md).
 */
export interface DatabasesHandle {
  /** The service (imported and built by the first call). */
  get(): Promise<DatabaseService>;
  /** The service if something already used it (stats for /metrics must not load it). */
  loaded(): DatabaseService | undefined;
  /** Closes the open databases, if any. */
  close(): Promise<void>;
}

export function lazyDatabases(deps: {
  db: Database;
  dataDir: string;
  clock: Clock;
  logger: Logger;
}): DatabasesHandle {
  let service: Promise<DatabaseService> | undefined;
  let ready: DatabaseService | undefined;
  return {
    get() {
      service ??= import('./database-service.ts').then((m) => {
        ready = m.createDatabaseService(deps);
        return ready;
      });
      return service;
    },
    loaded: () => ready,
    async close() {
      if (service) (await service).close();
    },
  };
}
