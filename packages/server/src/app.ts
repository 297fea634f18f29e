import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { collectionChangeEntry } from './audit/audit-diff.ts';
import { auditAccountChanges } from './audit/audit-hooks.ts';
import { type AuditService, createAuditService } from './audit/audit-service.ts';
import { adoptExternalAuths, authSystemCollections, forgetAuthCollection } from './auth/auth-collections.ts';
import { type AuthService, createAuthService } from './auth/auth-service.ts';
import { guardSuperuserWrites } from './auth/operator-guard.ts';
import { roleField } from './auth/operator-roles.ts';
import { hashPassword, verifyPassword } from './auth/password.ts';
import { totpSecretStore } from './auth/totp.ts';
import { autoBackupService } from './backups/auto-backup.ts';
import { type BackupService, createBackupService } from './backups/backup-service.ts';
import { type ChangeLog, createChangeLog } from './changes/change-log.ts';
import { type Config, parseHostPort } from './config.ts';
import { createCronLeases, cronLastTick } from './crons/cron-leases.ts';
import { type CronRegistry, createCronRegistry } from './crons/cron-registry.ts';
import type { DatabaseService } from './databases/database-service.ts';
import { type DatabasesHandle, lazyDatabases } from './databases/lazy-databases.ts';
import type { Database, SqlTrace } from './db/database.ts';
import { dialectOf, openDatabase, openLogDatabase } from './db/open.ts';
import { runSystemMigrations } from './db/system-migrations.ts';
import { createFileService, type FileService } from './files/file-service.ts';
import type { FunctionService } from './functions/function-service.ts';
import { createHttpsRedirect } from './http/https-redirect.ts';
import { createHttpServer } from './http/server.ts';
import { checkArgs } from './http/validation.ts';
import { createJobMetrics } from './jobs/job-metrics.ts';
import { createJobQueue, type JobQueue } from './jobs/job-queue.ts';
import { createWebhookService, type WebhookService } from './jobs/webhooks/webhook-service.ts';
import { createWebhookStore } from './jobs/webhooks/webhook-store.ts';
import { createLogService, type LogService, type LogWriteOptions } from './logs/log-service.ts';
import { LOG_MIGRATIONS } from './logs/migrations.ts';
import { createMailer } from './mail/mailer.ts';
import { createMigrationRunner, type MigrationRunner } from './migrations/migration-runner.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { createMetrics, type Metrics } from './observability/metrics.ts';
import { createTracing } from './observability/tracing.ts';
import type { Tracing } from './observability/tracing-types.ts';
import { createRealtimeHub, type HubOptions, type RealtimeHub } from './realtime/hub.ts';
import { registerLiveMetrics } from './realtime/live/live-metrics.ts';
import { createLiveQueries, type LiveOptions, type LiveQueries } from './realtime/live/live-queries.ts';
import { createRecordFiles } from './records/record-files.ts';
import { createRecordService, type RecordService } from './records/record-service.ts';
import { ruleProblem } from './rules/rule-condition.ts';
import { createS3Service } from './s3/s3-service.ts';
import { createS3Store } from './s3/s3-store.ts';
import { SUPERUSERS } from './schema/collection.ts';
import { type CollectionService, createCollectionService } from './schema/collection-service.ts';
import { resealCollectionSecrets } from './schema/collection-store.ts';
import { createSchemaSync, type SchemaBus } from './schema/schema-sync.ts';
import { KEY_FILE, openSecretBox, resealSecrets, type SecretStore } from './secrets/encryption-key.ts';
import { createUserSecrets, type UserSecrets } from './secrets/user-secrets.ts';
import { createSettingsService, type SettingsService } from './settings/settings-service.ts';
import { openBlobStore } from './storage/open-blob-store.ts';
import { createRecordBlobStore } from './storage/record-blob-store.ts';
import { createStorageService, type StorageService } from './storage/storage-service.ts';
import { createTusService } from './storage/tus-service.ts';
import { SYSTEM_MIGRATIONS } from './system-migrations.ts';
import { type Clock, SYSTEM_CLOCK } from './tools/clock.ts';
import { type BackgroundService, createLifecycle } from './tools/lifecycle.ts';
import type { SecretBox } from './tools/secret-box.ts';

