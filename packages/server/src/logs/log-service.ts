import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { errors } from '../errors/codes.ts';
import type { Logger } from '../observability/logger.ts';
import type { ListParams, ListResult } from '../records/list.ts';
import { createBatchBuffer } from '../tools/batch-buffer.ts';
import type { Clock } from '../tools/clock.ts';
import { newRecordId } from '../tools/id.ts';
import { formatDate } from '../tools/time.ts';
import { createLogStore, type LogModel, type LogsStatsItem } from './log-store.ts';
import { type RequestFacts, requestEntry } from './request-entry.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** PocketBase caps a stored message at 8000 characters. */
const MAX_MESSAGE = 8000;

/** How log writes are batched (PocketBase: batches of 200, written every 3 s). */
export interface LogWriteOptions {
  /** Buffered entries are written at least this often. */
  flushEveryMs?: number;
  /** A batch this large is written at once. */
  batchSize?: number;
  /** Most entries waiting while the database is slow; beyond, the oldest are dropped. */
  maxBuffered?: number;
}

/**
 * The app's log: entries go to a buffer and are written in batches off the request path
 * (`flush` every `flushEveryMs`, `close` on shutdown writes the rest). It reads `config`
 * on every call, so settings changes apply at once: `logsMaxDays` 0 stores nothing (as in
 * PocketBase), entries below `logsMinLevel` are not stored, `logsLogIp`/`logsLogAuthId`
 * decide what a request entry records.
 */
export function createLogService(deps: {
  db: Database;
  config: Config;
  clock: Clock;
  logger: Logger;
  options?: LogWriteOptions;
}) {
  const { config, clock, logger } = deps;
  const store = createLogStore(deps.db);
  const opts = deps.options ?? {};
  let reportedDrops = 0;
  const buffer = createBatchBuffer<LogModel>({
    write: store.insert,
    batchSize: opts.batchSize ?? 200,
    maxBuffered: opts.maxBuffered ?? 10_000,
    onError: (err, lost) => logger.warn({ err, lost }, 'writing log entries failed'),
  });
  let cancelFlush: (() => void) | undefined;

  /** Writes what is buffered; says once per flush how many entries a full buffer dropped. */
  async function flush(): Promise<void> {
    await buffer.flush();
    const { dropped } = buffer.stats;
    if (dropped > reportedDrops) {
      logger.warn({ dropped: dropped - reportedDrops }, 'log buffer full: oldest entries dropped');
      reportedDrops = dropped;
    }
  }

  /** The newest `created` that retention no longer keeps: everything until now when `logsMaxDays` is 0. */
  const cutoff = () => formatDate(new Date(clock.now() - Math.max(0, config.logsMaxDays) * DAY_MS));

  function add(level: number, message: string, data: Record<string, unknown>): void {
    if (config.logsMaxDays <= 0 || level < config.logsMinLevel) return;
    const text = message.length > MAX_MESSAGE ? message.slice(0, MAX_MESSAGE) : message;
    buffer.push({
      id: newRecordId(),
      created: formatDate(new Date(clock.now())),
      level,
      message: text,
      data,
    });
  }

  return {
    /** Queues an entry (a slog level: -4 debug, 0 info, 4 warn, 8 error); never waits or throws. */
    add,

    /** Queues a finished request's entry (PocketBase's request log data). */
    request(facts: RequestFacts): void {
      if (config.logsMaxDays <= 0) return;
      const e = requestEntry(facts, {
        logIp: config.logsLogIp,
        logAuthId: config.logsLogAuthId,
      });
      add(e.level, e.message, e.data);
    },

    list: (params: ListParams): Promise<ListResult> => store.list(params),

    async view(id: string): Promise<LogModel> {
      const log = id ? await store.find(id) : undefined;
      if (!log) throw errors.notFound();
      return log;
    },

    stats: (filter: string | undefined): Promise<LogsStatsItem[]> => store.stats(filter),

    /**
     * Deletes the entries older than `logsMaxDays` (all of them when it is 0); returns how
     * many. Runs periodically (`start`) and is meant for the cron registry.
     */
    async pruneLogs(): Promise<number> {
      return store.deleteUntil(cutoff());
    },

    /**
     * After the `logs` settings changed: deletes the entries they no longer keep (older
     * than `logsMaxDays`, below `logsMinLevel`), as PocketBase does on a settings reload.
     */
    async reapplySettings(): Promise<number> {
      await buffer.flush();
      return store.deleteUntilOrBelow(cutoff(), config.logsMinLevel);
    },

    /** Deletes every entry (the SDK's `logs.truncate()`), buffered ones included. */
    async truncate(): Promise<void> {
      await buffer.flush();
      await store.deleteAll();
    },

    flush,

    /** Counters of the write buffer (dropped and failed entries). */
    get writeStats() {
      return buffer.stats;
    },

    start(): void {
      // a real timer, not the app's clock: when to write is transport, not time the app reasons about
      if (cancelFlush) return;
      const timer = setInterval(() => void flush(), opts.flushEveryMs ?? 1000);
      timer.unref();
      cancelFlush = () => clearInterval(timer);
    },

    /** Stops the timer and writes what is left; later entries are dropped. */
    async stop(): Promise<void> {
      cancelFlush?.();
      cancelFlush = undefined;
      await buffer.close();
    },
  };
}

export type LogService = ReturnType<typeof createLogService>;
