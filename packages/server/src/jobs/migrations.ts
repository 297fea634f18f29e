import type { SystemMigration } from '../db/system-migrations.ts';

/** One statement list for both dialects, times as epoch milliseconds (`time`: INTEGER or BIGINT). */
const jobsTable = (time: string) => `
CREATE TABLE _jobs (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  args TEXT NOT NULL,
  state TEXT NOT NULL,
  priority INTEGER NOT NULL,
  run_at ${time} NOT NULL,
  attempts INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  backoff TEXT NOT NULL,
  backoff_ms ${time} NOT NULL,
  timeout_ms ${time} NOT NULL,
  dedup_key TEXT,
  lease_until ${time},
  last_error TEXT,
  result TEXT,
  created ${time} NOT NULL,
  updated ${time} NOT NULL,
  finished ${time}
);
CREATE INDEX _jobs_ready ON _jobs (priority DESC, run_at, id) WHERE state IN ('queued', 'failed');
CREATE INDEX _jobs_running ON _jobs (name, lease_until) WHERE state = 'running';
CREATE INDEX _jobs_state_name ON _jobs (state, name, created);
CREATE UNIQUE INDEX _jobs_dedup ON _jobs (name, dedup_key)
  WHERE dedup_key IS NOT NULL AND state IN ('queued', 'running', 'failed');`;

/**
 * The job queue's table (docs/jobs.md): one row per job, with its state, its schedule and
 * its lease. A dedup key is unique among the pending jobs of a name (queued, running or
 * waiting to retry). Append only; numbers 0030–0039 belong to jobs.
 */
export const JOBS_MIGRATIONS: readonly SystemMigration[] = [
  { name: '0030_jobs', sqlite: jobsTable('INTEGER'), postgres: jobsTable('BIGINT') },
];
