import type { Database, Transaction } from '../db/database.ts';
import { errors } from '../errors/codes.ts';
import type { Logger } from '../observability/logger.ts';
import type { Clock } from '../tools/clock.ts';
import { parseDuration } from '../tools/duration.ts';
import {
  type EnqueueOptions,
  type JobOptions,
  type ResolvedJobOptions,
  resolveJobOptions,
  withOverrides,
} from './job-options.ts';
import { createJobStore, JOB_STATES, type JobState } from './job-store.ts';
import { type JobView, jobView } from './job-view.ts';
import { createWorkerPool, type JobHandler, type JobOutcome } from './worker-pool.ts';

/** The bus channel on which an enqueue wakes idle workers of other nodes. */
export const JOBS_CHANNEL = 'jobs';

/** Completed jobs are kept this long for `GET /api/jobs`, then pruned (dead ones stay). */
const COMPLETED_RETENTION_MS = 7 * 86_400_000;

export interface JobQueueDeps {
  db: Database;
  clock: Clock;
  logger: Logger;
  /** Jobs run at once on this node (config `jobs_workers`). */
  workers: number;
  /** How often idle workers look for due jobs anyway (default 1 s). */
  pollMs?: number;
  /** A claimed job's lease is its timeout plus this (default 5 s). */
  leaseGraceMs?: number;
  /** stop() waits this long for running jobs before giving them back (default 10 s). */
  shutdownMs?: number;
  onOutcome?: (o: JobOutcome) => void;
}

interface Definition {
  options: ResolvedJobOptions;
  handler: JobHandler;
}

/**
 * The job queue (docs/jobs.md): named job definitions (a handler and its retry, backoff,
 * timeout and concurrency options), enqueue (inside the caller's transaction when it has
 * one: a rolled-back write enqueues nothing), this node's worker pool, and the operations
 * of `/api/jobs`. Jobs live in `_jobs` in the app database; several nodes on one
 * PostgreSQL share them.
 *
 * @example
 * jobs.define('mail/welcome', { retries: 5 }, async (job) => send(job.args));
 * await records.inTransaction(async (r) => {
 *   const user = await r.asSystem().create('users', body);
 *   await jobs.enqueue('mail/welcome', { userId: user.id }, {}, r.tx);
 * });
 */
