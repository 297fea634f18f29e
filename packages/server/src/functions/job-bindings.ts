import type { CronRegistry } from '../crons/cron-registry.ts';
import type { JobQueue } from '../jobs/job-queue.ts';
import type { JobRun } from '../jobs/worker-pool.ts';
import type { RecordService } from '../records/record-service.ts';
import { asSystem } from '../rules/viewer.ts';
import type { CallScope } from './context.ts';
import type { FunctionEntry } from './loader.ts';

export interface JobBindingDeps {
  jobs: JobQueue;
  crons: CronRegistry;
  records: RecordService;
  /** Runs an export's handler with a ctx for `scope`. */
  run(e: FunctionEntry, args: unknown, scope: CallScope): Promise<unknown>;
}

/** The queue name and cron id of an export: `module/export`. */
export const jobName = (e: FunctionEntry) => `${e.module}/${e.name}`;

/**
 * Binds `job` exports as queue definitions and `cron` exports as user crons of the
 * registry, and unbinds those a reload removed. A job runs with the system viewer, as an
 * action, or (option `transaction`) in one transaction that also marks it completed. A
 * cron runs as an action; the registry claims each tick once per cluster and catches up
 * a tick missed while every node was down. Throws a TypeError for bad options or a bad
 * cron expression (a start fails with it; a reload logs it).
 */
export function bindJobs(deps: JobBindingDeps) {
  let jobs = new Set<string>();
  let crons = new Set<string>();

  function handlerOf(e: FunctionEntry) {
    const fn = jobName(e);
    return async (run: JobRun) => {
      const job = { id: run.id, name: run.name, attempt: run.attempt, maxAttempts: run.maxAttempts };
      const viewer = asSystem();
      if (!e.job?.transaction) return deps.run(e, run.args, { kind: 'action', fn, viewer, job });
      return deps.records.inTransaction(async (r) => {
        const result = await deps.run(e, run.args, { kind: 'mutation', fn, viewer, tx: r, job });
        await run.complete(r.tx, result ?? null);
        return result;
      });
    };
  }

  return {
    update(entries: FunctionEntry[]): void {
      const nextJobs = new Set<string>();
      const nextCrons = new Set<string>();
      for (const e of entries) {
        const name = jobName(e);
        if (e.kind === 'job') {
          const { transaction: _, ...options } = e.job ?? {};
          deps.jobs.define(name, options, handlerOf(e));
          nextJobs.add(name);
        } else if (e.kind === 'cron' && e.schedule) {
          const fn = name;
          deps.crons.add(
            name,
            e.schedule.expression,
            () => deps.run(e, {}, { kind: 'action', fn, viewer: asSystem() }).then(() => undefined),
            { ...(e.schedule.timezone ? { timezone: e.schedule.timezone } : {}), catchUp: true },
          );
          nextCrons.add(name);
        }
      }
      for (const n of jobs) if (!nextJobs.has(n)) deps.jobs.undefine(n);
      for (const n of crons) if (!nextCrons.has(n)) deps.crons.remove(n);
      jobs = nextJobs;
      crons = nextCrons;
    },
    /** Unbinds everything (the function service stops). */
    stop(): void {
      for (const n of jobs) deps.jobs.undefine(n);
      for (const n of crons) deps.crons.remove(n);
      jobs = new Set();
      crons = new Set();
    },
  };
}
