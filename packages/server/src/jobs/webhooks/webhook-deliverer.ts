import { AsyncResource } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../observability/logger.ts';
import type { Clock } from '../../tools/clock.ts';
import { formatDate } from '../../tools/time.ts';
import type { AttemptOutcome, DeliveryRow, DeliveryStore } from './delivery-store.ts';
import { type SenderOptions, type SendResult, sendWebhook } from './webhook-sender.ts';
import { signWebhook } from './webhook-signer.ts';
import type { WebhookRow, WebhookStore } from './webhook-store.ts';

/** Attempts per delivery before it is marked failed. */
export const MAX_ATTEMPTS = 8;
/** The wait after the first failed attempt; each later one waits 4 times longer (plus jitter). */
export const FIRST_RETRY_MS = 10_000;
/** Up to this share of a wait is added at random, so receivers coming back are not hit all at once. */
export const RETRY_JITTER = 0.2;
/** Deliveries in a row that failed for good before a webhook is disabled (PATCH `enabled: true` turns it on again). */
export const AUTO_DISABLE_AFTER = 5;
/** How often the app's clock asks whether a retry came due. */
export const POLL_MS = 1000;
/** How often (real time) a node looks for work other nodes queued or left (an expired lease). */
const RESCAN_MS = 1000;
/** Most deliveries a node claims at once. */
const CLAIM_BATCH = 20;
/** A claim is held this long past the attempt's timeout; after that another node may take it. */
const LEASE_MARGIN_MS = 30_000;

/** The wait after failed attempt `attempt` (1-based): 10 s · 4^(attempt−1), plus up to 20 % jitter. */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = FIRST_RETRY_MS * 4 ** (attempt - 1);
  return Math.round(base * (1 + RETRY_JITTER * random()));
}

/** What the deliverer counts for /metrics (this node's attempts since start). */
export interface DeliveryCounters {
  attempts: { succeeded: number; failed: number };
  /** Deliveries that reached their end on this node. */
  finished: { succeeded: number; failed: number };
  /** Seconds spent in attempts, and how many. */
  seconds: number;
  timed: number;
}

/** What the deliverer is built from. */
export interface DelivererDeps {
  webhooks: WebhookStore;
  deliveries: DeliveryStore;
  clock: Clock;
  logger: Logger;
  sender: SenderOptions;
  /** Adds trace headers to an outgoing request (OpenTelemetry, when on). */
  inject?: (headers: Record<string, string>) => Record<string, string>;
  random?: () => number;
  /** Called on each look for other nodes' work (about once a second). */
  onRescan?: () => Promise<void>;
}

/**
 * The claim loop: takes due deliveries (leased, so several nodes share the work and none is
 * sent twice while its lease holds), signs and POSTs each, and records the outcome: done on
 * a 2xx; otherwise the next attempt after `retryDelayMs`, or failed after MAX_ATTEMPTS (a
 * 410 Gone fails at once and disables the webhook). AUTO_DISABLE_AFTER failed deliveries in
 * a row disable the webhook. Runs on the app's clock; `wake()` runs it now.
 */
