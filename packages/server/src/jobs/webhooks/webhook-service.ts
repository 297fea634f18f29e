import { AsyncResource } from 'node:async_hooks';
import type { ChangeLog, ChangeRow, Following } from '../../changes/change-log.ts';
import type { Database } from '../../db/database.ts';
import { errors } from '../../errors/codes.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { RuleDeps } from '../../rules/rule-condition.ts';
import type { CollectionService } from '../../schema/collection-service.ts';
import type { Clock } from '../../tools/clock.ts';
import { newRecordId } from '../../tools/id.ts';
import type { SecretBox } from '../../tools/secret-box.ts';
import { formatDate } from '../../tools/time.ts';
import { createDeliveryStore, type DeliveryState, type NewDelivery } from './delivery-store.ts';
import { createWebhookDeliverer } from './webhook-deliverer.ts';
import { checkWebhookInput, type WebhookInput } from './webhook-input.ts';
import { changeMatches, deliveryBody } from './webhook-matcher.ts';
import { registerWebhookMetrics } from './webhook-metrics.ts';
import { newWebhookSecret } from './webhook-signer.ts';
import { createWebhookStore, type WebhookRow } from './webhook-store.ts';
import {
  type DeliveryPage,
  type DeliveryView,
  deliveryView,
  type WebhookView,
  webhookView,
} from './webhook-views.ts';

/** The change-log consumer that turns changes into deliveries (its cursor in `_change_cursors`). */
export const WEBHOOKS_CONSUMER = 'webhooks';
/** Finished deliveries are kept this long (the `__fbWebhookDeliveriesCleanup__` cron deletes older ones). */
export const DELIVERY_RETENTION_DAYS = 7;
/** An attempt that has no answer after this long fails (the Standard Webhooks spec suggests 15 to 30 s). */
export const DELIVERY_TIMEOUT_MS = 15_000;
/** Deliveries inserted per statement. */
const INSERT_CHUNK = 100;

/** What the webhook service is built from (wired in app.ts). */
export interface WebhookServiceDeps {
  db: Database;
  collections: CollectionService;
  changes: ChangeLog;
  secrets: SecretBox;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** Config `webhooks_allow_private`: deliver to private and loopback addresses too. */
  allowPrivate: boolean;
  /** Adds trace headers to outgoing requests. */
  inject?: (headers: Record<string, string>) => Record<string, string>;
}

/**
 * Webhooks on the change log (docs/webhooks.md): CRUD of the subscriptions (the secret is
 * sealed at rest and shown once, on create), a durable change-log consumer that turns each
 * matching change into a delivery row in commit order, and the deliverer that sends them.
 * Callers check that the viewer is a superuser (the HTTP routes do).
 */
