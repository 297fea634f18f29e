import type { Metrics } from '../../observability/metrics.ts';
import type { DeliveryStore } from './delivery-store.ts';
import type { DeliveryCounters } from './webhook-deliverer.ts';

/**
 * The webhook numbers in `GET /metrics`: attempts and finished deliveries by outcome (this
 * node's, since start), attempt latency as a sum and a count, and deliveries by status
 * (the whole cluster's, read from the table at scrape time).
 */
export function registerWebhookMetrics(
  metrics: Metrics,
  counters: DeliveryCounters,
  store: DeliveryStore,
): void {
  const byOutcome = (name: string, help: string, of: { succeeded: number; failed: number }) =>
    metrics.register({
      name,
      help,
      type: 'counter',
      collect: () => [
        { labels: { outcome: 'succeeded' }, value: of.succeeded },
        { labels: { outcome: 'failed' }, value: of.failed },
      ],
    });
  byOutcome(
    'forgebase_webhook_attempts_total',
    'Webhook delivery attempts on this node, by outcome (succeeded: a 2xx answer).',
    counters.attempts,
  );
  byOutcome(
    'forgebase_webhook_deliveries_total',
    'Webhook deliveries that ended on this node, by outcome (failed: after the last attempt).',
    counters.finished,
  );
  metrics.register({
    name: 'forgebase_webhook_attempt_seconds_sum',
    help: 'Seconds spent in webhook delivery attempts on this node (with _count: the mean latency).',
    type: 'counter',
    collect: () => [{ value: counters.seconds }],
  });
  metrics.register({
    name: 'forgebase_webhook_attempt_seconds_count',
    help: 'Webhook delivery attempts timed on this node.',
    type: 'counter',
    collect: () => [{ value: counters.timed }],
  });
  metrics.register({
    name: 'forgebase_webhook_deliveries',
    help: 'Webhook deliveries kept in the delivery log, by status.',
    type: 'gauge',
    collect: async () => {
      const by = new Map((await store.countByState()).map((r) => [r.state, r.n]));
      return ['pending', 'succeeded', 'failed'].map((state) => ({
        labels: { state },
        value: by.get(state) ?? 0,
      }));
    },
  });
}
