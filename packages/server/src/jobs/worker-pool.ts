import type { Transaction } from '../db/database.ts';
import type { Logger } from '../observability/logger.ts';
import type { Clock } from '../tools/clock.ts';
import { retryDelay } from './job-options.ts';
import type { ClaimedJob, JobStore } from './job-store.ts';

/** One attempt of a job, as its handler sees it. */
export interface JobRun {
  id: string;
  name: string;
  args: unknown;
  /** 1 for the first attempt. */
  attempt: number;
  maxAttempts: number;
  /**
   * Marks the job completed inside `tx`, the transaction that holds the job's effect: the
   * effect and the completion commit together or not at all (exactly-once effect). Throws
   * when this attempt no longer holds the job (its lease ran out), which rolls `tx` back.
   */
  complete(tx: Transaction, result?: unknown): Promise<void>;
}

/** Runs one attempt; what it resolves to is stored as the job's result. */
export type JobHandler = (job: JobRun) => unknown;

/** What the pool needs to know of the defined jobs, read at each claim. */
export interface PoolDefinitions {
  names(): readonly string[];
  limits(): ReadonlyMap<string, number>;
  handler(name: string): JobHandler | undefined;
}

/** An attempt's outcome, for the metrics. */
export interface JobOutcome {
  id: string;
  name: string;
  state: 'completed' | 'failed' | 'dead' | 'lost';
  /** Claim time minus the time the job became due (ms). */
  waitMs: number;
  runMs: number;
}

export interface WorkerPoolDeps {
  store: JobStore;
  clock: Clock;
  logger: Logger;
  definitions: PoolDefinitions;
  /** Jobs run at once on this node (config `jobs_workers`). */
  size: number;
  /** How often idle workers look for due jobs and expired leases anyway (delayed jobs, retries). */
  pollMs: number;
  leaseGraceMs: number;
  /** How long stop() waits for running jobs before it gives them back to the queue. */
  shutdownMs: number;
  onOutcome?: (o: JobOutcome) => void;
}

/**
 * The longest an idle node goes without looking at the queue: a safety net for a wake-up
 * lost with a dropped LISTEN connection (enqueues and claims anywhere wake it otherwise).
 */
const IDLE_CHECK_MS = 10 * 60_000;

class TimeoutError extends Error {
  constructor(ms: number) {
    super(`timed out after ${ms} ms`);
    this.name = 'JobTimeoutError';
  }
}

/**
 * This node's workers: claims as many due jobs as it has free workers, runs them, writes
 * each outcome (completed, failed → retry after backoff, dead), and claims again when a
 * worker frees up, a job is enqueued (`wake()`: this node's enqueues, other nodes' through
 * the bus) or the poll timer fires. A claim that finds nothing leaves the workers idle
 * until the next wake. Timeouts run on the injected clock.
 */
