/**
 * Re-runs of live queries, coalesced and bounded: an item scheduled while it waits is
 * not queued twice; one scheduled while it runs runs once more afterwards (the change may
 * have committed after that run read); at most `concurrency` run at once, so a burst of
 * changes costs a bounded amount of work at a time, whatever the number of queries.
 */
export function createRerunQueue<T extends object>(concurrency: number, work: (item: T) => Promise<void>) {
  const waiting = new Set<T>();
  const running = new Set<T>();
  const again = new Set<T>();
  let active = 0;
  let idle: { promise: Promise<void>; resolve: () => void } | undefined;

  function settle(item: T): void {
    running.delete(item);
    if (again.delete(item)) waiting.add(item);
    if (active === 0 && waiting.size === 0 && running.size === 0) {
      idle?.resolve();
      idle = undefined;
    }
  }

  function pump(): void {
    while (active < concurrency && waiting.size) {
      const item = waiting.values().next().value as T;
      waiting.delete(item);
      running.add(item);
      active++;
      work(item)
        .catch(() => undefined) // the worker reports its own failures
        .finally(() => {
          active--;
          settle(item);
          pump();
        });
    }
  }

  return {
    /** Asks for a run of `item` (coalesced with one already asked for). */
    schedule(item: T): void {
      if (running.has(item)) again.add(item);
      else waiting.add(item);
      pump();
    },

    /** Runs `item` now, outside the bound (a first run a client waits for); its error is the caller's. */
    async runNow(item: T): Promise<void> {
      running.add(item);
      try {
        await work(item);
      } finally {
        settle(item);
        pump();
      }
    },

    /** True while a run of `item` is asked for and has not started: a new change is covered by it. */
    pending(item: T): boolean {
      return waiting.has(item);
    },

    /** Drops a queued run (the item went away). */
    cancel(item: T): void {
      waiting.delete(item);
      again.delete(item);
    },

    /** Resolves once nothing runs or waits. */
    idle(): Promise<void> {
      if (active === 0 && waiting.size === 0 && running.size === 0) return Promise.resolve();
      if (!idle) {
        let resolve!: () => void;
        const promise = new Promise<void>((r) => {
          resolve = r;
        });
        idle = { promise, resolve };
      }
      return idle.promise;
    },
  };
}