/** What /metrics reports of one open tenant database. */
type TenantStats = ReturnType<DatabaseService['openStats']>[number];

export type { Config } from './config.ts';

export { loadConfig } from './config.ts';

/** One ForgeBase instance: config, database, services and HTTP server, with no global state. */
export interface App {
  config: Config;
  logger: Logger;
  db: Database;
  collections: CollectionService;
  records: RecordService;
  /** The change log: `changes.follow(name, handler, { durable })` for after-commit work. */
  changes: ChangeLog;
  auth: AuthService;
  files: FileService;
  migrations: MigrationRunner;
  realtime: RealtimeHub;
  /** Live queries (docs/live-queries.md): `live.stats()` for tests and benchmarks. */
  live: LiveQueries;
  storage: StorageService;
  /** The runtime settings (GET/PATCH /api/settings), for commands and tests. */
  settings: SettingsService;
  /** The request logs (`logs.db` on SQLite, `_logs` in PostgreSQL); `logs.flush()` writes what is buffered. */
  logs: LogService;
  /** Backups: create, list, restore (also `forgebase backup`). */
  backups: BackupService;
  /** The cron registry: maintenance jobs, automatic backups, user crons. */
  crons: CronRegistry;
  /** The job queue (docs/jobs.md): `jobs.define(name, opts, handler)`, `jobs.enqueue(name, args, opts, tx?)`. */
  jobs: JobQueue;
  /** The project's server functions (`functions_dir`); absent when that dir does not exist. */
  functions: FunctionService | undefined;
  /** Tenant databases (`/api/databases`, `forgebase db`): `await databases.get()` loads the service. */
  databases: DatabasesHandle;
  /** Webhooks on the change log (`/api/webhooks`); `webhooks.deliverDue()` sends what is due now. */
  webhooks: WebhookService;
  http: FastifyInstance;
  /**
   * The tamper-evident audit log (docs/audit.md): `audit.append(entry, tx?)` inside the
   * action's transaction when there is one.
   */
  audit: AuditService;
  /** The time every service reads (a manual clock in tests). */
  clock: Clock;
  /** Request, database and realtime metrics (`GET /metrics`); `metrics.register()` adds a subsystem's own. */
  metrics: Metrics;
  /** OpenTelemetry spans when config `otel_endpoint` is set (no-ops otherwise): `tracing.span()`, `tracing.inject()`. */
  tracing: Tracing;
  /** Seals and opens secrets at rest (see docs/security.md "Secrets at rest"). */
  secrets: SecretBox;
  /** User secrets for functions (`forgebase secrets set NAME`; `ctx.secrets` once wired). */
  userSecrets: UserSecrets;
  /** Re-seals every stored secret with the current key (`forgebase secrets rotate`). */
  rotateSecrets(): Promise<{ name: string; resealed: number }[]>;
  /** Starts the background services (in `services` order), then listens on `config.http`; returns the bound URL. */
  start(): Promise<string>;
  /**
   * Stops accepting requests, stops the background services (in reverse order), lets
   * in-flight requests finish, closes the database.
   */
  stop(): Promise<void>;
}

/**
 * Builds an App from a Config (the composition root): opens the database, loads the
 * schema, makes sure `_superusers` exists, applies pending migrations when asked, and
 * wires the services into the HTTP server.
 */