export function createJobQueue(deps: JobQueueDeps) {
  const { db, clock, logger } = deps;
  const store = createJobStore(db);
  const definitions = new Map<string, Definition>();
  let names: string[] = [];
  let limits = new Map<string, number>();
  const observers = new Set<(o: JobOutcome) => void>();
  const refresh = () => {
    names = [...definitions.keys()];
    limits = new Map(
      [...definitions].flatMap(([n, d]) =>
        d.options.concurrency !== undefined ? [[n, d.options.concurrency] as const] : [],
      ),
    );
  };
  const pool = createWorkerPool({
    store,
    clock,
    logger,
    size: deps.workers,
    pollMs: deps.pollMs ?? 1000,
    leaseGraceMs: deps.leaseGraceMs ?? 5000,
    shutdownMs: deps.shutdownMs ?? 10_000,
    definitions: { names: () => names, limits: () => limits, handler: (n) => definitions.get(n)?.handler },
    onOutcome(o) {
      deps.onOutcome?.(o);
      for (const observer of observers) observer(o);
    },
  });
  let stopListening: (() => Promise<void>) | undefined;
  // one NOTIFY per turn of the event loop, however many jobs were enqueued in it
  let notifyPending = false;
  const announce = () => {
    pool.wake();
    if (!db.bus.shared || notifyPending) return;
    notifyPending = true;
    setImmediate(() => {
      notifyPending = false;
      db.bus.notify(JOBS_CHANNEL, '').catch((err: unknown) => logger.warn({ err }, 'jobs: NOTIFY failed'));
    });
  };

  return {
    /** Registers (or replaces) the handler of job `name`; throws a TypeError on bad options. */
    define(name: string, options: JobOptions, handler: JobHandler): void {
      definitions.set(name, { options: resolveJobOptions(options), handler });
      refresh();
      pool.wake();
    },

    /** Removes a definition: its queued jobs wait for a node that defines it. */
    undefine(name: string): void {
      definitions.delete(name);
      refresh();
    },

    /** The names defined on this node. */
    defined: (): string[] => [...names],

    /**
     * Adds a job. With `tx` (or when called from inside a transaction's work) the job row is
     * written in that transaction and workers are woken once it commits. The options of the
     * job's definition apply unless this call overrides them; a name this node does not
     * define gets the defaults (another node may run it).
     */
    async enqueue(
      name: string,
      args: unknown,
      opts: EnqueueOptions = {},
      tx?: Transaction,
    ): Promise<{ id: string; deduplicated: boolean }> {
      const base = definitions.get(name)?.options ?? resolveJobOptions();
      const o = withOverrides(base, opts);
      const priority = opts.priority ?? 0;
      if (!Number.isSafeInteger(priority)) throw new TypeError('enqueue(): priority must be a whole number');
      const now = clock.now();
      const write = async (t: Transaction) => {
        const r = await store.insert(
          t,
          {
            name,
            args,
            priority,
            runAt: now + (opts.delay === undefined ? 0 : parseDuration(opts.delay, 'enqueue(): delay')),
            maxAttempts: o.maxAttempts,
            backoff: o.backoff,
            backoffMs: o.backoffMs,
            timeoutMs: o.timeoutMs,
            key: opts.key,
          },
          now,
        );
        if (!r.deduplicated) t.afterCommit(announce);
        return r;
      };
      return tx ? write(tx) : db.transaction(write);
    },

    /** `GET /api/jobs`: a page of jobs, newest first. */
    async list(q: {
      state?: string | undefined;
      name?: string | undefined;
      page?: number;
      perPage?: number;
    }) {
      if (q.state !== undefined && !(JOB_STATES as readonly string[]).includes(q.state))
        throw errors.badRequest(`Invalid "state": one of ${JOB_STATES.join(', ')}.`);
      const page = Math.max(1, q.page ?? 1);
      const perPage = Math.min(1000, Math.max(1, q.perPage ?? 30));
      const { rows, total } = await store.list({
        state: q.state as JobState | undefined,
        name: q.name,
        page,
        perPage,
      });
      return {
        page,
        perPage,
        totalItems: total,
        totalPages: Math.ceil(total / perPage),
        items: rows.map(jobView),
      };
    },

    /** One job; a 404 when there is none. */
    async get(id: string): Promise<JobView> {
      const row = await store.get(id);
      if (!row) throw errors.notFound('The job was not found.');
      return jobView(row);
    },

    /** Queues a failed, dead or completed job again now with fresh attempts; 400 for a queued or running one. */
    async retry(id: string): Promise<JobView> {
      const row = await store.get(id);
      if (!row) throw errors.notFound('The job was not found.');
      const moved = await db.transaction(async (tx) => {
        const ok = await store.requeue(tx, id, clock.now());
        if (ok) tx.afterCommit(announce);
        return ok;
      });
      if (!moved)
        throw errors.badRequest(
          `Only a failed, dead or completed job can be retried (this one is ${row.state}).`,
        );
      return this.get(id);
    },

    /** Deletes a job; a 404 when there is none. */
    async remove(id: string): Promise<void> {
      if (!(await store.remove(id))) throw errors.notFound('The job was not found.');
    },

    /** Deletes completed jobs past their retention (the `__fbJobsCleanup__` cron). */
    prune: (): Promise<number> => store.pruneCompleted(clock.now() - COMPLETED_RETENTION_MS),

    /** Jobs per state, for the metrics. */
    depth: () => store.depth(),

    /** Jobs running on this node now. */
    active: () => pool.active(),

    /** Told of every attempt this node finishes (tests, and what builds on the queue); returns the remover. */
    observe(listener: (o: JobOutcome) => void): () => void {
      observers.add(listener);
      return () => observers.delete(listener);
    },

    /** Starts the workers, and on PostgreSQL listens for other nodes' enqueues. */
    async start(): Promise<void> {
      if (db.bus.shared)
        stopListening = await db.bus.listen(
          JOBS_CHANNEL,
          () => pool.wake(),
          () => pool.wake(),
        );
      // SQLite serves one process: whatever it had running died with the previous one
      await pool.start({ releaseAll: !db.bus.shared });
    },

    /** Stops claiming; running jobs finish (or go back to the queue after the shutdown wait). */
    async stop(): Promise<void> {
      // the pool's shutdown wait starts now (on a manual clock too), the listener closes meanwhile
      const stopping = pool.stop();
      await stopListening?.();
      stopListening = undefined;
      await stopping;
    },
  };
}

export type JobQueue = ReturnType<typeof createJobQueue>;
