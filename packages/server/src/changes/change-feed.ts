import type { ChangeOrder, ChangeRead } from '../db/database.ts';
import type { Logger } from '../observability/logger.ts';
import { type ChangeRow, type ChangeStore, toChangeRow } from './change-store.ts';

/** Receives rows in seq order; a durable consumer's cursor moves once it resolved. */
export type ChangeHandler = (rows: ChangeRow[]) => void | Promise<void>;

/** How a consumer follows the log. */
export interface FollowOptions {
  /**
   * Keep the position in `_change_cursors`: after a restart the consumer resumes where it
   * stopped, a failing handler gets the same rows again after a backoff, and pruning
   * keeps what it has not read. Otherwise the position lives in memory and a failing
   * handler's rows are logged and skipped (realtime, in-process hooks).
   */
  durable?: boolean;
  /** Where a consumer without a stored position starts: after the newest row (`now`, the default) or at the oldest kept one. */
  from?: 'now' | 'start';
  /**
   * Strict seq order (the default for durable consumers): a row waits until no earlier seq
   * can still commit. Otherwise rows come as they become visible, and a slow transaction's
   * rows come when it commits, after later seqs (realtime: no one waits for a slow writer).
   */
  ordered?: boolean;
  /** Most rows per handler call (default 500). */
  batchSize?: number;
  /**
   * A starting position known without reading the log (set by the change log for in-memory
   * `now` consumers that start while it runs, so a change committed right after `follow`
   * returned is never taken for one from before it).
   */
  startAt?: number;
  /** First and longest wait before a failed handler (or read) is retried. */
  retryMinMs?: number;
  retryMaxMs?: number;
}

/** What a feed reads from and reports to. */
export interface ChangeFeedDeps {
  name: string;
  handler: ChangeHandler;
  options: FollowOptions;
  store: ChangeStore;
  order: ChangeOrder;
  logger: Logger;
  now(): string;
  /** Told each position the feed moves to (the log keeps the newest seq known committed). */
  seen?(seq: number): void;
}

// while a row is held back (an earlier seq may still commit), reads repeat on this timer:
// a transaction that rolls back, or never writes a change, sends no wake-up
const HELD_MIN_MS = 20;
const HELD_MAX_MS = 1000;
/** Most missing seqs an unordered feed watches for. */
const MAX_MISSING = 10_000;

/**
 * One consumer's pass over `_changes`, by seq, with its own cursor. A wake-up reads what is
 * new. On PostgreSQL a seq missing from a read may still commit (a slow transaction); it is
 * given up only once no writer that could commit it is left (see ChangeOrder), never after
 * a timeout. An ordered feed hands over the longest run of rows no missing seq can precede
 * and waits at the first one; an unordered feed hands over what it sees and watches the
 * missing seqs.
 */
