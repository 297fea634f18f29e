// The in-memory numbers behind GET /metrics: plain counters and bucket arrays, so that
// recording a request or a query allocates nothing (prom-client loads at the first scrape).

/** Upper bounds (seconds) of the HTTP request latency buckets. */
export const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Upper bounds (seconds) of the database statement latency buckets. */
export const DB_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5,
];
/** Upper bounds of the SQLite group-commit size buckets (write jobs per commit; 64 at most). */
export const GROUP_BUCKETS = [1, 2, 4, 8, 16, 32, 64];

/** One histogram series: a count per bucket (the last one is +Inf), their sum and count. */
export class HistogramSeries {
  readonly bounds: readonly number[];
  /** Not cumulative: `counts[i]` holds the observations in (bounds[i-1], bounds[i]]. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && value > b[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

/**
 * A histogram keyed by the request's route template, method and status: one series per
 * combination the server actually answered, looked up through nested maps (no key string
 * built per request). Routes are Fastify's templates (`/api/collections/:c/records/:id`),
 * so record ids, users and query strings never become series.
 */
export class RouteSeries {
  readonly #routes = new Map<string, Map<string, Map<number, HistogramSeries>>>();

  /** The method → status table of one route, to keep with the route (bound once at registration). */
  route(template: string): Map<string, Map<number, HistogramSeries>> {
    let byMethod = this.#routes.get(template);
    if (!byMethod) {
      byMethod = new Map();
      this.#routes.set(template, byMethod);
    }
    return byMethod;
  }

  /** Every series with its labels, for a scrape. */
  *entries(): Generator<{ route: string; method: string; status: number; series: HistogramSeries }> {
    for (const [route, byMethod] of this.#routes)
      for (const [method, byStatus] of byMethod)
        for (const [status, series] of byStatus) yield { route, method, status, series };
  }
}

/** Records one observation in a route's table, creating its series on first use. */
export function observeRoute(
  byMethod: Map<string, Map<number, HistogramSeries>>,
  method: string,
  status: number,
  seconds: number,
): void {
  let byStatus = byMethod.get(method);
  if (!byStatus) {
    byStatus = new Map();
    byMethod.set(method, byStatus);
  }
  let series = byStatus.get(status);
  if (!series) {
    series = new HistogramSeries(HTTP_BUCKETS);
    byStatus.set(status, series);
  }
  series.observe(seconds);
}

const WINDOW_SECONDS = 60;

/**
 * The last minute of requests in one-second slots (count, errors, latency buckets), for
 * the dashboard's summary: requests per minute and p50/p99 of recent traffic rather
 * than of everything since start.
 */
export class RecentRequests {
  readonly #stamps = new Float64Array(WINDOW_SECONDS);
  readonly #counts = new Float64Array(WINDOW_SECONDS);
  readonly #errors = new Float64Array(WINDOW_SECONDS);
  readonly #buckets = new Float64Array(WINDOW_SECONDS * (HTTP_BUCKETS.length + 1));
  readonly #now: () => number;
  /** The current second, moved by `tick()`: reading a clock per request costs more than the rest. */
  #second: number;

  /** `now` gives milliseconds (the app's clock). */
  constructor(now: () => number) {
    this.#now = now;
    this.#second = Math.floor(now() / 1000);
  }

  /** Called about every second (and before reading): requests then count in the new second. */
  tick(): void {
    this.#second = Math.floor(this.#now() / 1000);
  }

  #slot(second: number): number {
    const slot = second % WINDOW_SECONDS;
    if (this.#stamps[slot] !== second) {
      this.#stamps[slot] = second;
      this.#counts[slot] = 0;
      this.#errors[slot] = 0;
      this.#buckets.fill(0, slot * (HTTP_BUCKETS.length + 1), (slot + 1) * (HTTP_BUCKETS.length + 1));
    }
    return slot;
  }

  /** One finished request; a status of 500 or more counts as an error. */
  add(status: number, seconds: number): void {
    const slot = this.#slot(this.#second);
    this.#counts[slot]!++;
    if (status >= 500) this.#errors[slot]!++;
    let i = 0;
    while (i < HTTP_BUCKETS.length && seconds > HTTP_BUCKETS[i]!) i++;
    this.#buckets[slot * (HTTP_BUCKETS.length + 1) + i]!++;
  }

  /** Totals of the last 60 seconds and the latency quantiles (ms), interpolated within buckets. */
  lastMinute(): { requests: number; errors: number; p50Ms: number | null; p99Ms: number | null } {
    this.tick();
    const nowSecond = this.#second;
    const width = HTTP_BUCKETS.length + 1;
    const buckets = new Float64Array(width);
    let requests = 0;
    let errors = 0;
    for (let slot = 0; slot < WINDOW_SECONDS; slot++) {
      if (nowSecond - this.#stamps[slot]! >= WINDOW_SECONDS) continue;
      requests += this.#counts[slot]!;
      errors += this.#errors[slot]!;
      for (let i = 0; i < width; i++) buckets[i]! += this.#buckets[slot * width + i]!;
    }
    return {
      requests,
      errors,
      p50Ms: quantileMs(buckets, requests, 0.5),
      p99Ms: quantileMs(buckets, requests, 0.99),
    };
  }
}

/**
 * The q-quantile of bucketed latencies, interpolated linearly inside its bucket (as
 * Prometheus' histogram_quantile does); in the +Inf bucket, the largest bound.
 */
export function quantileMs(buckets: Float64Array, total: number, q: number): number | null {
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    const n = buckets[i]!;
    if (seen + n >= rank && n > 0) {
      if (i >= HTTP_BUCKETS.length) return HTTP_BUCKETS[HTTP_BUCKETS.length - 1]! * 1000;
      const lower = i === 0 ? 0 : HTTP_BUCKETS[i - 1]!;
      const upper = HTTP_BUCKETS[i]!;
      return Math.round((lower + ((upper - lower) * (rank - seen)) / n) * 1000 * 1000) / 1000;
    }
    seen += n;
  }
  return HTTP_BUCKETS[HTTP_BUCKETS.length - 1]! * 1000;
}
