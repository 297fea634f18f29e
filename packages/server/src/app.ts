import type { FastifyInstance } from 'fastify';
import { type AuthService, createAuthService } from './auth/auth-service.ts';
import { hashPassword, verifyPassword } from './auth/password.ts';
import { type Config, parseHostPort } from './config.ts';
import type { Database } from './db/database.ts';
import { openDatabase } from './db/open.ts';
import { createFileService, type FileService } from './files/file-service.ts';
import { createHttpServer } from './http/server.ts';
import { createMailer } from './mail/mailer.ts';
import { createMigrationRunner, type MigrationRunner } from './migrations/migration-runner.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { createRealtimeHub, type HubOptions, type RealtimeHub } from './realtime/hub.ts';
import { createRecordFiles } from './records/record-files.ts';
import { createRecordService, type RecordService } from './records/record-service.ts';
import { ruleProblem } from './rules/rule-condition.ts';
import { createS3Service } from './s3/s3-service.ts';
import { SUPERUSERS } from './schema/collection.ts';
import { type CollectionService, createCollectionService } from './schema/collection-service.ts';
import { createSettingsService, type SettingsService } from './settings/settings-service.ts';
import { openBlobStore } from './storage/open-blob-store.ts';
import { createStorageService, type StorageService } from './storage/storage-service.ts';
import { createTusService } from './storage/tus-service.ts';
import { SYSTEM_MIGRATIONS } from './system-migrations.ts';
import { formatDate } from './tools/time.ts';

export type { Config } from './config.ts';

const PRUNE_EVERY_MS = 10 * 60 * 1000;

export { loadConfig } from './config.ts';

/** One ForgeBase instance: config, database, services and HTTP server, with no global state. */
export interface App {
  config: Config;
  logger: Logger;
  db: Database;
  collections: CollectionService;
  records: RecordService;
  auth: AuthService;
  files: FileService;
  migrations: MigrationRunner;
  realtime: RealtimeHub;
  storage: StorageService;
  http: FastifyInstance;
  /** Listens on `config.http`; returns the bound URL. */
  start(): Promise<string>;
  /** Stops accepting requests, lets in-flight ones finish, closes the database. */
  stop(): Promise<void>;
}

/**
 * Builds an App from a Config (the composition root): opens the database, loads the
 * schema, makes sure `_superusers` exists, applies pending migrations when asked, and
 * wires the services into the HTTP server.
 */
export async function createApp(
  config: Config,
  opts: { logger?: Logger; applyMigrations?: boolean; realtime?: HubOptions } = {},
): Promise<App> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const db = await openDatabase({
    dataDir: config.dataDir,
    sqliteSync: config.sqliteSync,
    systemMigrations: SYSTEM_MIGRATIONS,
    ...(config.db ? { db: config.db } : {}),
  });
  try {
    let runner: MigrationRunner | undefined;
    const collections = createCollectionService({
      db,
      ruleProblem,
      onChange: async (tx, changes) => {
        if (config.automigrate && runner) await runner.record(tx, changes);
      },
    });
    await collections.reload();
    const migrations = createMigrationRunner({ db, collections, dir: config.migrationsDir });
    runner = migrations;
    if (!collections.find(SUPERUSERS)) {
      // a system collection, not a user migration: created without a migration file
      runner = undefined;
      await collections.create(
        { name: SUPERUSERS, type: 'auth', fields: superuserFields() },
        { system: true },
      );
      runner = migrations;
    }
    if (opts.applyMigrations) {
      const ran = await migrations.up();
      if (ran.length) logger.info({ migrations: ran }, 'applied migrations');
    }
    const blobs = openBlobStore(config);
    const records = createRecordService({
      db,
      collections,
      passwords: { hash: hashPassword, verify: verifyPassword },
      files: createRecordFiles({ blobs, logger }),
    });
    const mailer = createMailer({ config, logger });
    const settings = createSettingsService({ db, config, mailer });
    await settings.load();
    mailer.beforeSend(settings.load);
    const auth = createAuthService({ db, collections, records, config, logger, mailer });
    const files = createFileService({ blobs, collections, records, logger });
    const realtime = createRealtimeHub({ db, collections, records, logger, options: opts.realtime ?? {} });
    const storage = createStorageService({ db, blobs, collections, logger });
    const s3 = createS3Service({ db, blobs, storage });
    const tus = createTusService({ db, blobs, storage, logger });
    const http = await createHttpServer(
      { config, collections, records, auth, files, realtime, storage, s3, tus, settings },
      logger,
    );
    await realtime.start();

    // the change log keeps a retention window; prune now and then (never keeps the process alive)
    const prune = () => {
      const cutoff = formatDate(new Date(Date.now() - config.changesRetentionHours * 3_600_000));
      records.pruneChanges(cutoff).catch((err: unknown) => logger.error({ err }, 'pruning _changes failed'));
      auth.pruneSessions().catch((err: unknown) => logger.error({ err }, 'pruning _otps/_mfas failed'));
    };
    const pruneTimer = setInterval(prune, PRUNE_EVERY_MS);
    pruneTimer.unref();

    let stopped = false;
    return {
      config,
      logger,
      db,
      collections,
      records,
      auth,
      files,
      migrations,
      realtime,
      storage,
      http,
      async start() {
        prune();
        const { host, port } = parseHostPort(config.http);
        await http.listen({ host, port });
        const addr = http.server.address();
        const bound = typeof addr === 'object' && addr ? addr.port : port;
        return `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        clearInterval(pruneTimer);
        await realtime.stop();
        await http.close();
        await mailer.close();
        await blobs.close();
        await db.close();
        logger.flush?.();
      },
    };
  } catch (e) {
    await db.close();
    throw e;
  }
}

function superuserFields(): Record<string, unknown>[] {
  return [
    { name: 'created', type: 'autodate', onCreate: true, onUpdate: false, system: true },
    { name: 'updated', type: 'autodate', onCreate: true, onUpdate: true, system: true },
  ];
}
