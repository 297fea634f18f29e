import type { Clock } from './clock.ts';

interface Window {
  start: number;
  used: number;
  ends: number;
}

/** What one counted request learns: allowed or not, and when its window ends. */
export interface WindowHit {
  allowed: boolean;
  /** Whole seconds until the window resets (for `Retry-After`). */
  retryAfter: number;
}

/**
 * Fixed-window request counters, as PocketBase's rate limiter counts: a key may make
 * `max` requests per `seconds`-long window, which starts at its first request. In memory
 * (one node), O(1) per hit; memory is bounded: expired windows at the head of the
 * insertion order are dropped as new ones come, and past `maxKeys` the oldest go.
 */
export function createFixedWindows(opts: { clock: Clock; maxKeys?: number }) {
  const windows = new Map<string, Window>();
  const maxKeys = opts.maxKeys ?? 100_000;

  function sweep(now: number): void {
    // a new window goes to the end: the head holds the oldest ones, check a couple per hit
    for (let i = 0; i < 2; i++) {
      const first = windows.entries().next();
      if (first.done || first.value[1].ends > now) break;
      windows.delete(first.value[0]);
    }
    while (windows.size > maxKeys) windows.delete(windows.keys().next().value as string);
  }

  return {
    /** Counts one request of `key` against `max` per `seconds`. */
    hit(key: string, max: number, seconds: number): WindowHit {
      const now = opts.clock.now();
      let w = windows.get(key);
      if (!w || now >= w.ends) {
        windows.delete(key);
        w = { start: now, used: 0, ends: now + seconds * 1000 };
        windows.set(key, w);
        sweep(now);
      }
      const retryAfter = Math.max(1, Math.ceil((w.ends - now) / 1000));
      if (w.used >= max) return { allowed: false, retryAfter };
      w.used++;
      return { allowed: true, retryAfter };
    },
    /** Forgets every window (the rules changed). */
    clear(): void {
      windows.clear();
    },
    /** How many windows are held (for tests of the bound). */
    get size(): number {
      return windows.size;
    },
  };
}
