import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type App, createApp } from '../../../src/app.ts';
import { silentLogger, startTestApp, type TestApp } from '../../support/app.ts';
import {
  startWebhookReceiver,
  verifyStandardSignature,
  type WebhookReceiver,
} from '../../support/webhook-receiver.ts';

// Two nodes on one PostgreSQL schema: both consume the change log and both claim deliveries.
describe('webhook deliveries across nodes (postgres)', () => {
  let t: TestApp;
  let nodeB: App;
  let rx: WebhookReceiver;
  before(async () => {
    t = await startTestApp('postgres', { webhooksAllowPrivate: true });
    await t.createCollection({ name: 'orders', fields: [{ name: 'n', type: 'number' }] });
    nodeB = await createApp(t.config, { logger: silentLogger() });
    await nodeB.start();
    rx = await startWebhookReceiver();
  });
  after(async () => {
    await nodeB.stop();
    await t.close();
    await rx.close();
  });

  test('every change written on either node is sent exactly once', async () => {
    const made = await t.request('POST', '/api/webhooks', {
      token: 'superuser',
      body: { collection: 'orders', url: rx.url, events: ['create', 'update'] },
    });
    const N = 40;
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < N; i++) {
      const node = i % 2 === 0 ? t.app : nodeB;
      writes.push(node.records.asSystem().create('orders', { n: i }));
    }
    await Promise.all(writes);
    for (let i = 0; i < N; i++) await rx.inbox.next(10_000);
    // both nodes idle: whatever either had claimed has been sent and recorded
    await Promise.all([t.app.webhooks.deliverDue(), nodeB.webhooks.deliverDue()]);
    const ids = rx.received.map((h) => h.headers['webhook-id']);
    assert.equal(ids.length, N);
    assert.equal(new Set(ids).size, N);
    assert.deepEqual(
      rx.received.map((h) => h.json.record.n).sort((a, b) => a - b),
      Array.from({ length: N }, (_, i) => i),
    );
    assert.ok(rx.received.every((h) => verifyStandardSignature(made.body.secret, h)));
    const page = await nodeB.webhooks.deliveries(made.body.id, { perPage: 100 });
    assert.equal(page.totalItems, N);
    assert.ok(page.items.every((d) => d.status === 'succeeded' && d.attempts === 1));
  });
});
