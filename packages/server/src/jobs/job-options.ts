import { parseDuration } from '../tools/duration.ts';

/** How a job is retried and bounded, as `job({...})` or `jobs.define()` give it. */
export interface JobOptions {
  /** Retries after the first attempt fails (default 3): `retries + 1` attempts in all. */
  retries?: number;
  /** The wait before a retry: doubling from `backoffDelay`, the same each time, or this many ms each time. */
  backoff?: 'exponential' | 'fixed' | number;
  /** The first (or every, when fixed) wait before a retry (default '1s'). */
  backoffDelay?: number | string;
  /** How long one attempt may run (default '5m'); past it the attempt fails. */
  timeout?: number | string;
  /** At most this many jobs of this name run at once, across every node (default: no limit). */
  concurrency?: number;
}

/** The options of one enqueue: when, how urgent, and the dedup key. */
export interface EnqueueOptions {
  /** Wait this long before the first attempt (ms or '10m'). */
  delay?: number | string;
  /** Higher runs first (default 0). */
  priority?: number;
  /** While a job of this name with this key is pending, enqueueing it again returns that job. */
  key?: string;
  /** Overrides the definition's retries, backoff and timeout for this one job. */
  retries?: number;
  backoff?: JobOptions['backoff'];
  timeout?: number | string;
}

/** Options resolved to numbers. */
export interface ResolvedJobOptions {
  maxAttempts: number;
  backoff: 'exponential' | 'fixed';
  backoffMs: number;
  timeoutMs: number;
  concurrency: number | undefined;
}

const DEFAULT_RETRIES = 3;
const DEFAULT_BACKOFF_MS = 1000;
const DEFAULT_TIMEOUT_MS = 5 * 60_000;
/** The longest wait between retries, whatever the backoff doubles to. */
const MAX_BACKOFF_MS = 24 * 3_600_000;

/** Checks and resolves a definition's options (a TypeError names the bad one). */
export function resolveJobOptions(o: JobOptions = {}): ResolvedJobOptions {
  const retries = o.retries ?? DEFAULT_RETRIES;
  if (!Number.isSafeInteger(retries) || retries < 0 || retries > 1000)
    throw new TypeError('job(): retries must be a whole number from 0 to 1000');
  if (o.concurrency !== undefined && (!Number.isSafeInteger(o.concurrency) || o.concurrency < 1))
    throw new TypeError('job(): concurrency must be a whole number, 1 or more');
  const fixedMs = typeof o.backoff === 'number' ? parseDuration(o.backoff, 'job(): backoff') : undefined;
  if (
    o.backoff !== undefined &&
    fixedMs === undefined &&
    o.backoff !== 'exponential' &&
    o.backoff !== 'fixed'
  )
    throw new TypeError("job(): backoff must be 'exponential', 'fixed' or a number of milliseconds");
  const timeoutMs = parseDuration(o.timeout ?? DEFAULT_TIMEOUT_MS, 'job(): timeout');
  if (timeoutMs < 1) throw new TypeError('job(): timeout must be more than 0');
  return {
    maxAttempts: retries + 1,
    backoff: fixedMs !== undefined || o.backoff === 'fixed' ? 'fixed' : 'exponential',
    backoffMs: fixedMs ?? parseDuration(o.backoffDelay ?? DEFAULT_BACKOFF_MS, 'job(): backoffDelay'),
    timeoutMs,
    concurrency: o.concurrency,
  };
}

/** A definition's options with one enqueue's overrides. */
export function withOverrides(base: ResolvedJobOptions, o: EnqueueOptions): ResolvedJobOptions {
  if (o.retries === undefined && o.backoff === undefined && o.timeout === undefined) return base;
  const r = resolveJobOptions({
    retries: o.retries ?? base.maxAttempts - 1,
    backoff: o.backoff ?? base.backoff,
    backoffDelay: base.backoffMs,
    timeout: o.timeout ?? base.timeoutMs,
  });
  return { ...r, concurrency: base.concurrency };
}

/** The wait before the retry that follows failed attempt `attempt` (1 = the first). */
export function retryDelay(
  job: { backoff: 'exponential' | 'fixed'; backoffMs: number },
  attempt: number,
): number {
  if (job.backoff === 'fixed') return job.backoffMs;
  return Math.min(MAX_BACKOFF_MS, job.backoffMs * 2 ** Math.min(attempt - 1, 40));
}
