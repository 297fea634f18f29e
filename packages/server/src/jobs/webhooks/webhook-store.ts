import type { Database, Executor } from '../../db/database.ts';
import type { WebhooksTable } from '../../db/system-tables.ts';
import { resealRows, type SecretBox } from '../../tools/secret-box.ts';

/** A webhook as the service sees it (the secret in clear: sealed in `_webhooks`). */
export interface WebhookRow {
  id: string;
  collectionId: string;
  events: string[];
  url: string;
  secret: string;
  filter: string;
  enabled: boolean;
  failures: number;
  disabledReason: string;
  /** Only changes after this seq are delivered (the newest one when the webhook was made). */
  fromSeq: number;
  created: string;
  updated: string;
}

/** A stored webhook row as a WebhookRow (the secret opened with `box`). */
export const decodeWebhook = (r: WebhooksTable, box: SecretBox): WebhookRow => ({
  id: r.id,
  collectionId: r.collection_id,
  events: JSON.parse(r.events) as string[],
  url: r.url,
  secret: box.open(r.secret),
  filter: r.filter,
  enabled: Number(r.enabled) === 1,
  failures: Number(r.failures),
  disabledReason: r.disabled_reason,
  fromSeq: Number(r.from_seq),
  created: r.created,
  updated: r.updated,
});

/**
 * Reads and writes `_webhooks` on either dialect (deliveries: delivery-store.ts). Secrets
 * are sealed with `box` on their one write path and opened on their one read path.
 */
export function createWebhookStore(db: Database, box: SecretBox) {
  const qb = db.sys;
  const webhooks = qb.selectFrom('_webhooks').selectAll();
  return {
    async insertWebhook(w: WebhookRow, ex: Executor = db): Promise<void> {
      await ex.run(
        qb.insertInto('_webhooks').values({
          id: w.id,
          collection_id: w.collectionId,
          events: JSON.stringify(w.events),
          url: w.url,
          secret: box.seal(w.secret),
          filter: w.filter,
          enabled: w.enabled ? 1 : 0,
          failures: w.failures,
          disabled_reason: w.disabledReason,
          from_seq: w.fromSeq,
          created: w.created,
          updated: w.updated,
        }),
      );
    },

    /** Writes the editable columns of `w` (the secret stays as stored). */
    async updateWebhook(w: WebhookRow, ex: Executor = db): Promise<void> {
      await ex.run(
        qb
          .updateTable('_webhooks')
          .set({
            collection_id: w.collectionId,
            events: JSON.stringify(w.events),
            url: w.url,
            filter: w.filter,
            enabled: w.enabled ? 1 : 0,
            failures: w.failures,
            disabled_reason: w.disabledReason,
            updated: w.updated,
          })
          .where('id', '=', w.id),
      );
    },

    /** Replaces a webhook's secret (sealed here). */
    async setSecret(id: string, secret: string, ex: Executor = db): Promise<void> {
      await ex.run(
        qb
          .updateTable('_webhooks')
          .set({ secret: box.seal(secret) })
          .where('id', '=', id),
      );
    },

    /** Deletes a webhook and its deliveries; false when there was none. */
    async deleteWebhook(id: string, ex: Executor = db): Promise<boolean> {
      await ex.run(qb.deleteFrom('_webhook_deliveries').where('webhook_id', '=', id));
      return (await ex.run(qb.deleteFrom('_webhooks').where('id', '=', id))).changes > 0;
    },

    async getWebhook(id: string, ex: Executor = db): Promise<WebhookRow | undefined> {
      const r = await ex.first(webhooks.where('id', '=', id));
      return r && decodeWebhook(r, box);
    },

    async listWebhooks(): Promise<WebhookRow[]> {
      return (await db.all(webhooks.orderBy('created').orderBy('id'))).map((r) => decodeWebhook(r, box));
    },

    /**
     * Where the change-log consumer starts when it has no cursor yet: the oldest webhook's
     * `fromSeq`; undefined when there is no webhook (then it does not run).
     */
    async firstFromSeq(): Promise<number | undefined> {
      const r = await db.first(qb.selectFrom('_webhooks').select((eb) => eb.fn.min('from_seq').as('seq')));
      return r?.seq == null ? undefined : Number(r.seq);
    },

    /** The enabled webhooks, for the change-feed consumer. */
    async enabledWebhooks(): Promise<WebhookRow[]> {
      return (await db.all(webhooks.where('enabled', '=', 1))).map((r) => decodeWebhook(r, box));
    },

    /**
     * Counts one more delivery of a webhook that failed for good, and disables the webhook
     * with `reason` once `threshold` of them came in a row (or at once, with `threshold` 1);
     * true when this call disabled it.
     */
    async addFailure(id: string, threshold: number, reason: string, updated: string): Promise<boolean> {
      return db.transaction(async (tx) => {
        await tx.run(
          qb
            .updateTable('_webhooks')
            .set({ failures: (eb) => eb('failures', '+', 1), updated })
            .where('id', '=', id),
        );
        const r = await tx.run(
          qb
            .updateTable('_webhooks')
            .set({ enabled: 0, disabled_reason: reason })
            .where('id', '=', id)
            .where('enabled', '=', 1)
            .where('failures', '>=', threshold),
        );
        return r.changes > 0;
      });
    },

    /** Ends a webhook's run of failed deliveries (a delivery succeeded). */
    async resetFailures(id: string): Promise<void> {
      await db.run(
        qb.updateTable('_webhooks').set({ failures: 0 }).where('id', '=', id).where('failures', '>', 0),
      );
    },

    /** The store of sealed secrets, re-sealed at start and by `forgebase secrets rotate`. */
    secretStore: {
      name: 'the webhook secrets (_webhooks)',
      async reseal(current: SecretBox): Promise<number> {
        const rows = await db.all(qb.selectFrom('_webhooks').select(['id', 'secret']));
        return resealRows(
          current,
          rows,
          (r) => r.secret,
          async (r, secret) => {
            await db.run(qb.updateTable('_webhooks').set({ secret }).where('id', '=', r.id));
          },
        );
      },
    },
  };
}

/** The webhooks table (see createWebhookStore). */
export type WebhookStore = ReturnType<typeof createWebhookStore>;
