import type { Clock } from '../tools/clock.ts';
import {
  DB_BUCKETS,
  GROUP_BUCKETS,
  HistogramSeries,
  observeRoute,
  RecentRequests,
  RouteSeries,
} from './metrics-series.ts';

/** One value of a gauge or counter, with its labels (few, bounded: never a record or user id). */
export interface MetricSample {
  labels?: Record<string, string | number>;
  value: number;
}

/**
 * A metric read at scrape time: queue depths, connection counts, a subsystem's own
 * counters. `register` one per name; `collect` should be cheap (it runs on every scrape).
 */
export interface MetricSource {
  /** Prometheus name, e.g. `forgebase_jobs_queued`. */
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  collect(): MetricSample[] | Promise<MetricSample[]>;
}

/** Records one finished request of a route: method, status, seconds. */
export type RouteRecorder = (method: string, status: number, seconds: number) => void;

/** The dashboard's numbers (`GET /api/metrics/summary`). */
export interface MetricsSummary {
  /** Requests answered in the last 60 seconds, and those among them with a 5xx status. */
  requestsPerMinute: number;
  errorsPerMinute: number;
  /** Latency quantiles of the last minute's requests (null without requests). */
  latencyMs: { p50: number | null; p99: number | null };
  /** Since the app started. */
  requests: number;
  errors: number;
  uptimeSeconds: number;
  db: { dialect: string; sizeBytes: number; connections: number; busy: number; queued: number };
  realtime: { connections: number; sse: number; ws: number; subscriptions: number };
}

/**
 * What the metrics read of the app's parts at scrape time (the Database and the realtime
 * hub, described here by shape: observability sits below both in the layers).
 */
export interface WatchedParts {
  db: {
    readonly dialect: string;
    stats(): { queued: number; connections: number; busy: number };
    sizeBytes(): Promise<number>;
  };
  realtime: {
    metrics(): {
      clients: number;
      sseClients: number;
      wsClients: number;
      subscriptions: number;
      eventsDelivered: number;
      eventsDropped: number;
      slowDisconnects: number;
    };
  };
}

type PromRegistry = import('prom-client').Registry;
type PromMetric = import('prom-client').Metric;

/**
 * The app's metrics (`app.metrics`), one set per app: several apps may share a process
 * (tests), so nothing lands in prom-client's global registry. Requests and statements are
 * counted in plain arrays (see metrics-series.ts); prom-client is imported at the first
 * scrape and formats them, with its process metrics, through a Registry of this app.
 */
