import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AUTO_DISABLE_AFTER,
  FIRST_RETRY_MS,
  MAX_ATTEMPTS,
  POLL_MS,
  RETRY_JITTER,
} from '../../../src/jobs/webhooks/webhook-deliverer.ts';
import { DIALECTS, startTestApp, type TestApp } from '../../support/app.ts';
import { createManualClock, type ManualClock } from '../../support/clock.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhook-receiver.ts';

for (const dialect of DIALECTS) {
  describe(`webhook retries and auto-disable (${dialect})`, () => {
    let t: TestApp;
    let rx: WebhookReceiver;
    let clock: ManualClock;
    before(async () => {
      clock = createManualClock();
      t = await startTestApp(dialect, { webhooksAllowPrivate: true }, { clock });
      rx = await startWebhookReceiver({ at: clock.now });
      await t.createCollection({ name: 'orders', fields: [{ name: 'status', type: 'text' }] });
    });
    after(async () => {
      await t.close();
      await rx.close();
    });

    const deliveries = async (id: string) =>
      (await t.request('GET', `/api/webhooks/${id}/deliveries?perPage=100`, { token: 'superuser' })).body
        .items;
    const webhook = async (id: string) =>
      (await t.request('GET', `/api/webhooks/${id}`, { token: 'superuser' })).body;
    /** A new webhook on `orders` and its first delivery (of a record with `status`), which the receiver answered `answer`. */
    const firstAttempt = async (answer: number, status: string): Promise<string> => {
      rx.status = answer;
      rx.received.length = 0;
      rx.inbox.items.length = 0;
      const made = await t.request('POST', '/api/webhooks', {
        token: 'superuser',
        body: { collection: 'orders', url: rx.url, events: ['create'] },
      });
      await t.app.records.asSystem().create('orders', { status });
      await rx.inbox.next();
      await t.app.webhooks.deliverDue();
      return made.body.id;
    };

    test('a failing receiver is retried with backoff, fails after the last attempt, and 5 such deliveries disable the webhook', async () => {
      rx.status = 500;
      const made = await t.request('POST', '/api/webhooks', {
        token: 'superuser',
        body: { collection: 'orders', url: rx.url, events: ['create'] },
      });
      const id = made.body.id;
      for (let i = 0; i < AUTO_DISABLE_AFTER; i++)
        await t.app.records.asSystem().create('orders', { status: `o${i}` });
      for (let i = 0; i < AUTO_DISABLE_AFTER; i++) await rx.inbox.next();
      await t.app.webhooks.deliverDue();
      const first = await deliveries(id);
      assert.deepEqual(
        first.map((d: any) => [d.status, d.attempts, d.statusCode, d.error, d.response]),
        Array(AUTO_DISABLE_AFTER).fill(['pending', 1, 500, 'the receiver answered 500', 'answer 500']),
      );
      for (const d of first) {
        const wait = Date.parse(d.nextAttempt) - clock.now();
        assert.ok(wait >= FIRST_RETRY_MS && wait <= FIRST_RETRY_MS * (1 + RETRY_JITTER), String(wait));
      }
      // each retry waits 4 times longer than the one before: step the clock past each wait
      for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) {
        await clock.advance(Math.ceil(FIRST_RETRY_MS * 4 ** (attempt - 1) * (1 + RETRY_JITTER)) + POLL_MS);
        assert.equal(rx.received.length, AUTO_DISABLE_AFTER * (attempt + 1), `after retry ${attempt}`);
      }
      const eventId = rx.received[0]!.headers['webhook-id'];
      const times = rx.received.filter((h) => h.headers['webhook-id'] === eventId).map((h) => h.at);
      assert.equal(times.length, MAX_ATTEMPTS);
      for (let i = 1; i < times.length; i++) {
        const base = FIRST_RETRY_MS * 4 ** (i - 1);
        const gap = times[i]! - times[i - 1]!;
        assert.ok(gap >= base && gap <= base * (1 + RETRY_JITTER) + POLL_MS, `gap ${i}: ${gap}`);
      }
      const last = await deliveries(id);
      assert.deepEqual(
        last.map((d: any) => [d.status, d.attempts, d.nextAttempt]),
        Array(AUTO_DISABLE_AFTER).fill(['failed', MAX_ATTEMPTS, '']),
      );
      const off = await webhook(id);
      assert.deepEqual(
        [off.enabled, off.failures, off.disabledReason],
        [
          false,
          AUTO_DISABLE_AFTER,
          `${AUTO_DISABLE_AFTER} deliveries in a row failed after ${MAX_ATTEMPTS} attempts`,
        ],
      );
      // nothing goes out while disabled, not even a redelivery (it waits for the webhook)
      rx.status = 200;
      const redo = await t.request('POST', `/api/webhooks/${id}/deliveries/${last[0].id}/redeliver`, {
        token: 'superuser',
      });
      assert.equal(redo.status, 200);
      const sent = rx.received.length;
      rx.inbox.items.length = 0;
      await t.app.webhooks.deliverDue();
      await clock.advance(POLL_MS);
      assert.equal(rx.received.length, sent);
      // PATCH enabled: true turns it on again and ends its run of failures
      const on = await t.request('PATCH', `/api/webhooks/${id}`, {
        token: 'superuser',
        body: { enabled: true },
      });
      assert.deepEqual([on.body.enabled, on.body.failures, on.body.disabledReason], [true, 0, '']);
      const got = await rx.inbox.next();
      assert.equal(got.headers['webhook-id'], last[0].eventId);
      await t.app.webhooks.deliverDue();
      const after = (await deliveries(id)).find((d: any) => d.id === redo.body.id);
      assert.deepEqual([after.status, after.attempts, after.redeliveryOf], ['succeeded', 1, last[0].id]);
      await t.request('DELETE', `/api/webhooks/${id}`, { token: 'superuser' });
    });

    test('a 410 Gone fails the delivery at once and disables the webhook', async () => {
      const id = await firstAttempt(410, 'gone');
      const [d] = await deliveries(id);
      assert.deepEqual([d.status, d.attempts, d.statusCode], ['failed', 1, 410]);
      const w = await webhook(id);
      assert.deepEqual([w.enabled, w.disabledReason], [false, 'the receiver answered 410 Gone']);
      await clock.advance(FIRST_RETRY_MS * 2);
      assert.equal(rx.received.length, 1);
    });

    test('a delivery another node leased and never finished is sent once its lease ran out', async () => {
      const id = await firstAttempt(500, 'leased');
      // its retry is due in 10 to 12 s; a node that claimed it then and died leaves it leased
      const { db } = t.app;
      const leasedUntil = clock.now() + 60_000;
      await db.run(
        db.sys
          .updateTable('_webhook_deliveries')
          .set({ lease_until: leasedUntil, lease_owner: 'a-dead-node' })
          .where('webhook_id', '=', id),
      );
      rx.status = 200;
      await clock.advance(FIRST_RETRY_MS * (1 + RETRY_JITTER) + POLL_MS);
      await t.app.webhooks.deliverDue();
      assert.equal(rx.received.length, 1, 'not sent again while the lease holds');
      await clock.advance(leasedUntil - clock.now() + POLL_MS);
      await t.app.webhooks.deliverDue();
      assert.equal(rx.received.length, 2);
      const [d] = (await t.app.webhooks.deliveries(id, {})).items;
      assert.deepEqual([d?.status, d?.attempts, d?.statusCode], ['succeeded', 2, 200]);
      await t.request('DELETE', `/api/webhooks/${id}`, { token: 'superuser' });
    });

    test('finished deliveries older than the retention are pruned by the cleanup cron', async () => {
      const id = await firstAttempt(200, 'to prune');
      const kept = () => t.app.webhooks.deliveries(id, {}).then((p) => p.totalItems);
      assert.equal(await kept(), 1);
      await clock.advance(6 * 86_400_000);
      assert.equal(await kept(), 1);
      await clock.advance(2 * 86_400_000);
      assert.equal(await kept(), 0);
    });
  });
}
