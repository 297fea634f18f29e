import type { Database, Executor } from '../../db/database.ts';
import type { WebhookDeliveriesTable } from '../../db/system-tables.ts';
import type { SecretBox } from '../../tools/secret-box.ts';
import { decodeWebhook, type WebhookRow } from './webhook-store.ts';

/** What a delivery is (`pending` until an attempt succeeds or the last one failed). */
export type DeliveryState = 'pending' | 'succeeded' | 'failed';

/** One delivery of one change to one webhook, with its last attempt's outcome. */
export interface DeliveryRow {
  id: string;
  webhookId: string;
  /** The `webhook-id` header: the same for every attempt and redelivery of one event. */
  eventId: string;
  changeSeq: number;
  event: string;
  recordId: string;
  body: string;
  state: DeliveryState;
  attempts: number;
  nextAt: number;
  statusCode: number;
  durationMs: number;
  response: string;
  error: string;
  redeliveryOf: string;
  created: string;
  updated: string;
}

/** A delivery to insert; `dedupKey` makes a second insert for the same webhook and change a no-op. */
export type NewDelivery = Pick<
  DeliveryRow,
  'id' | 'webhookId' | 'eventId' | 'changeSeq' | 'event' | 'recordId' | 'body' | 'redeliveryOf' | 'created'
> & { dedupKey: string; nextAt: number };

/** The outcome of one attempt, written with the delivery's new state. */
export interface AttemptOutcome {
  state: DeliveryState;
  nextAt: number;
  statusCode: number;
  durationMs: number;
  response: string;
  error: string;
  updated: string;
}

const decodeDelivery = (r: WebhookDeliveriesTable): DeliveryRow => ({
  id: r.id,
  webhookId: r.webhook_id,
  eventId: r.event_id,
  changeSeq: Number(r.change_seq),
  event: r.event,
  recordId: r.record_id,
  body: r.body,
  state: r.state as DeliveryState,
  attempts: Number(r.attempts),
  nextAt: Number(r.next_at),
  statusCode: Number(r.status_code),
  durationMs: Number(r.duration_ms),
  response: r.response,
  error: r.error,
  redeliveryOf: r.redelivery_of,
  created: r.created,
  updated: r.updated,
});

/**
 * Reads and writes `_webhook_deliveries` on either dialect: inserts deduplicated by key,
 * claims with leases, attempt outcomes, the delivery log and its retention. `box` opens the
 * secrets of the webhooks a claim hands out.
 */
