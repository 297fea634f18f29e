/** What a batch buffer does with its items, and how much it may hold. */
export interface BatchBufferOptions<T> {
  /** Stores one batch; a rejection loses that batch (told to `onError`), later ones go on. */
  write(items: T[]): Promise<void>;
  /** Most items per `write`; a buffer this full starts a flush by itself. */
  batchSize: number;
  /** Most items waiting; a push beyond drops the oldest one (counted in `dropped`). */
  maxBuffered: number;
  onError(err: unknown, lost: number): void;
}

/** Counters of a batch buffer, for logs and tests. */
export interface BatchBufferStats {
  buffered: number;
  written: number;
  /** Dropped because the buffer was full (the writer too slow) or already closed. */
  dropped: number;
  /** Lost in failed writes. */
  failed: number;
}

/**
 * Collects items so they are written in batches, away from the code that produces them:
 * `push` never waits and never throws. Writes run one at a time; while one runs, new items
 * wait (at most `maxBuffered`, the oldest dropped first), so a slow store costs memory up
 * to that bound and nothing else. Whoever owns it calls `flush` on a timer and `close` on
 * shutdown (which writes what is left).
 *
 * @example
 * const buffer = createBatchBuffer({ write: (rows) => store.insert(rows), batchSize: 200, maxBuffered: 10_000, onError })
 * buffer.push(row); // later: await buffer.flush()
 */
export function createBatchBuffer<T>(opts: BatchBufferOptions<T>) {
  let items: T[] = [];
  let running: Promise<void> | undefined;
  let closed = false;
  const stats: BatchBufferStats = { buffered: 0, written: 0, dropped: 0, failed: 0 };

  async function drain(): Promise<void> {
    while (items.length > 0) {
      const batch = items.length <= opts.batchSize ? items : items.slice(0, opts.batchSize);
      items = batch === items ? [] : items.slice(opts.batchSize);
      try {
        await opts.write(batch);
        stats.written += batch.length;
      } catch (err) {
        stats.failed += batch.length;
        opts.onError(err, batch.length);
      }
    }
  }

  /** Writes everything buffered so far (after the write in progress, if any). Never rejects. */
  function flush(): Promise<void> {
    if (running) return running.then(() => (items.length > 0 ? flush() : undefined));
    if (items.length === 0) return Promise.resolve();
    running = drain().finally(() => {
      running = undefined;
    });
    return running;
  }

  return {
    push(item: T): void {
      if (closed) {
        stats.dropped++;
        return;
      }
      if (items.length >= opts.maxBuffered) {
        items.shift();
        stats.dropped++;
      }
      items.push(item);
      if (items.length >= opts.batchSize && !running) void flush();
    },
    flush,
    /** Writes what is left; later pushes are dropped (and counted). */
    close(): Promise<void> {
      closed = true;
      return flush();
    },
    get stats(): BatchBufferStats {
      return { ...stats, buffered: items.length };
    },
  };
}

export type BatchBuffer<T> = ReturnType<typeof createBatchBuffer<T>>;
