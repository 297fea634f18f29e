/**
 * Time as the app sees it, injected from app.ts so time-based code (expiry checks,
 * pruning cut-offs, rate-limit windows, periodic tasks) can be tested with a manual clock
 * instead of sleeps. Production uses `SYSTEM_CLOCK`.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch (like `Date.now()`). */
  now(): number;
  /**
   * Calls `task` every `ms` until the returned function is called. The timer never keeps
   * the process alive; `task`'s promise (if any) is for manual clocks to await.
   */
  every(ms: number, task: () => unknown): () => void;
}

/** The real clock: `Date.now()` and unref'd intervals. */
export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  every(ms, task) {
    const timer = setInterval(task, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
};
