import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { createApp } from '../../../src/app.ts';
import { DIALECTS, silentLogger, startTestApp, type TestApp } from '../../support/app.ts';
import {
  startWebhookReceiver,
  verifyStandardSignature,
  type WebhookReceiver,
} from '../../support/webhook-receiver.ts';

for (const dialect of DIALECTS) {
  describe(`webhook deliveries (${dialect})`, () => {
    let t: TestApp;
    let rx: WebhookReceiver;
    before(async () => {
      t = await startTestApp(dialect, { webhooksAllowPrivate: true });
      rx = await startWebhookReceiver();
      await t.createCollection({
        name: 'orders',
        fields: [
          { name: 'status', type: 'text' },
          { name: 'total', type: 'number' },
          { name: 'note', type: 'text', hidden: true },
        ],
      });
    });
    after(async () => {
      await t.close();
      await rx.close();
    });
    afterEach(async () => {
      for (const w of (await t.request('GET', '/api/webhooks', { token: 'superuser' })).body)
        await t.request('DELETE', `/api/webhooks/${w.id}`, { token: 'superuser' });
      rx.received.length = 0;
      rx.inbox.items.length = 0;
    });

    const hook = async (body: Record<string, unknown>) => {
      const res = await t.request('POST', '/api/webhooks', {
        token: 'superuser',
        body: { collection: 'orders', url: rx.url, ...body },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body as { id: string; secret: string };
    };
    const orders = () => t.app.records.asSystem();

    test('a create is delivered once, signed the Standard Webhooks way, with the record minus hidden fields', async () => {
      const w = await hook({ events: ['create'] });
      const order = await orders().create('orders', { status: 'new', total: 12, note: 'secret note' });
      const got = await rx.inbox.next();
      assert.ok(verifyStandardSignature(w.secret, got), 'the signature verifies');
      assert.ok(!verifyStandardSignature(`whsec_${Buffer.alloc(32).toString('base64')}`, got));
      assert.ok(!verifyStandardSignature(w.secret, { ...got, body: got.body.replace('12', '13') }));
      assert.match(got.headers['webhook-id']!, /^evt_[a-z0-9]+_\d+$/);
      assert.ok(Math.abs(Number(got.headers['webhook-timestamp']) - Date.now() / 1000) < 60);
      assert.equal(got.headers['content-type'], 'application/json');
      const { seq, created, record, ...rest } = got.json;
      assert.deepEqual(rest, {
        type: 'record.create',
        event: 'create',
        collection: 'orders',
        collectionId: t.app.collections.get('orders').id,
        webhookId: w.id,
      });
      assert.ok(Number.isInteger(seq) && seq > 0);
      assert.deepEqual(record, {
        collectionId: t.app.collections.get('orders').id,
        collectionName: 'orders',
        id: order.id,
        status: 'new',
        total: 12,
      });
      await t.app.webhooks.deliverDue();
      const log = await t.request('GET', `/api/webhooks/${w.id}/deliveries`, { token: 'superuser' });
      assert.equal(log.status, 200);
      assert.deepEqual(
        log.body.items.map((d: any) => [
          d.status,
          d.attempts,
          d.statusCode,
          d.response,
          d.error,
          d.seq,
          d.eventId,
        ]),
        [['succeeded', 1, 200, 'answer 200', '', seq, got.headers['webhook-id']]],
      );
      assert.equal(rx.received.length, 1);
      await t.request('DELETE', `/api/webhooks/${w.id}`, { token: 'superuser' });
      rx.received.length = 0;
    });

    test('the filter is judged on the logged record: a match is delivered, a non-match is not', async () => {
      const w = await hook({
        events: ['create', 'update', 'delete'],
        filter: "status = 'paid' && total > 10",
      });
      const cheap = await orders().create('orders', { status: 'paid', total: 5 });
      const unpaid = await orders().create('orders', { status: 'new', total: 50 });
      const paid = await orders().create('orders', { status: 'paid', total: 50 });
      await orders().update('orders', String(unpaid.id), { status: 'paid' });
      await orders().delete('orders', String(paid.id));
      const seen = [await rx.inbox.next(), await rx.inbox.next(), await rx.inbox.next()];
      assert.deepEqual(
        seen.map((h) => [h.json.event, h.json.record.id]),
        [
          ['create', paid.id],
          ['update', unpaid.id],
          ['delete', paid.id],
        ],
      );
      // the non-matching changes came before these in commit order: nothing more is on its way
      await t.app.webhooks.deliverDue();
      assert.equal(rx.received.length, 3);
      assert.ok(!seen.some((h) => h.json.record.id === cheap.id));
      await t.request('DELETE', `/api/webhooks/${w.id}`, { token: 'superuser' });
      rx.received.length = 0;
    });

    test('a rolled-back write delivers nothing', async () => {
      const w = await hook({ events: ['create'] });
      await assert.rejects(
        t.app.records.inTransaction(async (r) => {
          await r.asSystem().create('orders', { status: 'rolled back', total: 1 });
          throw new Error('abort');
        }),
        /abort/,
      );
      const kept = await orders().create('orders', { status: 'kept', total: 1 });
      const got = await rx.inbox.next();
      assert.equal(got.json.record.id, kept.id);
      await t.app.webhooks.deliverDue();
      assert.deepEqual(
        rx.received.map((h) => h.json.record.status),
        ['kept'],
      );
      await t.request('DELETE', `/api/webhooks/${w.id}`, { token: 'superuser' });
      rx.received.length = 0;
    });

    test('a redelivery is a new delivery with the same body and webhook-id, linked to the original', async () => {
      const w = await hook({ events: ['create'] });
      await orders().create('orders', { status: 'again', total: 3 });
      const first = await rx.inbox.next();
      await t.app.webhooks.deliverDue();
      const log = await t.request('GET', `/api/webhooks/${w.id}/deliveries`, { token: 'superuser' });
      const original = log.body.items[0];
      const redo = await t.request('POST', `/api/webhooks/${w.id}/deliveries/${original.id}/redeliver`, {
        token: 'superuser',
      });
      assert.equal(redo.status, 200, JSON.stringify(redo.body));
      assert.deepEqual(
        [redo.body.redeliveryOf, redo.body.eventId, redo.body.seq],
        [original.id, original.eventId, original.seq],
      );
      const second = await rx.inbox.next();
      assert.equal(second.body, first.body);
      assert.equal(second.headers['webhook-id'], first.headers['webhook-id']);
      assert.ok(verifyStandardSignature(w.secret, second));
      await t.app.webhooks.deliverDue();
      const after = await t.request('GET', `/api/webhooks/${w.id}/deliveries?status=succeeded`, {
        token: 'superuser',
      });
      assert.deepEqual(
        after.body.items.map((d: any) => [d.id, d.redeliveryOf]),
        [
          [redo.body.id, original.id],
          [original.id, ''],
        ],
      );
      await t.request('DELETE', `/api/webhooks/${w.id}`, { token: 'superuser' });
      rx.received.length = 0;
    });

    test('the delivery log pages newest change first and filters by status', async () => {
      const w = await hook({ events: ['create'] });
      const made = [];
      for (let i = 0; i < 5; i++) made.push(await orders().create('orders', { status: `p${i}`, total: i }));
      for (let i = 0; i < 5; i++) await rx.inbox.next();
      await t.app.webhooks.deliverDue();
      const page = await t.request('GET', `/api/webhooks/${w.id}/deliveries?perPage=2&page=2`, {
        token: 'superuser',
      });
      assert.deepEqual(
        [page.body.page, page.body.perPage, page.body.totalItems, page.body.totalPages],
        [2, 2, 5, 3],
      );
      assert.deepEqual(
        page.body.items.map((d: any) => d.recordId),
        [made[2]!.id, made[1]!.id],
      );
      const pending = await t.request('GET', `/api/webhooks/${w.id}/deliveries?status=pending`, {
        token: 'superuser',
      });
      assert.deepEqual([pending.body.totalItems, pending.body.items], [0, []]);
      await t.request('DELETE', `/api/webhooks/${w.id}`, { token: 'superuser' });
      rx.received.length = 0;
    });

    test('/metrics counts attempts and deliveries by outcome', async () => {
      const scrape = async () => {
        const text = (await t.request('GET', '/metrics', { token: 'superuser' })).body as string;
        const value = (series: string) => {
          const line = text.split('\n').find((l) => l.startsWith(`${series} `));
          assert.ok(line, `${series} is missing`);
          return Number(line.slice(series.length + 1));
        };
        return {
          attempts: value('forgebase_webhook_attempts_total{outcome="succeeded"}'),
          failedAttempts: value('forgebase_webhook_attempts_total{outcome="failed"}'),
          delivered: value('forgebase_webhook_deliveries_total{outcome="succeeded"}'),
          timed: value('forgebase_webhook_attempt_seconds_count'),
          pending: value('forgebase_webhook_deliveries{state="pending"}'),
          succeeded: value('forgebase_webhook_deliveries{state="succeeded"}'),
        };
      };
      const before = await scrape();
      await hook({ events: ['create'] });
      await orders().create('orders', { status: 'counted', total: 1 });
      await rx.inbox.next();
      await t.app.webhooks.deliverDue();
      const after = await scrape();
      assert.deepEqual(
        {
          attempts: after.attempts - before.attempts,
          failedAttempts: after.failedAttempts - before.failedAttempts,
          delivered: after.delivered - before.delivered,
          timed: after.timed - before.timed,
          pending: after.pending,
          succeeded: after.succeeded,
        },
        { attempts: 1, failedAttempts: 0, delivered: 1, timed: 1, pending: 0, succeeded: 1 },
      );
    });

    test('a change committed while the consumer is down is delivered after a restart (durable cursor)', async () => {
      const t2 = await startTestApp(dialect, { webhooksAllowPrivate: true });
      try {
        await t2.createCollection({ name: 'orders', fields: [{ name: 'status', type: 'text' }] });
        const res = await t2.request('POST', '/api/webhooks', {
          token: 'superuser',
          body: { collection: 'orders', url: rx.url, events: ['create'] },
        });
        // the consumer stops (as in a crash) after the write committed, before its delivery row
        await t2.app.webhooks.stop();
        const order = await t2.app.records.asSystem().create('orders', { status: 'while down' });
        await t2.app.stop();
        const again = await createApp(t2.config, { logger: silentLogger() });
        try {
          await again.start();
          const got = await rx.inbox.next();
          assert.deepEqual([got.json.record.id, got.json.webhookId], [order.id, res.body.id]);
          assert.ok(verifyStandardSignature(res.body.secret, got));
          await again.webhooks.deliverDue();
          assert.equal(rx.received.length, 1);
        } finally {
          await again.stop();
        }
      } finally {
        await t2.close();
      }
    });
  });
}