export function createMetrics(opts: { clock: Clock }) {
  const { clock } = opts;
  const startedAt = clock.now();
  const http = new RouteSeries();
  const recent = new RecentRequests(() => clock.now());
  const queries = new HistogramSeries(DB_BUCKETS);
  const commits = new HistogramSeries(GROUP_BUCKETS);
  const sources: MetricSource[] = [];
  let parts: WatchedParts | undefined;
  let registry: Promise<PromRegistry> | undefined;
  let stopTicks: (() => void) | undefined;

  function register(source: MetricSource): void {
    if (sources.some((s) => s.name === source.name))
      throw new Error(`metric ${source.name} is already registered`);
    sources.push(source);
  }

  async function buildRegistry(): Promise<PromRegistry> {
    const prom = await import('prom-client');
    const reg = new prom.Registry();
    prom.collectDefaultMetrics({ register: reg });
    const add = (m: ScrapedMetric) => reg.registerMetric(m as unknown as PromMetric);
    const dialect = () => parts?.db.dialect ?? 'unknown';
    add(
      histogramMetric(
        'forgebase_http_request_duration_seconds',
        'HTTP requests by route template, method and status, with their latency.',
        () =>
          [...http.entries()].map((e) => ({
            labels: { method: e.method, route: e.route, status: e.status },
            series: e.series,
          })),
      ),
    );
    add(
      valueMetric({
        name: 'forgebase_http_requests_total',
        help: 'HTTP requests answered, by route template, method and status.',
        type: 'counter',
        collect: () =>
          [...http.entries()].map((e) => ({
            labels: { method: e.method, route: e.route, status: e.status },
            value: e.series.count,
          })),
      }),
    );
    add(
      histogramMetric('forgebase_db_query_duration_seconds', 'Database statements and their latency.', () => [
        { labels: { dialect: dialect() }, series: queries },
      ]),
    );
    add(
      histogramMetric(
        'forgebase_sqlite_group_commit_jobs',
        'SQLite group commits by how many write jobs shared one commit.',
        () => (parts?.db.dialect === 'sqlite' ? [{ labels: {}, series: commits }] : []),
      ),
    );
    for (const s of sources) add(valueMetric(s));
    return reg;
  }

  function watch(watched: WatchedParts): void {
    parts = watched;
    const { db, realtime } = watched;
    const dialect = db.dialect;
    register({
      name: 'forgebase_db_queue_depth',
      help: 'Work waiting for a database connection: SQLite write jobs queued for the writer, PostgreSQL clients waiting for the pool.',
      type: 'gauge',
      collect: () => [{ labels: { dialect }, value: db.stats().queued }],
    });
    register({
      name: 'forgebase_db_connections',
      help: 'Open database connections, by state (busy or idle).',
      type: 'gauge',
      collect: () => {
        const s = db.stats();
        return [
          { labels: { dialect, state: 'busy' }, value: s.busy },
          { labels: { dialect, state: 'idle' }, value: s.connections - s.busy },
        ];
      },
    });
    register({
      name: 'forgebase_db_size_bytes',
      help: "Bytes the app's data takes in the database.",
      type: 'gauge',
      collect: async () => [{ labels: { dialect }, value: await db.sizeBytes() }],
    });
    register({
      name: 'forgebase_realtime_connections',
      help: 'Connected realtime clients, by transport.',
      type: 'gauge',
      collect: () => {
        const m = realtime.metrics();
        return [
          { labels: { transport: 'sse' }, value: m.sseClients },
          { labels: { transport: 'ws' }, value: m.wsClients },
        ];
      },
    });
    register({
      name: 'forgebase_realtime_subscriptions',
      help: 'Topics the connected realtime clients subscribe to.',
      type: 'gauge',
      collect: () => [{ value: realtime.metrics().subscriptions }],
    });
    register({
      name: 'forgebase_realtime_deliveries_total',
      help: 'Realtime events by outcome: delivered to a client, dropped (a full buffer).',
      type: 'counter',
      collect: () => {
        const m = realtime.metrics();
        return [
          { labels: { outcome: 'delivered' }, value: m.eventsDelivered },
          { labels: { outcome: 'dropped' }, value: m.eventsDropped },
        ];
      },
    });
    register({
      name: 'forgebase_realtime_slow_disconnects_total',
      help: 'Realtime clients disconnected for not reading their events.',
      type: 'counter',
      collect: () => [{ value: realtime.metrics().slowDisconnects }],
    });
  }

  return {
    /** Starts the one-second tick of the summary's window (a background service of the app). */
    start(): void {
      stopTicks ??= clock.every(1000, () => recent.tick());
    },
    stop(): void {
      stopTicks?.();
      stopTicks = undefined;
    },
    /**
     * The recorder of one route template (bound once, when the route is registered);
     * `'unmatched'` for requests no route took.
     */
    route(template: string): RouteRecorder {
      const byMethod = http.route(template);
      return function recordRequest(method, status, seconds) {
        observeRoute(byMethod, method, status, seconds);
        recent.add(status, seconds);
      };
    },
    /** Every statement's latency (the database's trace). */
    dbQuery(_sql: string, ms: number): void {
      queries.observe(ms / 1000);
    },
    /** SQLite: one group commit of `jobs` write jobs. */
    dbCommit(jobs: number): void {
      commits.observe(jobs);
    },
    /** Starts reading the database's and the realtime hub's numbers at scrape time. */
    watch,
    /** Adds a metric read at scrape time (jobs, tenant databases...); its name must be new. */
    register(source: MetricSource): void {
      register(source);
      // after the first scrape: into the registry built then (unless it was still being built)
      void registry?.then((reg) => {
        if (!reg.getSingleMetric(source.name))
          reg.registerMetric(valueMetric(source) as unknown as PromMetric);
      });
    },
    /** The Prometheus text exposition of every metric (prom-client loads on the first call). */
    async scrape(): Promise<{ contentType: string; text: string }> {
      registry ??= buildRegistry();
      const reg = await registry;
      return { contentType: reg.contentType, text: await reg.metrics() };
    },
    /** The dashboard's summary: the last minute's traffic, totals, database and realtime load. */
    async summary(): Promise<MetricsSummary> {
      const minute = recent.lastMinute();
      let requests = 0;
      let errors = 0;
      for (const e of http.entries()) {
        requests += e.series.count;
        if (e.status >= 500) errors += e.series.count;
      }
      const db = parts?.db;
      const stats = db?.stats() ?? { queued: 0, connections: 0, busy: 0 };
      const rt = parts?.realtime.metrics();
      return {
        requestsPerMinute: minute.requests,
        errorsPerMinute: minute.errors,
        latencyMs: { p50: minute.p50Ms, p99: minute.p99Ms },
        requests,
        errors,
        uptimeSeconds: Math.floor((clock.now() - startedAt) / 1000),
        db: { dialect: db?.dialect ?? 'unknown', sizeBytes: db ? await db.sizeBytes() : 0, ...stats },
        realtime: {
          connections: rt?.clients ?? 0,
          sse: rt?.sseClients ?? 0,
          ws: rt?.wsClients ?? 0,
          subscriptions: rt?.subscriptions ?? 0,
        },
      };
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** The shape prom-client's Registry reads from a metric (`get()`), for metrics kept outside prom-client. */
interface ScrapedMetric {
  name: string;
  help: string;
  type: string;
  aggregator: 'sum';
  get(): Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: 'sum';
    values: { metricName?: string; labels: Record<string, string | number>; value: number }[];
  }>;
}

function valueMetric(source: MetricSource): ScrapedMetric {
  const { name, help, type } = source;
  return {
    name,
    help,
    type,
    aggregator: 'sum',
    async get() {
      const samples = await source.collect();
      return {
        name,
        help,
        type,
        aggregator: 'sum',
        values: samples.map((s) => ({ labels: s.labels ?? {}, value: s.value })),
      };
    },
  };
}

function histogramMetric(
  name: string,
  help: string,
  read: () => { labels: Record<string, string | number>; series: HistogramSeries }[],
): ScrapedMetric {
  return {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    async get() {
      const values: { metricName?: string; labels: Record<string, string | number>; value: number }[] = [];
      for (const { labels, series } of read()) {
        let cumulative = 0;
        series.bounds.forEach((le, i) => {
          cumulative += series.counts[i]!;
          values.push({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: cumulative });
        });
        values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: series.count });
        values.push({ metricName: `${name}_sum`, labels, value: series.sum });
        values.push({ metricName: `${name}_count`, labels, value: series.count });
      }
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
  };
}
