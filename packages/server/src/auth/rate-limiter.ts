import type { Clock } from '../tools/clock.ts';

/** Counts events per key in a sliding time window. */
export type RateLimiter = ReturnType<typeof createRateLimiter>;

/**
 * An in-memory sliding-window counter (per process; enough for one node). `hit` records
 * an event, `exceeded` tells whether a key has reached `limit` events in the last
 * `windowMs`; `reset` forgets a key (e.g. after a successful sign-in).
 */
export function createRateLimiter(opts: { limit: number; windowMs: number; clock: Clock; maxKeys?: number }) {
  const events = new Map<string, number[]>();
  const maxKeys = opts.maxKeys ?? 100_000;

  const recent = (key: string, now: number): number[] => {
    const list = events.get(key);
    if (!list) return [];
    const cutoff = now - opts.windowMs;
    while (list.length && list[0]! <= cutoff) list.shift();
    if (!list.length) events.delete(key);
    return list;
  };

  return {
    exceeded(key: string): boolean {
      return recent(key, opts.clock.now()).length >= opts.limit;
    },

    hit(key: string): void {
      const now = opts.clock.now();
      const list = recent(key, now);
      if (!events.has(key)) {
        // bounded memory: drop the oldest key when full
        if (events.size >= maxKeys) events.delete(events.keys().next().value as string);
        events.set(key, list);
      }
      list.push(now);
    },

    reset(key: string): void {
      events.delete(key);
    },
  };
}
