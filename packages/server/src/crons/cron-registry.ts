import { Cron } from 'croner';
import { NotFoundError } from '../errors/api-error.ts';
import type { Logger } from '../observability/logger.ts';
import { type Clock, SYSTEM_CLOCK } from '../tools/clock.ts';

/** The longest the registry sleeps before looking at its jobs again (timers drift; clocks jump). */
const MAX_SLEEP_MS = 60_000;

/** One registered job, as `GET /api/crons` lists it. */
export interface CronJobInfo {
  id: string;
  expression: string;
}

/**
 * Decides whether this node runs a job's scheduled tick (`at`, epoch ms): with several
 * nodes on one PostgreSQL only the first to claim a tick runs it (see cron-leases.ts).
 * Manual runs (`run(id)`) never ask.
 */
export type CronClaim = (id: string, at: number) => Promise<boolean>;

/** The last tick of a job any node claimed (epoch ms), undefined when none ever did. */
export type CronLastTick = (id: string) => Promise<number | undefined>;

/** How many ticks a catch-up steps through at most to find the latest missed one. */
const CATCH_UP_STEPS = 100_000;

interface Entry {
  id: string;
  expression: string;
  cron: Cron;
  fn: () => Promise<void> | void;
  next: number | undefined;
  running: Promise<void> | undefined;
  /** Runs a tick missed while every node was down, once, at start (user crons). */
  catchUp: boolean;
}

/**
 * The app's named periodic jobs (PocketBase's cron registry): maintenance jobs
 * (`__fbChangesCleanup__`, `__fbAutoBackup__`, …) and user crons (`cron()` exports). Schedules are
 * cron expressions read by `croner`, in `timezone` (default UTC). One timer on `clock`
 * sleeps until the earliest due job (at most a minute), so a manual clock drives them in
 * tests, and a long jump of it costs one wake-up per minute at most; a job still
 * running when its next tick comes is not started twice.
 *
 * @example
 * const crons = createCronRegistry({ logger });
 * crons.add('__fbChangesCleanup__', '*\/10 * * * *', () => changes.prune().then(() => {}));
 * crons.start();
 */
export function createCronRegistry(deps: {
  clock?: Clock;
  logger: Logger;
  /** The default time zone of jobs added without one (config `cronTimezone`). */
  timezone?: string;
  claim?: CronClaim;
  lastTick?: CronLastTick;
}) {
  const clock = deps.clock ?? SYSTEM_CLOCK;
  const { logger } = deps;
  const entries = new Map<string, Entry>();
  let cancelTick: (() => void) | undefined;

  function nextAfter(cron: Cron, ms: number): number | undefined {
    return cron.nextRun(new Date(ms))?.getTime();
  }

  function execute(e: Entry): Promise<void> {
    const run: Promise<void> = Promise.resolve()
      .then(() => e.fn())
      .finally(() => {
        if (e.running === run) e.running = undefined;
      });
    e.running = run;
    return run;
  }

  async function scheduled(e: Entry, at: number): Promise<void> {
    if (e.running) return;
    try {
      if (deps.claim && !(await deps.claim(e.id, at))) return;
      await execute(e);
    } catch (err) {
      logger.error({ err, cron: e.id }, 'cron job failed');
    }
  }

  let started = false;
  let catchingUp: Promise<void> = Promise.resolve();

  /**
   * Runs the latest tick between the last one claimed and now, once per cluster (the claim
   * decides), when there is one; a job no node ever claimed only gets its first claim as
   * the point to catch up from next time.
   */
  async function catchUp(e: Entry): Promise<void> {
    if (!deps.claim || !deps.lastTick) return;
    try {
      const now = clock.now();
      const last = await deps.lastTick(e.id);
      if (last === undefined) {
        await deps.claim(e.id, now);
        return;
      }
      let missed: number | undefined;
      let t = nextAfter(e.cron, last);
      for (let i = 0; t !== undefined && t <= now && i < CATCH_UP_STEPS; i++) {
        missed = t;
        t = nextAfter(e.cron, t);
      }
      if (missed === undefined || e.running || !(await deps.claim(e.id, missed))) return;
      logger.info({ cron: e.id, tick: new Date(missed).toISOString() }, 'cron: running a missed tick');
      await execute(e);
    } catch (err) {
      logger.error({ err, cron: e.id }, 'cron catch-up failed');
    }
  }

  const queueCatchUp = (e: Entry) => {
    const run = catchingUp.then(() => catchUp(e));
    catchingUp = run;
  };

  /** Sleeps until the earliest due job (at most a minute), on `clock`. */
  function arm(): void {
    cancelTick?.();
    cancelTick = undefined;
    if (!started) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const e of entries.values()) if (e.next !== undefined && e.next < earliest) earliest = e.next;
    const wait = Math.min(MAX_SLEEP_MS, Math.max(1, earliest - clock.now()));
    cancelTick = clock.every(wait, tick);
  }

  async function tick(): Promise<void> {
    const now = clock.now();
    const due: Promise<void>[] = [];
    for (const e of entries.values()) {
      if (e.next === undefined || e.next > now) continue;
      const at = e.next;
      e.next = nextAfter(e.cron, now);
      due.push(scheduled(e, at));
    }
    arm();
    await Promise.all(due);
  }

  return {
    /**
     * Registers (or replaces) job `id` on a cron expression (5 or 6 fields, or a macro such
     * as `@daily`); throws on an invalid expression or time zone.
     */
    add(
      id: string,
      expression: string,
      fn: () => Promise<void> | void,
      opts: { timezone?: string; catchUp?: boolean } = {},
    ): void {
      const timezone = opts.timezone ?? deps.timezone ?? 'UTC';
      // paused: croner only parses and computes run times, the registry's tick runs jobs
      const cron = new Cron(expression, { timezone, paused: true });
      const previous = entries.get(id);
      entries.set(id, {
        id,
        expression,
        cron,
        fn,
        next: nextAfter(cron, clock.now()),
        running: previous?.running,
        catchUp: opts.catchUp === true,
      });
      if (started && opts.catchUp) queueCatchUp(entries.get(id)!);
      arm();
    },
    /** Unregisters a job (a run in progress finishes); unknown ids are ignored. */
    remove(id: string): void {
      entries.delete(id);
      arm();
    },
    /** The registered jobs by id, the app's own (`__fb…`) last (as PocketBase lists `__pb…`). */
    list(): CronJobInfo[] {
      const rank = (id: string) => (id.startsWith('__fb') ? 1 : 0);
      return [...entries.values()]
        .map((e) => ({ id: e.id, expression: e.expression }))
        .sort((a, b) => rank(a.id) - rank(b.id) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },
    /** Runs a job now, on this node (waits for it and rethrows its failure); NotFound for an unknown id. */
    async run(id: string): Promise<void> {
      const e = entries.get(id);
      if (!e) throw new NotFoundError('Missing or invalid cron job.');
      if (e.running) await e.running.catch(() => undefined);
      await execute(e);
    },
    /** Starts scheduling (app start), and the catch-up of the jobs added with `catchUp`. */
    start(): void {
      started = true;
      for (const e of entries.values()) if (e.catchUp) queueCatchUp(e);
      arm();
    },
    /** Resolves once the catch-ups queued so far are done (tests; start() does not wait for them). */
    caughtUp: (): Promise<void> => catchingUp,
    /** Stops scheduling and waits for running jobs. */
    async stop(): Promise<void> {
      started = false;
      arm();
      await catchingUp;
      await Promise.all([...entries.values()].map((e) => e.running?.catch(() => undefined)));
    },
  };
}

export type CronRegistry = ReturnType<typeof createCronRegistry>;
