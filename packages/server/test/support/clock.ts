import type { Clock } from '../../src/tools/clock.ts';

/** A clock that moves only when told: time-based behaviour tested without sleeping. */
export interface ManualClock extends Clock {
  /**
   * Moves time forward by `ms`, running each periodic task as often as it came due (in
   * time order) and waiting for the promise each run returns.
   */
  advance(ms: number): Promise<void>;
}

/** A manual clock starting at `start` (epoch ms; by default the real now, so stored dates look current). */
export function createManualClock(start: number = Date.now()): ManualClock {
  let now = start;
  const tasks = new Set<{ at: number; ms: number; task: () => unknown }>();
  return {
    now: () => now,
    every(ms, task) {
      const entry = { at: now + ms, ms, task };
      tasks.add(entry);
      return () => tasks.delete(entry);
    },
    async advance(ms) {
      const until = now + ms;
      for (;;) {
        let next: { at: number; ms: number; task: () => unknown } | undefined;
        for (const t of tasks) if (t.at <= until && (!next || t.at < next.at)) next = t;
        if (!next) break;
        now = next.at;
        next.at += next.ms;
        await next.task();
      }
      now = until;
    },
  };
}
