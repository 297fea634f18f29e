import type { SelectQueryBuilder } from 'kysely';
import type { Database, Executor, Query, Transaction } from '../db/database.ts';
import type { JobsTable, SystemTables } from '../db/system-tables.ts';
import { newRecordId } from '../tools/id.ts';

/** Where a job is: waiting, running, done, waiting to retry after a failure, or out of attempts. */
export type JobState = 'queued' | 'running' | 'completed' | 'failed' | 'dead';

export const JOB_STATES: readonly JobState[] = ['queued', 'running', 'completed', 'failed', 'dead'];

/** States a claim takes jobs from (a failed job waits for its retry time). */
const READY: JobState[] = ['queued', 'failed'];

/** A job to insert, with its options resolved. */
export interface NewJob {
  name: string;
  args: unknown;
  priority: number;
  runAt: number;
  maxAttempts: number;
  backoff: 'exponential' | 'fixed';
  backoffMs: number;
  timeoutMs: number;
  key?: string | undefined;
}

/** A job this worker claimed: its attempt number is the fence of every later write. */
export interface ClaimedJob {
  id: string;
  name: string;
  args: unknown;
  attempt: number;
  maxAttempts: number;
  backoff: 'exponential' | 'fixed';
  backoffMs: number;
  timeoutMs: number;
  runAt: number;
  claimedAt: number;
}

/** What a claim asks for: how many, of which names, with which per-name limits. */
export interface ClaimRequest {
  limit: number;
  now: number;
  /** Names this node has a handler for. */
  names: readonly string[];
  /** Names with a concurrency limit across the cluster, and the limit. */
  limits: ReadonlyMap<string, number>;
  /** How long past its timeout a claimed job stays leased (time to write its outcome). */
  leaseGraceMs: number;
}

export type JobRow = JobsTable;

/**
 * The queue's SQL over `_jobs` (docs/jobs.md): insert with dedup, claim, complete, fail,
 * release, reclaim expired leases, and the reads of the API. Writes that follow a claim
 * are fenced by the attempt number, so a worker whose lease ran out (and whose job was
 * claimed again) changes nothing.
 */