export function createWebhookDeliverer({
  webhooks,
  deliveries,
  clock,
  logger,
  sender,
  inject,
  random,
  onRescan,
}: DelivererDeps) {
  const owner = randomUUID();
  const counters: DeliveryCounters = {
    attempts: { succeeded: 0, failed: 0 },
    finished: { succeeded: 0, failed: 0 },
    seconds: 0,
    timed: 0,
  };
  // passes run in the context the deliverer was built in: a wake from inside some
  // transaction's work must not make the claims join that transaction
  const detached = AsyncResource.bind((fn: () => Promise<void>) => fn());
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = true;
  let cancel: (() => void) | undefined;
  // the app-clock time the earliest known retry comes due, and the real time of the last look
  let nextCheck = 0;
  let lastScan = Number.NEGATIVE_INFINITY;

  function outcomeOf(d: DeliveryRow, r: SendResult, now: number): AttemptOutcome {
    const ok = r.status >= 200 && r.status < 300;
    const last = d.attempts >= MAX_ATTEMPTS || r.status === 410;
    const state = ok ? 'succeeded' : last ? 'failed' : 'pending';
    const error = ok || r.error ? r.error : `the receiver answered ${r.status}`;
    return {
      state,
      nextAt: state === 'pending' ? now + retryDelayMs(d.attempts, random) : 0,
      statusCode: r.status,
      durationMs: r.durationMs,
      response: r.response,
      error,
      updated: formatDate(new Date(now)),
    };
  }

  async function attempt(d: DeliveryRow, w: WebhookRow): Promise<void> {
    const signed: Record<string, string> = { ...signWebhook(w.secret, d.eventId, clock.now(), d.body) };
    const headers = inject ? inject(signed) : signed;
    const result = await sendWebhook(w.url, headers, d.body, sender);
    const now = clock.now();
    const o = outcomeOf(d, result, now);
    counters.attempts[o.state === 'succeeded' ? 'succeeded' : 'failed']++;
    counters.seconds += result.durationMs / 1000;
    counters.timed++;
    if (!(await deliveries.finishAttempt(d.id, owner, o))) return; // the lease ran out: another node owns it now
    if (o.state === 'pending') return;
    counters.finished[o.state]++;
    if (o.state === 'succeeded') return webhooks.resetFailures(w.id);
    const gone = result.status === 410;
    const reason = gone
      ? 'the receiver answered 410 Gone'
      : `${AUTO_DISABLE_AFTER} deliveries in a row failed after ${MAX_ATTEMPTS} attempts`;
    if (await webhooks.addFailure(w.id, gone ? 1 : AUTO_DISABLE_AFTER, reason, o.updated))
      logger.warn({ webhook: w.id, reason }, 'webhook disabled');
  }

  async function pass(): Promise<void> {
    if (onRescan && performance.now() - lastScan >= RESCAN_MS) await onRescan();
    for (;;) {
      const now = clock.now();
      const claimed = await deliveries.claimDue(
        now,
        now + sender.timeoutMs + LEASE_MARGIN_MS,
        owner,
        CLAIM_BATCH,
      );
      if (!claimed.length) {
        nextCheck = (await deliveries.nextDue()) ?? Number.POSITIVE_INFINITY;
        lastScan = performance.now();
        return;
      }
      await Promise.all(
        claimed.map(({ delivery, webhook }) =>
          attempt(delivery, webhook).catch((err: unknown) =>
            logger.error(
              { err, webhook: webhook.id, delivery: delivery.id },
              'webhook delivery failed to record',
            ),
          ),
        ),
      );
      if (stopped) return;
    }
  }

  /** Sends what is due now; concurrent calls fold into one more pass. */
  function wake(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = detached(async () => {
      do {
        again = false;
        await pass().catch((err: unknown) => logger.error({ err }, 'webhook deliveries: claim failed'));
      } while (again && !stopped);
    }).finally(() => {
      running = undefined;
    });
    return running;
  }

  /**
   * The periodic check: a pass when a known retry is due on the app's clock, or once per
   * real second for what other nodes did (so a test's manual clock can jump hours cheaply).
   */
  function poll(): Promise<void> | undefined {
    if (clock.now() >= nextCheck || performance.now() - lastScan >= RESCAN_MS) return wake();
    return undefined;
  }

  return {
    wake,
    counters,
    start(): void {
      stopped = false;
      cancel = clock.every(POLL_MS, poll);
      void wake();
    },
    /** Stops polling and waits for the attempts under way. */
    async stop(): Promise<void> {
      stopped = true;
      cancel?.();
      cancel = undefined;
      await running;
    },
  };
}

/** The claim loop (see createWebhookDeliverer). */
export type WebhookDeliverer = ReturnType<typeof createWebhookDeliverer>;
