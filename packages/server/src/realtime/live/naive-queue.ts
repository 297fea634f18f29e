/**
 * The naive baseline's re-runs (`npm run bench:live`, `LiveOptions.naive`): every item
 * asked for runs once per ask, in order, at most `concurrency` at once, never coalesced.
 * What the engine is measured against; never used outside the benchmark.
 */
export function createNaiveQueue<T>(concurrency: number, work: (item: T) => Promise<void>) {
  let items: T[] = [];
  let head = 0;
  let active = 0;

  function pump(): void {
    while (active < concurrency && head < items.length) {
      const item = items[head++]!;
      if (head > 4096 && head * 2 > items.length) {
        items = items.slice(head);
        head = 0;
      }
      active++;
      work(item)
        .catch(() => undefined) // the worker reports its own failures
        .finally(() => {
          active--;
          // SQLite reads are synchronous: without a turn of the event loop between runs,
          // a backlog of them would starve the HTTP server
          setImmediate(pump);
        });
    }
  }

  return {
    /** Asks for one more run of `item`. */
    push(item: T): void {
      items.push(item);
      pump();
    },
  };
}