export async function createApp(
  config: Config,
  opts: {
    logger?: Logger;
    applyMigrations?: boolean;
    realtime?: HubOptions;
    /** Limits of live queries (per socket, re-runs in flight). */
    live?: LiveOptions;
    clock?: Clock;
    /** How request log writes are batched (tests shorten the flush interval). */
    logWrites?: LogWriteOptions;
  } = {},
): Promise<App> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const clock = opts.clock ?? SYSTEM_CLOCK;
  // secrets at rest: a malformed key stops here, before the database is opened
  const secrets = openSecretBox(config, logger);
  const metrics = createMetrics({ clock });
  // off (and the OpenTelemetry SDK never imported) unless otel_endpoint is set
  const tracing = await createTracing({
    endpoint: config.otelEndpoint,
    dialect: dialectOf(config.db),
    logger,
  });
  let db: Database;
  try {
    db = await openDatabase({
      dataDir: config.dataDir,
      sqliteSync: config.sqliteSync,
      queryTimeoutSeconds: config.queryTimeoutSeconds,
      trace: sqlTrace([
        metrics.dbQuery,
        tracing.dbQuery,
        // development (PocketBase's --dev): every statement with its time, at debug level
        config.dev
          ? (sql: string, ms: number) => logger.debug({ sql, ms: Math.round(ms * 100) / 100 }, 'sql')
          : undefined,
      ]),
      onCommit: metrics.dbCommit,
      systemMigrations: SYSTEM_MIGRATIONS,
      ...(config.db ? { db: config.db } : {}),
    });
  } catch (e) {
    await tracing.stop();
    throw e;
  }
  let logDb: { db: Database; owned: boolean } | undefined;
  let functions: FunctionService | undefined;
  try {
    logDb = await openLogDatabase(db, { dataDir: config.dataDir, migrations: LOG_MIGRATIONS });
    const audit = createAuditService({ db, clock, logger, config });
    const userSecrets = createUserSecrets({ db, box: secrets });
    const mailer = createMailer({ config, logger });
    const settings = createSettingsService({ db, config, mailer, logger, secrets });
    // every stored secret must open with the configured keys (else a clear start-up
    // error, not failing requests later); those in clear or under a previous key are re-sealed
    const resealed = await resealSecrets(
      secrets,
      secretStores(db, [settings.secretStore, userSecrets.secretStore], secrets),
    );
    for (const r of resealed)
      if (r.resealed)
        logger.info({ store: r.name, count: r.resealed }, 'secrets re-sealed with the current key');
    let runner: MigrationRunner | undefined;
    const collections = createCollectionService({
      db,
      secrets,
      ruleProblem,
      onChange: async (tx, changes) => {
        // a deleted auth collection's OTPs, links, origins, TOTP and passkeys go with it
        for (const ch of changes)
          if (ch.before?.type === 'auth' && !ch.after) await forgetAuthCollection(tx, db.qb, ch.before.id);
        if (config.automigrate && runner) await runner.record(tx, changes);
        for (const c of changes) await audit.append(collectionChangeEntry(c.before, c.after), tx);
      },
      onCommitted: () => schemaSync.announce(),
    });
    const schemaSync = createSchemaSync({ bus: schemaBus(db), reload: collections.reload, logger });
    await collections.reload();
    const migrations = createMigrationRunner({ db, collections, dir: config.migrationsDir });
    runner = migrations;
    // the system collections, created without a migration file (not user migrations):
    // _superusers and PocketBase's per-record ones (_authOrigins, _externalAuths, _mfas, _otps)
    const missing = [
      { name: SUPERUSERS, type: 'auth', fields: superuserFields() },
      ...authSystemCollections(),
    ].filter((def) => !collections.find(String(def.name)));
    if (missing.length) {
      runner = undefined;
      await collections.createMany(missing, { system: true });
      runner = migrations;
    }
    if (!collections.get(SUPERUSERS).fields.some((f) => f.name === 'role')) {
      // operator roles: superusers made before them have none, which means owner
      runner = undefined;
      await collections.update(SUPERUSERS, {
        fields: [...collections.get(SUPERUSERS).fields, roleField()],
      });
      runner = migrations;
    }
    await adoptExternalAuths(db);
    if (opts.applyMigrations) {
      const ran = await migrations.up();
      if (ran.length) logger.info({ migrations: ran }, 'applied migrations');
    }
    const blobs = openBlobStore(config);
    // record files follow settings `s3` at runtime; the storage API keeps the startup store
    const recordBlobs = createRecordBlobStore(config, blobs);
    const changes = createChangeLog({
      db,
      logger,
      clock,
      retentionHours: config.changesRetentionHours,
    });
    const records = createRecordService({
      db,
      collections,
      changes,
      passwords: { hash: hashPassword, verify: verifyPassword },
      files: createRecordFiles({ blobs: recordBlobs, logger }),
      clock,
    });
    guardSuperuserWrites({ db, records });
    auditAccountChanges({ records, audit });
    await settings.load();
    mailer.beforeSend(settings.load);
    const auth = createAuthService({
      db,
      collections,
      records,
      config,
      logger,
      mailer,
      clock,
      changes,
      secrets,
    });
    const files = createFileService({ blobs: recordBlobs, collections, records, logger, clock });
    const realtime = createRealtimeHub({
      db,
      changes,
      collections,
      records,
      logger,
      options: opts.realtime ?? {},
    });
    metrics.watch({ db, realtime });
    const live = createLiveQueries({
      db,
      changes,
      collections,
      records,
      logger,
      functions: () => functions,
      send: realtime.push,
      onSchemaChange: collections.onReload,
      options: { maxPerSocket: config.liveMaxPerSocket, ...opts.live },
    });
    registerLiveMetrics(metrics, live);
    const storage = createStorageService({
      db,
      blobs,
      collections,
      logger,
      clock,
      limits: {
        maxObjectSize: config.storageMaxObjectSize,
        transformVariants: config.storageTransformVariants,
      },
    });
    const s3 = createS3Service({ db, blobs, storage, secrets });
    const tus = createTusService({ db, blobs, storage, logger, maxSize: config.storageMaxObjectSize });
    const logs = createLogService({
      db: logDb.db,
      config,
      clock,
      logger,
      ...(opts.logWrites ? { options: opts.logWrites } : {}),
    });
    // like PocketBase on a settings reload: entries the new `logs` settings would not keep go
    settings.onUpdate(async (sections) => {
      if (sections.includes('logs')) await logs.reapplySettings();
    });
    const crons = createCronRegistry({
      clock,
      logger,
      timezone: config.cronTimezone,
      claim: createCronLeases(db),
      lastTick: cronLastTick(db),
    });
    // the maintenance jobs (PocketBase's __pb…__ jobs); one node of a cluster runs each tick
    crons.add('__fbChangesCleanup__', '*/10 * * * *', () => changes.prune().then(() => undefined));
    crons.add('__fbAuthCleanup__', '*/10 * * * *', auth.pruneSessions);
    crons.add('__fbTusCleanup__', '0 * * * *', () => tus.sweepExpired().then(() => undefined));
    // PocketBase prunes its logs every 6 hours
    crons.add('__fbLogsCleanup__', '0 */6 * * *', () => logs.pruneLogs().then(() => undefined));
    // a signed head every 10 minutes (with a signing key), retention behind a checkpoint
    crons.add('__fbAuditSign__', '*/10 * * * *', () => audit.signHead().then(() => undefined));
    crons.add('__fbAuditCleanup__', '0 */6 * * *', () => audit.prune().then(() => undefined));
    const webhooks = createWebhookService({
      db,
      collections,
      changes,
      secrets,
      clock,
      logger,
      metrics,
      allowPrivate: config.webhooksAllowPrivate,
      inject: tracing.inject,
    });
    crons.add('__fbWebhookDeliveriesCleanup__', '0 * * * *', () =>
      webhooks.pruneDeliveries().then(() => undefined),
    );
    // queue depth read at scrape time; attempts counted as the workers finish them
    const jobMetrics = createJobMetrics(() => jobs.depth());
    const jobs = createJobQueue({
      db,
      clock,
      logger,
      workers: config.jobsWorkers,
      onOutcome: jobMetrics.record,
    });
    for (const source of jobMetrics.sources) metrics.register(source);
    crons.add('__fbJobsCleanup__', '30 * * * *', () => jobs.prune().then(() => undefined));
    const backups = createBackupService({
      db,
      blobs,
      config,
      logger,
      clock,
      onRestored: async () => {
        // a backup from an older version lacks the newer system tables
        await runSystemMigrations(db, SYSTEM_MIGRATIONS);
        await collections.reload();
        await settings.load();
        await schemaSync.announce();
      },
    });
    const databases = lazyDatabases({ db, dataDir: config.dataDir, clock, logger });
    // tenant databases opened on this node, labelled by name (operators make them: bounded)
    const tenantMetric = (
      name: string,
      help: string,
      type: 'gauge' | 'counter',
      value: (s: TenantStats) => number,
    ) =>
      metrics.register({
        name,
        help,
        type,
        collect: () =>
          (databases.loaded()?.openStats() ?? []).map((s) => ({
            labels: { database: s.name },
            value: value(s),
          })),
      });
    tenantMetric(
      'forgebase_tenant_db_statements_total',
      'Statements run on each open tenant database.',
      'counter',
      (s) => s.queries,
    );
    tenantMetric(
      'forgebase_tenant_db_errors_total',
      'Statements that failed on each open tenant database.',
      'counter',
      (s) => s.errors,
    );
    tenantMetric(
      'forgebase_tenant_db_size_bytes',
      'Size of each open tenant database file.',
      'gauge',
      (s) => s.size,
    );
    tenantMetric(
      'forgebase_tenant_db_open_streams',
      'Open Hrana streams (batons) of each tenant database.',
      'gauge',
      (s) => s.openStreams,
    );
    // the functions runtime loads only for a project that has functions
    if (existsSync(config.functionsDir)) {
      const { createFunctionService } = await import('./functions/function-service.ts');
      functions = createFunctionService({
        dir: config.functionsDir,
        env: config.env,
        secrets: userSecrets,
        watch: config.dev,
        records,
        collections,
        changes,
        mail: mailer,
        storage,
        logger,
        checkArgs,
        tracing,
        jobs,
        crons,
      });
      await functions.load();
      const fns = functions;
      auth.addSignInHook({
        before: (c, record, method, viewer) => fns.authHook('beforeAuth', c.name, record, method, viewer),
        after: (c, record, method, viewer) => fns.authHook('afterAuth', c.name, record, method, viewer),
      });
    }
    const http = await createHttpServer(
      {
        functions,
        databases,
        webhooks,
        config,
        collections,
        records,
        auth,
        files,
        realtime,
        live,
        storage,
        s3,
        tus,
        settings,
        backups,
        crons,
        jobs,
        logs,
        audit,
        logger,
        clock,
        metrics,
        tracing,
      },
      logger,
    );

    // the background services, started in this order by start() and stopped in reverse
    const services: BackgroundService[] = [
      // the summary's one-minute window moves on every second
      { name: 'metrics', start: metrics.start, stop: metrics.stop },
      schemaSync,
      // other nodes' settings changes
      settings.sync(),
      // its consumers, other nodes' wake-ups and the pruning of its retention window
      { name: 'changes', start: changes.start, stop: changes.stop },
      // hooks of the functions (durable afterCommit consumers), and reloads under --dev
      ...(functions ? [{ name: 'functions', start: functions.start, stop: functions.stop }] : []),
      // the worker pool, after the functions that define most jobs; stopped before them
      { name: 'jobs', start: jobs.start, stop: jobs.stop },
      { name: 'realtime', start: realtime.start, stop: realtime.stop },
      { name: 'live', start: live.start, stop: live.stop },
      // a durable change-log consumer and the claim loop of the deliveries
      { name: 'webhooks', start: webhooks.start, stop: webhooks.stop },
      // drops cached tokens of records changed on other nodes
      { name: 'auth-tokens', start: auth.start, stop: auth.stop },
      // buffered request log entries written every second; the last ones by stop(), below
      { name: 'log-writes', start: logs.start, stop: logs.flush },
      autoBackupService({ config, crons, backups, clock, logger }),
      { name: 'crons', start: crons.start, stop: crons.stop },
    ];
    const lifecycle = createLifecycle(services);

    let stopped = false;
    let redirect: Server | undefined;
    return {
      config,
      logger,
      db,
      collections,
      records,
      changes,
      auth,
      files,
      migrations,
      realtime,
      live,
      storage,
      settings,
      logs,
      backups,
      crons,
      jobs,
      functions,
      databases,
      webhooks,
      http,
      clock,
      audit,
      metrics,
      tracing,
      secrets,
      userSecrets,
      rotateSecrets: () =>
        resealSecrets(secrets, secretStores(db, [settings.secretStore, userSecrets.secretStore], secrets)),
      async start() {
        // only a serving app warns: one-shot commands keep their output to themselves
        if (await db.isSuperuserRole()) {
          logger.warn(
            'the PostgreSQL role is a superuser: use a role without superuser rights (docs/security.md), a superuser role can read the host through SQL',
          );
        }
        if (!config.encryptionKey)
          logger.warn(
            { keyFile: join(config.dataDir, KEY_FILE) },
            'no encryption key is configured (FORGEBASE_ENCRYPTION_KEY or --encryptionEnv): secrets at rest are sealed with the key file in the data directory, so whoever can read that directory can open them; configure a key kept elsewhere (docs/security.md)',
          );
        await lifecycle.start();
        const { host, port } = parseHostPort(config.https ?? config.http);
        await http.listen({ host, port });
        const addr = http.server.address();
        const bound = typeof addr === 'object' && addr ? addr.port : port;
        if (config.https) redirect = await listenHttpsRedirect(config.http, bound);
        return `${config.https ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${bound}`;
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        http.beginClosing();
        await lifecycle.stop();
        redirect?.closeAllConnections();
        if (redirect) await new Promise((r) => redirect!.close(r));
        await http.close();
        await databases.close();
        // after the last response: its entry is written before the log database closes
        await logs.stop();
        if (logDb?.owned) await logDb.db.close();
        await mailer.close();
        await recordBlobs.close();
        await backups.close();
        await blobs.close();
        await db.close();
        // the spans of the last requests are exported before the app is gone
        await tracing.stop();
        logger.flush?.();
      },
    };
  } catch (e) {
    await functions?.stop();
    if (logDb?.owned) await logDb.db.close();
    await db.close();
    await tracing.stop();
    throw e;
  }
}