export function createDeliveryStore(db: Database, box: SecretBox) {
  const qb = db.sys;
  const webhooks = qb.selectFrom('_webhooks').selectAll();
  return {
    /** Inserts deliveries; those whose dedup key exists already are skipped. */
    async insertDeliveries(rows: readonly NewDelivery[], ex: Executor = db): Promise<void> {
      if (!rows.length) return;
      await ex.run(
        qb
          .insertInto('_webhook_deliveries')
          .values(
            rows.map((d) => ({
              id: d.id,
              webhook_id: d.webhookId,
              dedup_key: d.dedupKey,
              event_id: d.eventId,
              change_seq: d.changeSeq,
              event: d.event,
              record_id: d.recordId,
              body: d.body,
              state: 'pending',
              attempts: 0,
              next_at: d.nextAt,
              lease_until: 0,
              lease_owner: '',
              status_code: 0,
              duration_ms: 0,
              response: '',
              error: '',
              redelivery_of: d.redeliveryOf,
              created: d.created,
              updated: d.created,
            })),
          )
          .onConflict((oc) => oc.column('dedup_key').doNothing()),
      );
    },

    /**
     * Takes up to `limit` pending deliveries of enabled webhooks that are due at `now` and
     * not leased, leasing them to `owner` until `leaseUntil`; each comes with its webhook.
     * On PostgreSQL rows another node is claiming are skipped (SKIP LOCKED), so no delivery
     * goes to two nodes; on SQLite the claim is one write of the single writer.
     */
    async claimDue(
      now: number,
      leaseUntil: number,
      owner: string,
      limit: number,
    ): Promise<{ delivery: DeliveryRow; webhook: WebhookRow }[]> {
      return db.transaction(async (tx) => {
        const due = db.filter.lockForClaim(
          qb
            .selectFrom('_webhook_deliveries')
            .select('id')
            .where('state', '=', 'pending')
            .where('next_at', '<=', now)
            .where('lease_until', '<', now)
            .where('webhook_id', 'in', qb.selectFrom('_webhooks').select('id').where('enabled', '=', 1))
            .orderBy('next_at')
            .orderBy('change_seq')
            .limit(limit),
        );
        const ids = (await tx.all(due)).map((r) => r.id);
        if (!ids.length) return [];
        await tx.run(
          qb
            .updateTable('_webhook_deliveries')
            .set({ lease_until: leaseUntil, lease_owner: owner, attempts: (eb) => eb('attempts', '+', 1) })
            .where('id', 'in', ids),
        );
        const rows = await tx.all(
          qb.selectFrom('_webhook_deliveries').selectAll().where('id', 'in', ids).orderBy('change_seq'),
        );
        const hooks = new Map<string, WebhookRow>();
        for (const w of await tx.all(webhooks.where('id', 'in', [...new Set(rows.map((r) => r.webhook_id))])))
          hooks.set(w.id, decodeWebhook(w, box));
        return rows.flatMap((r) => {
          const webhook = hooks.get(r.webhook_id);
          return webhook ? [{ delivery: decodeDelivery(r), webhook }] : [];
        });
      });
    },

    /** When the next free pending delivery of an enabled webhook comes due (epoch ms), if any. */
    async nextDue(): Promise<number | undefined> {
      const r = await db.first(
        qb
          .selectFrom('_webhook_deliveries')
          .select((eb) => eb.fn.min('next_at').as('at'))
          .where('state', '=', 'pending')
          .where('lease_until', '=', 0)
          .where('webhook_id', 'in', qb.selectFrom('_webhooks').select('id').where('enabled', '=', 1)),
      );
      return r?.at == null ? undefined : Number(r.at);
    },

    /** Writes an attempt's outcome and frees the lease, if `owner` still holds it; false otherwise. */
    async finishAttempt(id: string, owner: string, o: AttemptOutcome, ex: Executor = db): Promise<boolean> {
      const r = await ex.run(
        qb
          .updateTable('_webhook_deliveries')
          .set({
            state: o.state,
            next_at: o.nextAt,
            lease_until: 0,
            lease_owner: '',
            status_code: o.statusCode,
            duration_ms: o.durationMs,
            response: o.response,
            error: o.error,
            updated: o.updated,
          })
          .where('id', '=', id)
          .where('lease_owner', '=', owner),
      );
      return r.changes > 0;
    },

    async getDelivery(webhookId: string, id: string): Promise<DeliveryRow | undefined> {
      const r = await db.first(
        qb
          .selectFrom('_webhook_deliveries')
          .selectAll()
          .where('id', '=', id)
          .where('webhook_id', '=', webhookId),
      );
      return r && decodeDelivery(r);
    },

    /** A page of a webhook's deliveries, newest change first; `state` narrows them. */
    async listDeliveries(
      webhookId: string,
      page: { offset: number; limit: number; state?: DeliveryState | undefined },
    ): Promise<{ items: DeliveryRow[]; total: number }> {
      let base = qb.selectFrom('_webhook_deliveries').where('webhook_id', '=', webhookId);
      if (page.state) base = base.where('state', '=', page.state);
      const rows = await db.all(
        base
          .selectAll()
          .orderBy('change_seq', 'desc')
          .orderBy('created', 'desc')
          .orderBy('id', 'desc')
          .limit(page.limit)
          .offset(page.offset),
      );
      const count = await db.first(base.select((eb) => eb.fn.countAll<number>().as('n')));
      return { items: rows.map(decodeDelivery), total: Number(count?.n ?? 0) };
    },

    /** Deliveries by state (for /metrics). */
    async countByState(): Promise<{ state: string; n: number }[]> {
      const rows = await db.all(
        qb
          .selectFrom('_webhook_deliveries')
          .select((eb) => ['state', eb.fn.countAll<number>().as('n')])
          .groupBy('state'),
      );
      return rows.map((r) => ({ state: r.state, n: Number(r.n) }));
    },

    /**
     * Deletes finished deliveries last updated before `before` (a stored date), and those of
     * webhooks deleted while a change was being turned into them; returns how many.
     */
    async pruneDeliveries(before: string): Promise<number> {
      const r = await db.run(
        qb
          .deleteFrom('_webhook_deliveries')
          .where((eb) =>
            eb.or([
              eb.and([eb('state', '!=', 'pending'), eb('updated', '<', before)]),
              eb('webhook_id', 'not in', qb.selectFrom('_webhooks').select('id')),
            ]),
          ),
      );
      return r.changes;
    },
  };
}

/** The deliveries table (see createDeliveryStore). */
export type DeliveryStore = ReturnType<typeof createDeliveryStore>;