export function createWorkerPool(deps: WorkerPoolDeps) {
  const { store, clock, logger, definitions } = deps;
  const running = new Map<string, { job: ClaimedJob; done: Promise<void> }>();
  let started = false;
  let pumping = false;
  let again = false;
  let cancelPoll: (() => void) | undefined;
  let pollEvery = 0;
  // before this time a poll has nothing to find (what is pending comes due later); a wake
  // (an enqueue here or on another node) clears it, and it never lies further than IDLE_CHECK_MS
  let quietUntil = 0;
  // counts the events that may make a job claimable: a quiet time computed across one is stale
  let changes = 0;

  // completions of one turn of the event loop are written in one statement
  let batch: {
    job: ClaimedJob;
    result: unknown;
    done: (held: boolean) => void;
    fail: (e: unknown) => void;
  }[] = [];
  function completeSoon(job: ClaimedJob, result: unknown): Promise<boolean> {
    return new Promise((done, fail) => {
      if (!batch.length)
        setImmediate(() => {
          const flush = batch;
          batch = [];
          store.completeMany(flush, clock.now()).then(
            (held) => {
              for (const b of flush) b.done(held.has(b.job.id));
            },
            (err: unknown) => {
              for (const b of flush) b.fail(err);
            },
          );
        });
      batch.push({ job, result, done, fail });
    });
  }

  function settleTimeout(job: ClaimedJob): { promise: Promise<never>; cancel(): void } {
    let cancel: () => void = () => undefined;
    const promise = new Promise<never>((_, reject) => {
      cancel = clock.every(job.timeoutMs, () => {
        cancel();
        reject(new TimeoutError(job.timeoutMs));
      });
    });
    promise.catch(() => undefined);
    return { promise, cancel: () => cancel() };
  }

  async function runOne(job: ClaimedJob): Promise<void> {
    const started = clock.now();
    const waitMs = Math.max(0, job.claimedAt - job.runAt);
    let completedInTx = false;
    const report = (state: JobOutcome['state']) =>
      deps.onOutcome?.({ id: job.id, name: job.name, state, waitMs, runMs: clock.now() - started });
    const run: JobRun = {
      id: job.id,
      name: job.name,
      args: job.args,
      attempt: job.attempt,
      maxAttempts: job.maxAttempts,
      async complete(tx, result) {
        if (!(await store.complete(job, result, clock.now(), tx)))
          throw new Error(
            `job ${job.id}: attempt ${job.attempt} no longer holds the job (its lease ran out)`,
          );
        tx.afterCommit(() => {
          completedInTx = true;
        });
      },
    };
    const timeout = settleTimeout(job);
    try {
      const handler = definitions.handler(job.name);
      if (!handler) throw new Error(`no handler for job ${job.name} on this node`);
      const result = await Promise.race([Promise.resolve().then(() => handler(run)), timeout.promise]);
      if (completedInTx) return report('completed');
      report((await completeSoon(job, result)) ? 'completed' : 'lost');
    } catch (err) {
      if (completedInTx) return report('completed');
      const last = job.attempt >= job.maxAttempts;
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      const now = clock.now();
      const held = await store
        .fail(job, message, last ? undefined : now + retryDelay(job, job.attempt), now)
        .catch((e: unknown) => {
          logger.error({ err: e, job: job.id }, 'recording a job failure failed');
          return false;
        });
      logger.warn(
        { job: job.id, name: job.name, attempt: job.attempt, err },
        last ? 'job dead' : 'job failed',
      );
      report(held ? (last ? 'dead' : 'failed') : 'lost');
    } finally {
      timeout.cancel();
    }
  }

  /** The poll: expired leases back to the queue, then a claim, unless nothing can be due yet. */
  async function poll(): Promise<void> {
    if (clock.now() >= quietUntil) {
      try {
        await store.reclaimExpired(clock.now());
      } catch (err) {
        logger.error({ err }, 'reclaiming expired job leases failed');
      }
      await pump();
    }
    armPoll();
  }

  /**
   * Sets the poll timer to fire every `pollMs` while something may be due, and to sleep
   * until the next due time (at most IDLE_CHECK_MS) while nothing is: an idle node (or a
   * manual clock moved by days) costs a wake-up per due time, not one per poll interval.
   */
  function armPoll(): void {
    if (!started) return;
    const now = clock.now();
    const every = Math.max(deps.pollMs, Math.min(quietUntil, now + IDLE_CHECK_MS) - now);
    if (cancelPoll && every === pollEvery) return;
    cancelPoll?.();
    pollEvery = every;
    cancelPoll = clock.every(every, poll);
  }

  /** Claims for the free workers until none is free or nothing is due. */
  async function pump(): Promise<void> {
    if (pumping) {
      again = true;
      return;
    }
    pumping = true;
    try {
      do {
        again = false;
        while (started && running.size < deps.size) {
          const seen = changes;
          const jobs = await store.claim({
            limit: deps.size - running.size,
            now: clock.now(),
            names: definitions.names(),
            limits: definitions.limits(),
            leaseGraceMs: deps.leaseGraceMs,
          });
          if (!jobs.length) {
            const due = await store.nextDue(definitions.names());
            if (seen === changes)
              quietUntil = Math.min(due ?? Number.POSITIVE_INFINITY, clock.now() + IDLE_CHECK_MS);
            armPoll();
            break;
          }
          for (const job of jobs) {
            const done = runOne(job).finally(() => {
              running.delete(job.id);
              // its outcome (a retry time) changes what comes due next
              quietUntil = 0;
              changes++;
              armPoll();
              void pump();
            });
            running.set(job.id, { job, done });
          }
        }
      } while (again && started);
    } catch (err) {
      logger.error({ err }, 'claiming jobs failed');
    } finally {
      pumping = false;
    }
  }

  return {
    /** Look for due jobs now (an enqueue on this node or another). */
    wake(): void {
      quietUntil = 0;
      changes++;
      armPoll();
      if (started) void pump();
    },
    /** Starts claiming; `releaseAll`: every running job is an orphan (SQLite's one process restarted). */
    async start(opts: { releaseAll?: boolean } = {}): Promise<void> {
      await store.reclaimExpired(clock.now(), opts.releaseAll === true);
      started = true;
      armPoll();
      void pump();
    },
    /**
     * Stops claiming, waits up to `shutdownMs` for the running jobs, then gives the ones
     * still running back to the queue (their attempt not counted) so another node or the
     * next start runs them.
     */
    async stop(): Promise<void> {
      started = false;
      cancelPoll?.();
      cancelPoll = undefined;
      pollEvery = 0;
      const all = Promise.all([...running.values()].map((r) => r.done));
      let cancel: () => void = () => undefined;
      const waited = new Promise<void>((resolve) => {
        cancel = clock.every(deps.shutdownMs, () => resolve());
      });
      await Promise.race([all, waited]);
      cancel();
      const now = clock.now();
      for (const { job } of running.values()) await store.release(job, now).catch(() => undefined);
    },
    /** Jobs running on this node now. */
    active: (): number => running.size,
  };
}

export type WorkerPool = ReturnType<typeof createWorkerPool>;
