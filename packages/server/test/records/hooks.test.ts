import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { BadRequestError } from '../../src/errors/api-error.ts';
import { asSystem } from '../../src/rules/viewer.ts';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { PUBLIC_RULES } from '../support/expect.ts';

for (const dialect of DIALECTS) {
  describe(`record hooks (${dialect})`, () => {
    let t: TestApp;
    // hooks a test registered, removed after it
    let removers: (() => void)[] = [];
    const hook = (remove: () => void) => removers.push(remove);
    before(async () => {
      t = await startTestApp(dialect);
      const orders = await t.createCollection({
        name: 'orders',
        ...PUBLIC_RULES,
        deleteRule: '',
        fields: [
          { name: 'title', type: 'text', required: true },
          { name: 'slug', type: 'text' },
        ],
      });
      await t.createCollection({
        name: 'audit',
        listRule: '',
        fields: [
          { name: 'order', type: 'relation', collectionId: orders.id, maxSelect: 1, cascadeDelete: true },
          { name: 'note', type: 'text' },
        ],
      });
    });
    afterEach(() => {
      for (const remove of removers) remove();
      removers = [];
    });
    after(() => t.close());

    const records = () => t.app.records;
    const titles = async (collection: string, field = 'title') =>
      (await records().asSystem().list(collection, { sort: field })).items.map((r) => r[field]);

    test('a before-hook changes the record, over the service and over HTTP', async () => {
      hook(
        records().hooks.beforeCreate('orders', (e) => {
          e.body.slug = String(e.body.title).toLowerCase().replaceAll(' ', '-');
        }),
      );
      hook(
        records().hooks.beforeUpdate('orders', (e) => {
          if (typeof e.body.title === 'string') e.body = { ...e.body, title: e.body.title.toUpperCase() };
        }),
      );
      const input = { title: 'First Order' };
      const created = await records().create('orders', input, { superuser: false });
      assert.equal(created.slug, 'first-order');
      // the caller's body is not touched: hooks work on a copy
      assert.deepEqual(input, { title: 'First Order' });
      const res = await t.request('POST', '/api/collections/orders/records', { body: { title: 'Via Http' } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.slug, 'via-http');
      const updated = await t.request('PATCH', `/api/collections/orders/records/${res.body.id}`, {
        body: { title: 'renamed' },
      });
      assert.equal(updated.body.title, 'RENAMED');
      assert.equal((await records().asSystem().view('orders', res.body.id)).title, 'RENAMED');
    });

    test('a hook for every collection, or one named by id, sees its collection', async () => {
      const seen: string[] = [];
      const orders = t.app.collections.get('orders');
      hook(records().hooks.beforeCreate('*', (e) => void seen.push(`*:${e.collection.name}`)));
      hook(records().hooks.beforeCreate(orders.id, (e) => void seen.push(`id:${e.collection.name}`)));
      await records().asSystem().create('orders', { title: 'x' });
      await records().asSystem().create('audit', { note: 'y' });
      assert.deepEqual(seen, ['*:orders', 'id:orders', '*:audit']);
    });

    test('a before-hook aborts with a 400 that reaches the client in PocketBase shape', async () => {
      hook(
        records().hooks.beforeCreate('orders', (e) => {
          if (e.body.title === 'forbidden')
            throw new BadRequestError('Orders may not be called that.', {
              title: { code: 'validation_reserved', message: 'Reserved title.' },
            });
        }),
      );
      const before = await titles('orders');
      const res = await t.request('POST', '/api/collections/orders/records', {
        body: { title: 'forbidden' },
      });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, {
        status: 400,
        message: 'Orders may not be called that.',
        data: { title: { code: 'validation_reserved', message: 'Reserved title.' } },
      });
      await assert.rejects(records().asSystem().create('orders', { title: 'forbidden' }), BadRequestError);
      assert.deepEqual(await titles('orders'), before);
    });

    test('a beforeDelete hook refuses a delete', async () => {
      const order = await records().asSystem().create('orders', { title: 'keep me' });
      hook(
        records().hooks.beforeDelete('orders', async (e) => {
          const current = await e.records.findById(e.collection, e.id);
          if (current?.title === 'keep me') throw new BadRequestError('This order stays.');
        }),
      );
      const res = await t.request('DELETE', `/api/collections/orders/records/${order.id}`);
      assert.deepEqual([res.status, res.body.message], [400, 'This order stays.']);
      assert.equal((await records().asSystem().view('orders', String(order.id))).title, 'keep me');
    });

    test('an after-hook writes a related record atomically; when it throws, neither write stays', async () => {
      hook(
        records().hooks.afterCreate('orders', async (e) => {
          // inside the transaction: the new order is visible through the tx handle
          const self = await e.records.findById(e.collection, String(e.record.id));
          assert.equal(self?.title, e.record.title);
          await e.records
            .asSystem()
            .create('audit', { order: e.record.id, note: `created ${e.record.title}` });
          if (e.record.title === 'boom') throw new Error('after-hook failed');
        }),
      );
      const ok = await t.request('POST', '/api/collections/orders/records', { body: { title: 'audited' } });
      assert.equal(ok.status, 200);
      const audit = await records()
        .asSystem()
        .list('audit', { filter: `order = "${ok.body.id}"` });
      assert.deepEqual(
        audit.items.map((r) => r.note),
        ['created audited'],
      );
      const ordersBefore = await titles('orders');
      const auditBefore = await titles('audit', 'note');
      await assert.rejects(records().asSystem().create('orders', { title: 'boom' }), /after-hook failed/);
      const res = await t.request('POST', '/api/collections/orders/records', { body: { title: 'boom' } });
      assert.equal(res.status, 500);
      assert.deepEqual(await titles('orders'), ordersBefore);
      assert.deepEqual(await titles('audit', 'note'), auditBefore);
    });

    test('afterUpdate sees the previous record; afterDelete runs for cascaded deletes too', async () => {
      const changes: string[] = [];
      hook(
        records().hooks.afterUpdate('orders', (e) => {
          changes.push(`update ${String(e.previous.title)} -> ${String(e.record.title)}`);
        }),
      );
      hook(records().hooks.afterDelete('*', (e) => void changes.push(`delete ${e.collection.name}`)));
      const order = await records().asSystem().create('orders', { title: 'old' });
      await records().asSystem().create('audit', { order: order.id, note: 'n' });
      await records().asSystem().update('orders', String(order.id), { title: 'new' });
      await records().asSystem().delete('orders', String(order.id));
      assert.deepEqual(changes, ['update old -> new', 'delete orders', 'delete audit']);
    });

    test('hooks run inside a batch; an after-hook failure rolls the whole batch back', async () => {
      hook(
        records().hooks.beforeCreate('orders', (e) => {
          e.body.slug = `batch-${String(e.body.title)}`;
        }),
      );
      hook(
        records().hooks.afterCreate('orders', async (e) => {
          if (e.record.title === 'bad') throw new BadRequestError('No bad orders.');
          await e.records.asSystem().create('audit', { order: e.record.id, note: `batch ${e.record.title}` });
        }),
      );
      const ok = await t.request('POST', '/api/batch', {
        token: 'superuser',
        body: {
          requests: [
            { method: 'POST', url: '/api/collections/orders/records', body: { title: 'b1' } },
            { method: 'POST', url: '/api/collections/orders/records', body: { title: 'b2' } },
          ],
        },
      });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.deepEqual(
        ok.body.map((r: { body: { slug: string } }) => r.body.slug),
        ['batch-b1', 'batch-b2'],
      );
      const notes = await titles('audit', 'note');
      assert.ok(notes.includes('batch b1') && notes.includes('batch b2'), JSON.stringify(notes));
      const ordersBefore = await titles('orders');
      const auditBefore = await titles('audit', 'note');
      const bad = await t.request('POST', '/api/batch', {
        token: 'superuser',
        body: {
          requests: [
            { method: 'POST', url: '/api/collections/orders/records', body: { title: 'b3' } },
            { method: 'POST', url: '/api/collections/orders/records', body: { title: 'bad' } },
          ],
        },
      });
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.body.data.requests[1].response, {
        status: 400,
        message: 'No bad orders.',
        data: {},
      });
      assert.deepEqual(await titles('orders'), ordersBefore);
      assert.deepEqual(await titles('audit', 'note'), auditBefore);
    });

    test('an upsert runs the before-hook of the action it takes', async () => {
      const seen: string[] = [];
      hook(records().hooks.beforeCreate('orders', (e) => void seen.push(`create ${String(e.body.title)}`)));
      hook(records().hooks.beforeUpdate('orders', (e) => void seen.push(`update ${e.id}`)));
      const id = 'upsertorder0001';
      const res = await t.request('POST', '/api/batch', {
        token: 'superuser',
        body: {
          requests: [
            { method: 'PUT', url: '/api/collections/orders/records', body: { id, title: 'u1' } },
            { method: 'PUT', url: '/api/collections/orders/records', body: { id, title: 'u2' } },
          ],
        },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(seen, ['create u1', `update ${id}`]);
      assert.equal((await records().asSystem().view('orders', id)).title, 'u2');
    });

    test('50 concurrent writes whose after-hook writes a related record all commit, none deadlocks', async () => {
      hook(
        records().hooks.afterCreate('orders', async (e) => {
          if (String(e.record.title).startsWith('load-'))
            await e.records
              .asSystem()
              .create('audit', { order: e.record.id, note: `load ${e.record.title}` });
        }),
      );
      const made = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          records()
            .asSystem()
            .create('orders', { title: `load-${i}` }),
        ),
      );
      const audit = await records().asSystem().list('audit', { filter: 'note ~ "load load-"', perPage: 100 });
      assert.equal(made.length, 50);
      assert.equal(audit.totalItems, 50);
    });

    test('afterCommit hears committed changes only', async () => {
      const heard: string[] = [];
      hook(records().hooks.afterCommit('orders', (c) => void heard.push(`${c.action} ${c.record.title}`)));
      hook(
        records().hooks.afterCreate('orders', (e) => {
          if (e.record.title === 'rolled back') throw new Error('no');
        }),
      );
      await assert.rejects(records().asSystem().create('orders', { title: 'rolled back' }));
      await records().asSystem().create('orders', { title: 'committed' });
      await records().asSystem().create('audit', { note: 'other collection' });
      await records().asSystem().create('orders', { title: 'last' });
      // after-commit hooks run after the write answered (from the change log): wait for the last
      while (!heard.includes('create last')) await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual(heard, ['create committed', 'create last']);
    });

    test('system viewers pass every rule; asSystem() is the system viewer', async () => {
      assert.equal(asSystem().superuser, true);
      // audit has no createRule: only the system (or a superuser) may create
      await assert.rejects(records().create('audit', { note: 'x' }, { superuser: false }), /Only superusers/);
      const made = await records().asSystem().create('audit', { note: 'x' });
      assert.equal(made.note, 'x');
    });
  });
}