/** One statement trace calling each of `traces` that is set (metrics, spans, dev logs). */
function sqlTrace(traces: (SqlTrace | undefined)[]): SqlTrace {
  const set = traces.filter((t): t is SqlTrace => t !== undefined);
  if (set.length === 1) return set[0]!;
  return (sql, ms) => {
    for (const t of set) t(sql, ms);
  };
}

/** Every place that keeps sealed secrets (re-sealed at start and by `forgebase secrets rotate`). */
function secretStores(db: Database, stores: SecretStore[], secrets: SecretBox): SecretStore[] {
  return [
    { name: 'the OAuth2 provider secrets (_collections)', reseal: (box) => resealCollectionSecrets(db, box) },
    ...stores,
    totpSecretStore(db),
    createS3Store(db, secrets).secretStore,
    createWebhookStore(db, secrets).secretStore,
  ];
}

/** Listens on `http` (host:port) with the redirect to the HTTPS port. */
async function listenHttpsRedirect(http: string, httpsPort: number): Promise<Server> {
  const { host, port } = parseHostPort(http);
  const server = createHttpsRedirect(httpsPort);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

/** Schema announcements on the database's bus (PostgreSQL NOTIFY; nothing to do on SQLite). */
function schemaBus(db: Database): SchemaBus {
  return {
    notify: (from) => db.bus.notify('schema', from),
    listen: (wake) => db.bus.listen('schema', wake, () => wake()),
  };
}

function superuserFields(): Record<string, unknown>[] {
  return [
    { name: 'created', type: 'autodate', onCreate: true, onUpdate: false, system: true },
    { name: 'updated', type: 'autodate', onCreate: true, onUpdate: true, system: true },
    roleField(),
  ];
}
