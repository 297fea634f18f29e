import { CHANGES_CHANNEL, type Database, type StopListening, type Transaction } from '../db/database.ts';
import type { Logger } from '../observability/logger.ts';
import type { Clock } from '../tools/clock.ts';
import { formatDate } from '../tools/time.ts';
import { type ChangeFeed, type ChangeHandler, createChangeFeed, type FollowOptions } from './change-feed.ts';
import { type ChangeRow, createChangeStore, type NewChange } from './change-store.ts';

export type { ChangeHandler, FollowOptions } from './change-feed.ts';
export type { ChangeRow, NewChange } from './change-store.ts';

/** What the change log is built from (wired in app.ts). */
export interface ChangeLogDeps {
  db: Database;
  logger: Logger;
  clock: Clock;
  /** How long rows are kept (and realtime can replay), unless a durable consumer still needs them. */
  retentionHours: number;
}

/**
 * A consumer's subscription: calling it unsubscribes (resolves once no handler runs).
 * `ready` resolves once its starting position is known.
 */
export interface Following {
  (): Promise<void>;
  readonly ready: Promise<void>;
  /** The last seq handed to the handler and resolved. */
  readonly position: number;
}

/**
 * The change log, the spine of after-commit work: the record writer appends one row per
 * changed record inside its transaction; after commit the log wakes this node's consumers
 * and NOTIFYs the other nodes (PostgreSQL), whose consumers read the log by seq, each with
 * its own cursor, in commit order. Durable consumers keep their cursor in
 * `_change_cursors`; pruning keeps every row one of them has not read.
 *
 * @example
 * const stop = changes.follow('webhooks', async (rows) => {
 *   for (const row of rows) await deliver(row); // idempotent: at least once, by row.seq
 * }, { durable: true });
 */