export function createChangeFeed({
  name,
  handler,
  options,
  store,
  order,
  logger,
  now,
  seen,
}: ChangeFeedDeps) {
  const batch = options.batchSize ?? 500;
  const durable = options.durable ?? false;
  const ordered = options.ordered ?? durable;
  /** Unordered feeds: seqs below the position not seen yet (their transaction may still commit). */
  const missing = new Set<number>();
  const retryMin = options.retryMinMs ?? 100;
  const retryMax = options.retryMaxMs ?? 30_000;
  let position = 0;
  let initialised: Promise<void> | undefined;
  let sighting: Awaited<ReturnType<ChangeOrder['sightWriters']>>;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  /** Set while a failure's backoff runs: wake-ups wait for it (no busy loop). */
  let backingOff = false;
  let failures = 0;
  let holds = 0;

  async function init(): Promise<void> {
    const stored = durable ? await store.cursor(name) : undefined;
    position = stored ?? options.startAt ?? (options.from === 'start' ? 0 : await store.lastSeq());
    if (durable && stored === undefined) await store.saveCursor(name, position, now());
  }

  /** The starting position, read once (again after a failure). */
  function ready(): Promise<void> {
    initialised ??= init().catch((e: unknown) => {
      initialised = undefined;
      throw e;
    });
    return initialised;
  }

  /** True when the seqs up to `upTo` that a read did not show are permanent gaps. */
  const passable = (read: ChangeRead, upTo: number) =>
    read.settled(sighting) && (!sighting || upTo <= sighting.upTo);

  /** Reads once (unordered); true when a full batch came (read again). */
  async function readUnordered(): Promise<boolean> {
    const read = await order.read(position, batch, [...missing]);
    const rows: ChangeRow[] = [];
    let last = position;
    for (const r of read.rows) {
      const seq = Number(r.seq);
      if (seq <= last) {
        if (missing.delete(seq)) rows.push(toChangeRow(r));
        continue;
      }
      for (let m = last + 1; m < seq && missing.size < MAX_MISSING; m++) missing.add(m);
      last = seq;
      rows.push(toChangeRow(r));
    }
    if (missing.size) {
      for (const m of missing) if (passable(read, m)) missing.delete(m);
      // the next pass can tell whether what is still missing is gone for good
      if (missing.size && (!sighting || read.settled(sighting))) sighting = await order.sightWriters();
    }
    if (rows.length) await deliver(rows, last);
    return read.rows.length === batch;
  }

  /** Reads once (ordered); true when a full batch came (read again). Sets the held-back timer when needed. */
  async function readOrdered(): Promise<boolean> {
    const read = await order.read(position, batch);
    const rows: ChangeRow[] = [];
    let expected = position + 1;
    let held = false;
    for (const r of read.rows) {
      const seq = Number(r.seq);
      // a gap: pass it only when nobody who could still fill it is writing
      if (seq !== expected && !passable(read, seq - 1)) {
        held = true;
        break;
      }
      rows.push(toChangeRow(r));
      expected = seq + 1;
    }
    if (held && (!sighting || read.settled(sighting))) sighting = await order.sightWriters();
    if (rows.length) await deliver(rows, rows[rows.length - 1]!.seq);
    if (held) {
      if (rows.length) holds = 0;
      retryIn(Math.min(HELD_MAX_MS, HELD_MIN_MS * 2 ** holds++), false);
      return false;
    }
    holds = 0;
    return read.rows.length === batch;
  }

  /** Hands rows to the handler, then moves the position to `last`. */
  async function deliver(rows: ChangeRow[], last: number): Promise<void> {
    try {
      await handler(rows);
    } catch (err) {
      if (durable) throw err;
      logger.error(
        { err, consumer: name, from: rows[0]!.seq, to: last },
        'change-log consumer failed; rows skipped',
      );
    }
    if (durable) await store.saveCursor(name, last, now());
    position = last;
    seen?.(last);
  }

  function retryIn(ms: number, backoff: boolean): void {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    backingOff = backoff;
    timer = setTimeout(() => {
      timer = undefined;
      backingOff = false;
      void wake();
    }, ms);
    timer.unref();
  }

  async function pump(): Promise<void> {
    do {
      again = false;
      try {
        await ready();
        while (!stopped && (await (ordered ? readOrdered() : readUnordered()))) {}
        failures = 0;
      } catch (err) {
        if (stopped) return;
        logger.error({ err, consumer: name }, 'change-log consumer: delivery failed, retrying');
        retryIn(Math.min(retryMax, retryMin * 2 ** failures++), true);
        return;
      }
    } while (again && !stopped);
  }

  /** Reads whatever is new; concurrent calls fold into one more pass. */
  function wake(): Promise<void> {
    if (stopped || backingOff) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = pump().finally(() => {
      running = undefined;
    });
    return running;
  }

  return {
    name,
    wake,
    /** The last seq handled. */
    get position(): number {
      return position;
    },
    /** Resolves once the starting position is known (the consumer then hears every later change). */
    ready,
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

/** One consumer's feed (see createChangeFeed). */
export type ChangeFeed = ReturnType<typeof createChangeFeed>;