export function createWebhookService(deps: WebhookServiceDeps) {
  const { db, collections, changes, clock, logger } = deps;
  const store = createWebhookStore(db, deps.secrets);
  const log = createDeliveryStore(db, deps.secrets);
  const rules: RuleDeps = { db, collection: (idOrName) => collections.find(idOrName) };
  const deliverer = createWebhookDeliverer({
    webhooks: store,
    deliveries: log,
    clock,
    logger,
    sender: { timeoutMs: DELIVERY_TIMEOUT_MS, allowPrivate: deps.allowPrivate },
    ...(deps.inject ? { inject: deps.inject } : {}),
    // another node may have made the first webhook
    onRescan: () => follow(),
  });
  registerWebhookMetrics(deps.metrics, deliverer.counters, log);
  const now = () => formatDate(new Date(clock.now()));
  const inputDeps = { rules, allowPrivate: deps.allowPrivate };
  let following: Following | undefined;
  let running = false;
  // the consumer starts in the context the service was built in, never inside a caller's transaction
  const detached = AsyncResource.bind((fn: () => Promise<void>) => fn());

  /**
   * Follows the change log once a webhook exists (an app without webhooks keeps no cursor
   * and pins no rows of the log). The cursor is shared by every node, so a node that starts
   * following late resumes where the others are. Once the last webhook is deleted the
   * consumer runs on until the next start, which drops its cursor.
   */
  function follow(): Promise<void> {
    return detached(async () => {
      if (!running || following) return;
      const startAt = await store.firstFromSeq();
      if (startAt === undefined || !running || following) return;
      // without a cursor yet: from the first webhook's creation, not from whenever this runs
      following = changes.follow(WEBHOOKS_CONSUMER, consume, { durable: true, startAt });
      await following.ready;
    });
  }

  const view = (w: WebhookRow) => webhookView(w, (id) => collections.find(id)?.name);

  async function found(id: string): Promise<WebhookRow> {
    const w = await store.getWebhook(id);
    if (!w) throw errors.notFound('The webhook does not exist.');
    return w;
  }

  /** The deliveries a batch of changes makes, one per matching webhook and change. */
  async function consume(rows: ChangeRow[]): Promise<void> {
    const hooks = await store.enabledWebhooks();
    if (!hooks.length) return;
    const created = now();
    const out: NewDelivery[] = [];
    for (const row of rows) {
      for (const w of hooks) {
        if (w.collectionId !== row.collectionId || !w.events.includes(row.action) || row.seq <= w.fromSeq)
          continue;
        const c = collections.find(row.collectionId);
        if (!c || !(await changeMatches(rules, db, c, w.filter, row))) continue;
        out.push({
          id: newRecordId(),
          webhookId: w.id,
          dedupKey: `${w.id}:${row.seq}`,
          eventId: `evt_${w.id}_${row.seq}`,
          changeSeq: row.seq,
          event: row.action,
          recordId: row.recordId,
          body: deliveryBody(c, row, w.id),
          redeliveryOf: '',
          created,
          nextAt: clock.now(),
        });
      }
    }
    if (!out.length) return;
    await db.transaction(async (tx) => {
      for (let i = 0; i < out.length; i += INSERT_CHUNK)
        await log.insertDeliveries(out.slice(i, i + INSERT_CHUNK), tx);
    });
    void deliverer.wake();
  }

  return {
    /** Creates a webhook; the answer carries its `secret`, this once (generated when not given). */
    async create(input: WebhookInput): Promise<WebhookView & { secret: string }> {
      const v = checkWebhookInput(inputDeps, input, ['collection', 'events', 'url']);
      const at = now();
      const w: WebhookRow = {
        id: newRecordId(),
        collectionId: v.collection!.id,
        events: v.events!,
        url: v.url!,
        secret: v.secret ?? newWebhookSecret(),
        filter: v.filter ?? '',
        enabled: v.enabled ?? true,
        failures: 0,
        disabledReason: '',
        fromSeq: await changes.lastSeq(),
        created: at,
        updated: at,
      };
      await db.transaction(async (tx) => {
        await store.insertWebhook(w, tx);
        tx.afterCommit(() => {
          follow().catch((err: unknown) =>
            logger.error({ err }, 'webhooks: following the change log failed'),
          );
        });
      });
      return { ...view(w), secret: w.secret };
    },

    async list(): Promise<WebhookView[]> {
      return (await store.listWebhooks()).map(view);
    },

    async get(id: string): Promise<WebhookView> {
      return view(await found(id));
    },

    /** Changes a webhook; `enabled: true` also ends its run of failures (re-enabling an auto-disabled one). */
    async update(id: string, input: WebhookInput): Promise<WebhookView> {
      const w = await found(id);
      const v = checkWebhookInput(inputDeps, input, [], collections.find(w.collectionId));
      if (v.collection && input.filter === undefined && w.filter) {
        // the kept filter must still make sense on the new collection
        checkWebhookInput(inputDeps, { filter: w.filter }, [], v.collection);
      }
      const next: WebhookRow = {
        ...w,
        ...(v.collection ? { collectionId: v.collection.id } : {}),
        ...(v.events ? { events: v.events } : {}),
        ...(v.url !== undefined ? { url: v.url } : {}),
        ...(v.filter !== undefined ? { filter: v.filter } : {}),
        ...(v.enabled !== undefined ? { enabled: v.enabled } : {}),
        ...(v.enabled ? { failures: 0, disabledReason: '' } : {}),
        updated: now(),
      };
      await db.transaction(async (tx) => {
        await store.updateWebhook(next, tx);
        if (v.secret !== undefined) await store.setSecret(id, v.secret, tx);
        // once committed (the caller's transaction, e.g. the audit entry's, included), never inside it
        if (next.enabled && !w.enabled) tx.afterCommit(() => void deliverer.wake());
      });
      return view(next);
    },

    /** Deletes a webhook and its delivery log. */
    async remove(id: string): Promise<void> {
      if (!(await store.deleteWebhook(id))) throw errors.notFound('The webhook does not exist.');
    },

    /** A page of a webhook's deliveries, newest change first, optionally of one status. */
    async deliveries(
      id: string,
      q: { page?: number | undefined; perPage?: number | undefined; status?: DeliveryState | undefined },
    ): Promise<DeliveryPage> {
      await found(id);
      const page = q.page && q.page > 0 ? q.page : 1;
      const perPage = q.perPage && q.perPage > 0 ? Math.min(q.perPage, 1000) : 30;
      const { items, total } = await log.listDeliveries(id, {
        offset: (page - 1) * perPage,
        limit: perPage,
        state: q.status,
      });
      return {
        page,
        perPage,
        totalItems: total,
        totalPages: Math.ceil(total / perPage),
        items: items.map(deliveryView),
      };
    },

    /**
     * Sends a delivery again as a new delivery linked to it (`redeliveryOf`), with the same
     * body and `webhook-id`; it goes out now, or once the webhook is enabled again.
     */
    async redeliver(id: string, deliveryId: string): Promise<DeliveryView> {
      await found(id);
      const original = await log.getDelivery(id, deliveryId);
      if (!original) throw errors.notFound('The delivery does not exist.');
      const newId = newRecordId();
      const created = now();
      await log.insertDeliveries([
        {
          id: newId,
          webhookId: id,
          dedupKey: `redeliver:${newId}`,
          eventId: original.eventId,
          changeSeq: original.changeSeq,
          event: original.event,
          recordId: original.recordId,
          body: original.body,
          redeliveryOf: original.id,
          created,
          nextAt: clock.now(),
        },
      ]);
      void deliverer.wake();
      return deliveryView((await log.getDelivery(id, newId))!);
    },

    /** Sends the deliveries that are due now (the deliverer also does this on its own). */
    deliverDue: deliverer.wake,

    /** Deletes finished deliveries older than DELIVERY_RETENTION_DAYS; returns how many. */
    pruneDeliveries(): Promise<number> {
      return log.pruneDeliveries(formatDate(new Date(clock.now() - DELIVERY_RETENTION_DAYS * 86_400_000)));
    },

    /** The sealed secrets, for the start-up re-seal and `forgebase secrets rotate`. */
    secretStore: store.secretStore,

    /** Follows the change log (durably, from where it stopped; once a webhook exists) and starts the deliverer. */
    async start(): Promise<void> {
      running = true;
      // no webhook left: no cursor either, so the log's pruning is not held back for nobody
      if ((await store.firstFromSeq()) !== undefined) await follow();
      else await changes.forget(WEBHOOKS_CONSUMER);
      deliverer.start();
    },

    /** Stops following and the deliverer (waiting for attempts under way). */
    async stop(): Promise<void> {
      running = false;
      await following?.();
      following = undefined;
      await deliverer.stop();
    },
  };
}

/** The webhook service (see createWebhookService). */
export type WebhookService = ReturnType<typeof createWebhookService>;