export function createChangeLog({ db, logger, clock, retentionHours }: ChangeLogDeps) {
  const store = createChangeStore(db);
  const feeds = new Map<string, ChangeFeed>();
  // rows of one transaction (savepoints included) share its id; the first row fetches it
  const txIds = new WeakMap<Transaction, number>();
  // the NOTIFY payload is the newest seq this node appended; our own come back to us and
  // are ignored (we woke our consumers already)
  let lastAppended = 0;
  // the newest seq known committed (read at start, then every local commit and every
  // position a consumer reached, other nodes' changes included): where an
  // in-memory `now` consumer that starts while the log runs begins
  let lastCommitted = 0;
  const txMax = new WeakMap<Transaction, number>();
  const sent = new Set<string>();
  const now = () => formatDate(new Date(clock.now()));
  const cutoff = () => formatDate(new Date(clock.now() - retentionHours * 3_600_000));
  let started = false;
  let stopListening: StopListening | undefined;
  let wakeQueued = false;
  let notifying: Promise<void> | undefined;
  let notifyAgain = false;

  function wakeAll(): void {
    for (const feed of feeds.values()) void feed.wake();
  }

  async function notifyOthers(): Promise<void> {
    do {
      notifyAgain = false;
      const payload = String(lastAppended);
      if (sent.size > 1000) sent.clear(); // some never came back (a lost LISTEN connection)
      sent.add(payload);
      await db.bus
        .notify(CHANGES_CHANNEL, payload)
        .catch((err: unknown) => logger.error({ err }, 'change log: NOTIFY failed'));
    } while (notifyAgain);
  }

  /** After a local commit: one wake-up (and one NOTIFY in flight) per turn, not per row. */
  function committed(): void {
    if (wakeQueued) return;
    wakeQueued = true;
    queueMicrotask(() => {
      wakeQueued = false;
      wakeAll();
      if (notifying) notifyAgain = true;
      else
        notifying = notifyOthers().finally(() => {
          notifying = undefined;
        });
    });
  }

  async function prune(before: string = cutoff()): Promise<number> {
    return store.prune(before);
  }

  return {
    /**
     * Appends a change inside the writing transaction (one INSERT); once that commits,
     * consumers are woken. Called by the record writer only.
     */
    async append(tx: Transaction, change: NewChange): Promise<void> {
      const known = txIds.get(tx.outermost);
      const { seq, txId } = await store.append(tx, change, now(), known);
      lastAppended = Math.max(lastAppended, seq);
      const outer = tx.outermost;
      txMax.set(outer, Math.max(txMax.get(outer) ?? 0, seq));
      if (known !== undefined) return;
      txIds.set(outer, txId);
      outer.afterCommit(() => {
        lastCommitted = Math.max(lastCommitted, txMax.get(outer) ?? seq);
        committed();
      });
    },

    /**
     * Hands every committed change after the consumer's position to `handler`, in seq
     * order, batch by batch; the next batch waits for the handler. `name` identifies the
     * consumer (and its durable cursor); one consumer per name at a time.
     */
    follow(name: string, handler: ChangeHandler, options: FollowOptions = {}): Following {
      if (feeds.has(name)) throw new Error(`change-log consumer ${name} is already following`);
      if (started && !options.durable && (options.from ?? 'now') === 'now' && options.startAt === undefined)
        options = { ...options, startAt: lastCommitted };
      const feed = createChangeFeed({
        name,
        handler,
        options,
        store,
        order: db.changeOrder,
        logger,
        now,
        seen: (seq) => {
          lastCommitted = Math.max(lastCommitted, seq);
        },
      });
      feeds.set(name, feed);
      const ready = feed.ready();
      ready.catch((err: unknown) =>
        logger.error({ err, consumer: name }, 'change log: consumer start failed'),
      );
      if (started)
        void ready.then(
          () => feed.wake(),
          () => feed.wake(),
        );
      const unsubscribe = async () => {
        if (feeds.get(name) === feed) feeds.delete(name);
        await feed.stop();
      };
      return Object.defineProperties(unsubscribe, {
        ready: { value: ready },
        position: { get: () => feed.position },
      }) as Following;
    },

    /** Drops a durable consumer that is gone for good: its cursor no longer holds rows back. */
    async forget(name: string): Promise<void> {
      const feed = feeds.get(name);
      feeds.delete(name);
      await feed?.stop();
      await store.dropCursor(name);
    },

    /**
     * Deletes rows older than the retention (or `before`, a stored date) that every durable
     * consumer has read; returns how many.
     */
    prune,

    /** The newest seq (0 when the log is empty). */
    lastSeq: store.lastSeq,

    /** Rows after `seq` as they are now, oldest first: for replays up to a known seq. */
    after: (seq: number, limit: number): Promise<ChangeRow[]> => store.after(seq, limit),

    /**
     * The oldest seq realtime may replay: the first row within the retention (rows a
     * durable consumer keeps longer are not replayed); 0 when the log is empty.
     */
    async firstReplayable(): Promise<number> {
      const first = await store.firstSince(cutoff());
      if (first !== undefined) return first;
      const last = await store.lastSeq();
      return last === 0 ? 0 : last + 1;
    },

    /** Starts listening for other nodes and the consumers (pruning is the `__fbChangesCleanup__` cron). */
    async start(): Promise<void> {
      lastCommitted = Math.max(lastCommitted, await store.lastSeq());
      started = true;
      stopListening = await db.bus.listen(
        CHANGES_CHANNEL,
        (payload) => {
          if (!sent.delete(payload)) wakeAll();
        },
        wakeAll,
      );
      wakeAll();
    },

    /** Stops listening and every consumer (waiting for running handlers). */
    async stop(): Promise<void> {
      started = false;
      await stopListening?.();
      await Promise.all([...feeds.values()].map((f) => f.stop()));
      feeds.clear();
      await notifying;
    },
  };
}

/** The change log (see createChangeLog). */
export type ChangeLog = ReturnType<typeof createChangeLog>;
