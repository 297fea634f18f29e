import type { MetricSource } from '../../observability/metrics.ts';
import type { LiveQueries } from './live-queries.ts';

/**
 * The live query numbers in `/metrics`: open live queries and shared queries (gauges),
 * runs and diffs (counters), and the change → diff latency as a sum and a count, whose
 * ratio over a window is the mean latency.
 */
export function registerLiveMetrics(
  metrics: { register(source: MetricSource): void },
  live: LiveQueries,
): void {
  const one = (name: string, help: string, type: 'gauge' | 'counter', value: () => number) =>
    metrics.register({ name, help, type, collect: () => [{ value: value() }] });
  one(
    'forgebase_live_queries_open',
    'Live queries open over every socket.',
    'gauge',
    () => live.stats().subscriptions,
  );
  one(
    'forgebase_live_queries_shared',
    'Distinct live queries (subscribers of one query and viewer class share one).',
    'gauge',
    () => live.stats().queries,
  );
  one(
    'forgebase_live_query_runs_total',
    'Live query runs (first runs and re-runs).',
    'counter',
    () => live.stats().runs,
  );
  one(
    'forgebase_live_diffs_total',
    'Live query diffs sent (once per shared query).',
    'counter',
    () => live.stats().diffs,
  );
  one(
    'forgebase_live_diff_latency_seconds_sum',
    'Seconds from a change reaching this node to its live diff going out, summed.',
    'counter',
    () => live.stats().diffSeconds,
  );
  one(
    'forgebase_live_diff_latency_seconds_count',
    'Live diffs counted in forgebase_live_diff_latency_seconds_sum.',
    'counter',
    () => live.stats().diffCount,
  );
}
