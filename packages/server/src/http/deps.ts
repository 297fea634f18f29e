import type { AuditService } from '../audit/audit-service.ts';
import type { AuthService } from '../auth/auth-service.ts';
import type { BackupService } from '../backups/backup-service.ts';
import type { Config } from '../config.ts';
import type { CronRegistry } from '../crons/cron-registry.ts';
import type { DatabasesHandle } from '../databases/lazy-databases.ts';
import type { FileService } from '../files/file-service.ts';
import type { FunctionService } from '../functions/function-service.ts';
import type { JobQueue } from '../jobs/job-queue.ts';
import type { WebhookService } from '../jobs/webhooks/webhook-service.ts';
import type { LogService } from '../logs/log-service.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Tracing } from '../observability/tracing-types.ts';
import type { RealtimeHub } from '../realtime/hub.ts';
import type { LiveQueries } from '../realtime/live/live-queries.ts';
import type { RecordService } from '../records/record-service.ts';
import type { S3Service } from '../s3/s3-service.ts';
import type { CollectionService } from '../schema/collection-service.ts';
import type { SettingsService } from '../settings/settings-service.ts';
import type { StorageService } from '../storage/storage-service.ts';
import type { TusService } from '../storage/tus-service.ts';
import type { Clock } from '../tools/clock.ts';

/** The services route files call. */
export interface HttpDeps {
  config: Config;
  collections: CollectionService;
  records: RecordService;
  auth: AuthService;
  files: FileService;
  realtime: RealtimeHub;
  /** Live queries over the realtime WebSocket (`live`/`unlive` frames). */
  live: LiveQueries;
  storage: StorageService;
  s3: S3Service;
  /** Resumable (tus) uploads into storage buckets. */
  tus: TusService;
  settings: SettingsService;
  /** The app's clock (rate limit windows); the system clock when absent. */
  clock?: Clock;
  /** The request logs (`/api/logs`), written by the request-log hook. */
  logs: LogService;
  /** The audit log (`/api/audit`; entries of actions taken through HTTP). */
  audit: AuditService;
  backups: BackupService;
  crons: CronRegistry;
  /** The job queue (`/api/jobs`). */
  jobs: JobQueue;
  /** The project's server functions; absent when there is no functions dir. */
  functions?: FunctionService | undefined;
  /** Tenant databases (`/api/databases`), loaded by the first request that needs them. */
  databases: DatabasesHandle;
  /** Webhooks on the change log (`/api/webhooks`). */
  webhooks: WebhookService;
  logger: Logger;
  /** Request counts and latencies (`GET /metrics`), recorded by the request-metrics hooks. */
  metrics: Metrics;
  /** A span per request when config `otel_endpoint` is set. */
  tracing: Tracing;
}