export function createJobStore(db: Database) {
  const t = () => db.sys;

  /** Running jobs per limited name (leases not yet expired count). */
  async function runningCounts(ex: Executor, names: string[], now: number): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (!names.length) return counts;
    const rows = await ex.all(
      t()
        .selectFrom('_jobs')
        .select((eb) => ['name', eb.fn.countAll<number>().as('n')])
        .where('state', '=', 'running')
        .where('name', 'in', names)
        .where('lease_until', '>', now)
        .groupBy('name'),
    );
    for (const r of rows) counts.set(r.name, Number(r.n));
    return counts;
  }

  /** Moves the rows `pick` selects to running for this attempt, returning them (attempts already counted). */
  function markRunning(
    write: (q: Query) => Promise<JobRow[]>,
    ids: SelectQueryBuilder<SystemTables, '_jobs', { id: string }>,
    req: ClaimRequest,
  ) {
    return write(
      t()
        .updateTable('_jobs')
        .set((eb) => ({
          state: 'running',
          attempts: eb('attempts', '+', 1),
          lease_until: eb('timeout_ms', '+', req.now + req.leaseGraceMs),
          updated: req.now,
        }))
        .where('id', 'in', ids)
        .returningAll(),
    );
  }

  /** The ready jobs of `names`, best first, as a locking subquery of at most `limit` ids. */
  const ready = (names: readonly string[], limit: number, now: number) =>
    db.bus.claimRows(
      t()
        .selectFrom('_jobs')
        .select('id')
        .where('state', 'in', READY)
        .where('run_at', '<=', now)
        .where('name', 'in', [...names])
        .orderBy('priority', 'desc')
        .orderBy('run_at')
        .orderBy('id')
        .limit(limit),
    );

  /** One statement: claims up to `limit` ready jobs of names without a limit. */
  const claimRows = (names: readonly string[], limit: number, req: ClaimRequest) =>
    markRunning((q) => db.writeReturning<JobRow>(q), ready(names, limit, req.now), req);

  /** Claims jobs of limited names under their advisory locks, up to each limit. */
  function claimLimited(names: string[], limit: number, req: ClaimRequest): Promise<JobRow[]> {
    return db.transaction(async (tx) => {
      const before = await runningCounts(tx, names, req.now);
      const open = names.filter((n) => (before.get(n) ?? 0) < req.limits.get(n)!);
      if (!open.length) return [];
      const candidates = await tx.all(
        db.bus.claimRows(
          t()
            .selectFrom('_jobs')
            .select(['id', 'name'])
            .where('state', 'in', READY)
            .where('run_at', '<=', req.now)
            .where('name', 'in', open)
            .orderBy('priority', 'desc')
            .orderBy('run_at')
            .orderBy('id')
            .limit(limit),
        ),
      );
      const present = [...new Set(candidates.map((r) => r.name))].sort();
      for (const n of present) await db.bus.lockKey(tx, `jobs:${n}`);
      const counts = await runningCounts(tx, present, req.now);
      const chosen = candidates.filter((r) => {
        const n = counts.get(r.name) ?? 0;
        if (n >= req.limits.get(r.name)!) return false;
        counts.set(r.name, n + 1);
        return true;
      });
      if (!chosen.length) return [];
      return markRunning(
        (q) => tx.all<JobRow>(q),
        t()
          .selectFrom('_jobs')
          .select('id')
          .where(
            'id',
            'in',
            chosen.map((r) => r.id),
          ),
        req,
      );
    });
  }

  return {
    /**
     * Inserts a job unless a pending job of the same name has the same key; answers the id
     * of the job that holds the key then. Runs on `ex` (a caller's transaction: the job
     * commits with it).
     */
    async insert(ex: Executor, job: NewJob, now: number): Promise<{ id: string; deduplicated: boolean }> {
      const id = newRecordId();
      const result = await ex.run(
        t()
          .insertInto('_jobs')
          .values({
            id,
            name: job.name,
            args: JSON.stringify(job.args ?? null),
            state: 'queued',
            priority: job.priority,
            run_at: job.runAt,
            attempts: 0,
            max_attempts: job.maxAttempts,
            backoff: job.backoff,
            backoff_ms: job.backoffMs,
            timeout_ms: job.timeoutMs,
            dedup_key: job.key ?? null,
            created: now,
            updated: now,
          })
          .onConflict((oc) => oc.doNothing()),
      );
      if (result.changes === 1 || job.key === undefined) return { id, deduplicated: false };
      const holder = await ex.first(
        t()
          .selectFrom('_jobs')
          .select('id')
          .where('name', '=', job.name)
          .where('dedup_key', '=', job.key)
          .where('state', 'in', ['queued', 'running', 'failed']),
      );
      if (!holder) throw new Error(`job ${job.name}: key ${job.key} conflicted, but no pending job holds it`);
      return { id: holder.id, deduplicated: true };
    },

    /**
     * Claims up to `limit` ready jobs, highest priority first, then oldest. Names without a
     * concurrency limit are claimed in one statement (an UPDATE of the rows a SKIP LOCKED
     * SELECT picked, on PostgreSQL); names with one after them, in a transaction that
     * serialises each such name (an advisory lock, in name order) and counts its running
     * jobs under that lock, so a limit holds across nodes. Priority order holds within each
     * of the two groups.
     */
    async claim(req: ClaimRequest): Promise<ClaimedJob[]> {
      if (!req.names.length || req.limit <= 0) return [];
      const free = req.names.filter((n) => !req.limits.has(n));
      const limited = req.names.filter((n) => req.limits.has(n));
      const rows = free.length ? await claimRows(free, req.limit, req) : [];
      if (rows.length < req.limit && limited.length)
        rows.push(...(await claimLimited(limited, req.limit - rows.length, req)));
      rows.sort(
        (a, b) =>
          Number(b.priority) - Number(a.priority) ||
          Number(a.run_at) - Number(b.run_at) ||
          (a.id < b.id ? -1 : 1),
      );
      return rows.map((r) => ({
        id: r.id,
        name: r.name,
        args: JSON.parse(r.args) as unknown,
        attempt: Number(r.attempts),
        maxAttempts: Number(r.max_attempts),
        backoff: r.backoff === 'fixed' ? 'fixed' : 'exponential',
        backoffMs: Number(r.backoff_ms),
        timeoutMs: Number(r.timeout_ms),
        runAt: Number(r.run_at),
        claimedAt: req.now,
      }));
    },

    /**
     * Marks attempts completed in one statement (each keeps its own result); answers the
     * ids whose attempt still held the job.
     */
    async completeMany(done: { job: ClaimedJob; result: unknown }[], now: number): Promise<Set<string>> {
      const held = new Set<string>();
      const byResult = new Map<string | null, ClaimedJob[]>();
      for (const d of done) {
        const text = d.result === undefined || d.result === null ? null : JSON.stringify(d.result);
        byResult.set(text, [...(byResult.get(text) ?? []), d.job]);
      }
      for (const [result, jobs] of byResult) {
        const rows = await db.writeReturning<{ id: string }>(
          t()
            .updateTable('_jobs')
            .set({ state: 'completed', result, lease_until: null, finished: now, updated: now })
            .where('state', '=', 'running')
            .where((eb) =>
              eb.or(jobs.map((j) => eb.and([eb('id', '=', j.id), eb('attempts', '=', j.attempt)]))),
            )
            .returning('id'),
        );
        for (const r of rows) held.add(r.id);
      }
      return held;
    },

    /**
     * Marks an attempt completed, on `ex` (the job's own transaction when its effect commits
     * with it). False when the attempt no longer holds the job (its lease ran out and it was
     * claimed again, or it was deleted).
     */
    async complete(job: ClaimedJob, result: unknown, now: number, ex: Executor = db): Promise<boolean> {
      const r = await ex.run(
        t()
          .updateTable('_jobs')
          .set({
            state: 'completed',
            result: result === undefined ? null : JSON.stringify(result),
            lease_until: null,
            finished: now,
            updated: now,
          })
          .where('id', '=', job.id)
          .where('state', '=', 'running')
          .where('attempts', '=', job.attempt),
      );
      return r.changes === 1;
    },

    /** Records a failed attempt: back to waiting until `retryAt`, or dead when it was the last. */
    async fail(job: ClaimedJob, error: string, retryAt: number | undefined, now: number): Promise<boolean> {
      const r = await db.run(
        t()
          .updateTable('_jobs')
          .set({
            state: retryAt === undefined ? 'dead' : 'failed',
            run_at: retryAt ?? job.runAt,
            last_error: error.slice(0, 2000),
            lease_until: null,
            finished: retryAt === undefined ? now : null,
            updated: now,
          })
          .where('id', '=', job.id)
          .where('state', '=', 'running')
          .where('attempts', '=', job.attempt),
      );
      return r.changes === 1;
    },

    /** Gives a claimed job back unrun (shutdown): queued again, its attempt not counted. */
    async release(job: ClaimedJob, now: number): Promise<void> {
      await db.run(
        t()
          .updateTable('_jobs')
          .set((eb) => ({
            state: 'queued',
            attempts: eb('attempts', '-', 1),
            lease_until: null,
            updated: now,
          }))
          .where('id', '=', job.id)
          .where('state', '=', 'running')
          .where('attempts', '=', job.attempt),
      );
    },

    /**
     * Jobs whose lease ran out (their worker crashed or hung) go back to the queue, or are
     * dead when that was their last attempt. `all`: every running job, whatever its lease
     * (SQLite at start: the one process that held them is gone).
     */
    async reclaimExpired(now: number, all = false): Promise<number> {
      const expired = (q: ReturnType<typeof base>) => (all ? q : q.where('lease_until', '<=', now));
      const base = () => t().updateTable('_jobs').where('state', '=', 'running');
      const dead = await db.run(
        expired(base())
          .where((eb) => eb('attempts', '>=', eb.ref('max_attempts')))
          .set({
            state: 'dead',
            lease_until: null,
            finished: now,
            updated: now,
            last_error: 'lease expired',
          }),
      );
      const again = await db.run(
        expired(base()).set({
          state: 'queued',
          run_at: now,
          lease_until: null,
          updated: now,
          last_error: 'lease expired',
        }),
      );
      return dead.changes + again.changes;
    },

    /**
     * The earliest time something may become claimable: a ready job of `names` coming due,
     * or a running job's lease running out (undefined: nothing pending).
     */
    async nextDue(names: readonly string[]): Promise<number | undefined> {
      const ready = names.length
        ? await db.first(
            t()
              .selectFrom('_jobs')
              .select((eb) => eb.fn.min('run_at').as('at'))
              .where('state', 'in', READY)
              .where('name', 'in', [...names]),
          )
        : undefined;
      const lease = await db.first(
        t()
          .selectFrom('_jobs')
          .select((eb) => eb.fn.min('lease_until').as('at'))
          .where('state', '=', 'running'),
      );
      const times = [ready?.at, lease?.at].filter((v) => v !== null && v !== undefined).map(Number);
      return times.length ? Math.min(...times) : undefined;
    },

    /** One job by id. */
    get: (id: string): Promise<JobRow | undefined> =>
      db.first(t().selectFrom('_jobs').selectAll().where('id', '=', id)),

    /** A page of jobs, newest first, filtered by state and name. */
    async list(opts: {
      state?: JobState | undefined;
      name?: string | undefined;
      page: number;
      perPage: number;
    }): Promise<{ rows: JobRow[]; total: number }> {
      let q = t().selectFrom('_jobs');
      if (opts.state) q = q.where('state', '=', opts.state);
      if (opts.name) q = q.where('name', '=', opts.name);
      const rows = await db.all(
        q
          .selectAll()
          .orderBy('created', 'desc')
          .orderBy('id', 'desc')
          .limit(opts.perPage)
          .offset((opts.page - 1) * opts.perPage),
      );
      const count = await db.first(q.select((eb) => eb.fn.countAll<number>().as('n')));
      return { rows, total: Number(count?.n ?? 0) };
    },

    /** Queues a failed, dead or completed job again now, with its attempts reset. */
    async requeue(tx: Transaction, id: string, now: number): Promise<boolean> {
      const r = await tx.run(
        t()
          .updateTable('_jobs')
          .set({ state: 'queued', attempts: 0, run_at: now, lease_until: null, finished: null, updated: now })
          .where('id', '=', id)
          .where('state', 'in', ['failed', 'dead', 'completed']),
      );
      return r.changes === 1;
    },

    /** Deletes a job (a running one's worker then finds it gone and writes nothing). */
    async remove(id: string): Promise<boolean> {
      return (await db.run(t().deleteFrom('_jobs').where('id', '=', id))).changes === 1;
    },

    /** Completed jobs finished before `before` are deleted (dead ones stay until deleted). */
    async pruneCompleted(before: number): Promise<number> {
      const r = await db.run(
        t().deleteFrom('_jobs').where('state', '=', 'completed').where('finished', '<', before),
      );
      return r.changes;
    },

    /** How many jobs are in each state (the queue depth metrics). */
    async depth(): Promise<Map<JobState, number>> {
      const rows = await db.all(
        t()
          .selectFrom('_jobs')
          .select((eb) => ['state', eb.fn.countAll<number>().as('n')])
          .groupBy('state'),
      );
      const out = new Map<JobState, number>(JOB_STATES.map((s) => [s, 0]));
      for (const r of rows) out.set(r.state as JobState, Number(r.n));
      return out;
    },
  };
}

export type JobStore = ReturnType<typeof createJobStore>;
