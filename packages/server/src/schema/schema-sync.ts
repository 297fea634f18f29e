import type { Logger } from '../observability/logger.ts';
import { randomString } from '../tools/id.ts';
import type { BackgroundService } from '../tools/lifecycle.ts';

/**
 * How nodes tell each other that the schema changed: PostgreSQL NOTIFY/LISTEN on a
 * channel of the app's schema; on SQLite (one process) both do nothing.
 */
export interface SchemaBus {
  /** Tells every node (this one included) that `_collections` changed; `from` names the sender. */
  notify(from: string): Promise<void>;
  /**
   * Calls `wake` with the sender of every announcement, and without one after a lost
   * connection is back (anything may have changed meanwhile).
   */
  listen(wake: (from?: string) => void): Promise<() => Promise<void>>;
}

/** What the schema listener needs: the bus and the cache it reloads. */
export interface SchemaSyncDeps {
  bus: SchemaBus;
  reload: () => Promise<void>;
  logger: Logger;
}

/** The schema listener (a background service) and the announcement after a change. */
export interface SchemaSync extends BackgroundService {
  /** Tells the other nodes to reload; logs a failure (the change has committed already). */
  announce(): Promise<void>;
}

/**
 * Keeps every node's collection cache in step: a committed schema change (create, update,
 * delete, import, migrations) is announced, and each node reloads its cache when told.
 * Bursts of announcements fold into few reloads (the cache coalesces them). Start listens
 * first and then reloads once, so a change made while this node was booting is not missed.
 */
export function createSchemaSync({ bus, reload, logger }: SchemaSyncDeps): SchemaSync {
  let unlisten: (() => Promise<void>) | undefined;
  // this node's own announcements need no reload: its cache was reloaded before it announced
  const self = randomString(12);
  const refresh = () =>
    reload().catch((err: unknown) => logger.error({ err }, 'reloading the schema failed'));
  return {
    name: 'schema-sync',
    async announce() {
      await bus
        .notify(self)
        .catch((err: unknown) => logger.error({ err }, 'announcing a schema change failed'));
    },
    async start() {
      unlisten = await bus.listen((from) => {
        if (from !== self) void refresh();
      });
      await reload();
    },
    async stop() {
      await unlisten?.();
      unlisten = undefined;
    },
  };
}
