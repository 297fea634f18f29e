import type { Clock } from '../tools/clock.ts';

/** Counts events per key in a sliding time window. */
export type RateLimiter = ReturnType<typeof createRateLimiter>;

/** An attempt counted when it arrived; `release` takes it back (the attempt succeeded). */
export interface Reservation {
  release(): void;
}

/**
 * An in-memory sliding-window counter (per process; enough for one node). `hit` records
 * an event, `exceeded` tells whether a key has reached `limit` events in the last
 * `windowMs`; `reset` forgets a key (e.g. after a successful sign-in). `reserve` counts an
 * attempt as it arrives, so parallel attempts cannot all pass the check before the first
 * failure is recorded.
 *
 * With `backoffMs`, a key at its limit is not shut out for the whole window: one attempt
 * is let through `backoffMs` after the last one, the wait doubling with every further
 * attempt (capped at the window). A guesser gains a few tries an hour; an owner typing
 * the right password gets in after the wait instead of being refused until the window ends.
 */
export function createRateLimiter(opts: {
  limit: number;
  windowMs: number;
  clock: Clock;
  maxKeys?: number;
  backoffMs?: number;
}) {
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

  /** The time until the key may try again (0: now). */
  const waitOf = (list: number[], now: number): number => {
    const over = list.length - opts.limit;
    if (over < 0) return 0;
    if (!opts.backoffMs) return list[0]! + opts.windowMs - now;
    const delay = Math.min(opts.windowMs, opts.backoffMs * 2 ** over);
    return Math.max(0, list[list.length - 1]! + delay - now);
  };

  const hit = (key: string, now: number): void => {
    const list = recent(key, now);
    if (!events.has(key)) {
      // bounded memory: drop the oldest key when full
      if (events.size >= maxKeys) events.delete(events.keys().next().value as string);
      events.set(key, list);
    }
    list.push(now);
  };

  return {
    exceeded(key: string): boolean {
      const now = opts.clock.now();
      return waitOf(recent(key, now), now) > 0;
    },

    hit(key: string): void {
      hit(key, opts.clock.now());
    },

    /** Counts an attempt now; undefined (nothing counted) when the key must wait. */
    reserve(key: string): Reservation | undefined {
      const now = opts.clock.now();
      if (waitOf(recent(key, now), now) > 0) return undefined;
      hit(key, now);
      return {
        release() {
          const list = events.get(key);
          const i = list?.lastIndexOf(now) ?? -1;
          if (i >= 0) list!.splice(i, 1);
        },
      };
    },

    reset(key: string): void {
      events.delete(key);
    },
  };
}

/**
 * Reserves one attempt on every `[limiter, key]` pair, or none (undefined) when any of
 * them must wait: all are checked before any is counted, in one synchronous step.
 */
export function reserveAll(slots: Array<[RateLimiter, string]>): Reservation | undefined {
  if (slots.some(([limiter, key]) => limiter.exceeded(key))) return undefined;
  const held = slots.map(([limiter, key]) => limiter.reserve(key)!);
  return {
    release() {
      for (const r of held) r.release();
    },
  };
}

/** The answer to a sign-in attempt over its limit (password, OTP and TOTP alike). */
export const TOO_MANY_FAILURES = 'Too many failed sign-in attempts, please try again later.';
