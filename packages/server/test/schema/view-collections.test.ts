import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

type Row = Record<string, unknown>;

for (const dialect of DIALECTS) {
  describe(`view collections (${dialect})`, () => {
    let t: TestApp;
    const su = { token: 'superuser' };
    const ids: string[] = [];

    const viewRecords = async (name: string, sort = 'id') => {
      const res = await t.request('GET', `/api/collections/${name}/records?sort=${sort}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body;
    };

    before(async () => {
      t = await startTestApp(dialect);
      await t.createCollection({
        name: 'orders',
        fields: [
          { name: 'customer', type: 'text' },
          { name: 'amount', type: 'number' },
          { name: 'paid', type: 'bool' },
          { name: 'note', type: 'text' },
        ],
      });
      for (const [customer, amount, paid] of [
        ['ann', 5, false],
        ['ann', 20, true],
        ['bob', 50, true],
      ] as const) {
        const r = await t.request('POST', '/api/collections/orders/records', {
          ...su,
          body: { customer, amount, paid },
        });
        assert.equal(r.status, 200);
        ids.push(r.body.id);
      }
      ids.sort();
    });
    after(() => t.close());

    test('fields are inferred from the query columns', async () => {
      const res = await t.request('POST', '/api/collections', {
        ...su,
        body: {
          name: 'big_orders',
          type: 'view',
          listRule: '',
          viewRule: '',
          viewQuery: 'SELECT id, customer, amount AS total, paid FROM orders WHERE amount > 10',
        },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(
        res.body.fields.map((f: Row) => [f.name, f.type]),
        [
          ['id', 'text'],
          ['customer', 'text'],
          ['total', 'number'],
          ['paid', 'bool'],
        ],
      );
      assert.equal(res.body.fields.find((f: Row) => f.name === 'id').system, true);
      assert.deepEqual(res.body.indexes, []);
      assert.equal(res.body.createRule, null);
    });

    test('aggregates and casts get the types PocketBase gives them on both dialects', async () => {
      const res = await t.request('POST', '/api/collections', {
        ...su,
        body: {
          name: 'per_customer',
          type: 'view',
          viewQuery:
            'SELECT customer AS id, COUNT(*) AS n, CAST(COUNT(*) AS TEXT) AS top FROM orders GROUP BY customer',
        },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(
        res.body.fields.map((f: Row) => [f.name, f.type]),
        [
          ['id', 'text'],
          ['n', 'number'],
          ['top', 'text'],
        ],
      );
      const list = await t.request('GET', '/api/collections/per_customer/records?sort=id', su);
      assert.deepEqual(
        list.body.items.map((r: Row) => [r.id, r.n, r.top]),
        [
          ['ann', 2, '2'],
          ['bob', 1, '1'],
        ],
      );
      assert.equal((await t.request('DELETE', '/api/collections/per_customer', su)).status, 204);
    });

    test('lists and views the records of a view', async () => {
      const list = await viewRecords('big_orders');
      assert.equal(list.totalItems, 2);
      const collectionId = (await t.request('GET', '/api/collections/big_orders', su)).body.id;
      assert.deepEqual(
        list.items
          .map(({ id: _id, ...rest }: Row) => rest)
          .sort((a: Row, b: Row) => (a.total as number) - (b.total as number)),
        [
          { customer: 'ann', total: 20, paid: true, collectionId, collectionName: 'big_orders' },
          { customer: 'bob', total: 50, paid: true, collectionId, collectionName: 'big_orders' },
        ],
      );
      const one = list.items[0];
      const view = await t.request('GET', `/api/collections/big_orders/records/${one.id}`);
      assert.equal(view.status, 200);
      assert.deepEqual(view.body, one);
      const sorted = await viewRecords('big_orders', '-total');
      assert.deepEqual(
        sorted.items.map((r: Row) => r.total),
        [50, 20],
      );
      const missing = await t.request(
        'GET',
        `/api/collections/big_orders/records/${ids.find((id) => !list.items.some((r: Row) => r.id === id))}`,
      );
      assert.equal(missing.status, 404);
    });

    test('a view follows its source table through rebuilds and new records', async () => {
      // retyping a column the view does not use rebuilds the source table
      const orders = (await t.request('GET', '/api/collections/orders', su)).body;
      const res = await t.request('PATCH', '/api/collections/orders', {
        ...su,
        body: {
          fields: [
            ...orders.fields.map((f: Row) =>
              f.name === 'note' ? { id: f.id, name: 'note', type: 'number' } : f,
            ),
            { name: 'extra', type: 'text' },
          ],
        },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal((await viewRecords('big_orders')).totalItems, 2);
      const r = await t.request('POST', '/api/collections/orders/records', {
        ...su,
        body: { customer: 'cy', amount: 99, paid: false },
      });
      assert.equal(r.status, 200);
      const list = await viewRecords('big_orders');
      assert.equal(list.totalItems, 3);
      assert.deepEqual(
        list.items.find((x: Row) => x.id === r.body.id),
        {
          id: r.body.id,
          customer: 'cy',
          total: 99,
          paid: false,
          collectionId: list.items[0].collectionId,
          collectionName: 'big_orders',
        },
      );
      assert.equal(
        (await t.request('DELETE', `/api/collections/orders/records/${r.body.id}`, su)).status,
        204,
      );
    });

    test('changing the query re-infers the fields; renaming keeps the records', async () => {
      const res = await t.request('PATCH', '/api/collections/big_orders', {
        ...su,
        body: { name: 'paid_orders', viewQuery: 'SELECT id, customer FROM orders WHERE paid = TRUE' },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(
        res.body.fields.map((f: Row) => f.name),
        ['id', 'customer'],
      );
      const list = await viewRecords('paid_orders');
      assert.deepEqual(list.items.map((r: Row) => r.customer).sort(), ['ann', 'bob']);
      const old = await t.request('GET', '/api/collections/big_orders/records');
      assert.equal(old.status, 404);
    });

    test('a view is read-only', async () => {
      const id = (await viewRecords('paid_orders')).items[0].id;
      const unsupported = { data: {}, message: 'Unsupported collection type.', status: 400 };
      const create = await t.request('POST', '/api/collections/paid_orders/records', {
        ...su,
        body: { customer: 'x' },
      });
      assert.deepEqual(create.body, unsupported);
      const update = await t.request('PATCH', `/api/collections/paid_orders/records/${id}`, {
        ...su,
        body: { customer: 'x' },
      });
      assert.deepEqual(update.body, unsupported);
      const del = await t.request('DELETE', `/api/collections/paid_orders/records/${id}`, su);
      assert.deepEqual(del.body, unsupported);
      const rules = await t.request('PATCH', '/api/collections/paid_orders', {
        ...su,
        body: { updateRule: '' },
      });
      assert.deepEqual(rules.body, {
        data: { updateRule: { code: 'validation_nil', message: 'Must be blank.' } },
        message: 'Failed to update collection.',
        status: 400,
      });
      const idx = await t.request('PATCH', '/api/collections/paid_orders', {
        ...su,
        body: { indexes: ['CREATE INDEX idx_v ON paid_orders (customer)'] },
      });
      assert.deepEqual(idx.body.data, {
        indexes: {
          code: 'validation_indexes_not_supported',
          message: "View collections don't support indexes.",
        },
      });
    });

    test('a source collection a view reads from cannot be deleted', async () => {
      const res = await t.request('DELETE', '/api/collections/orders', su);
      assert.deepEqual(res.body, { data: {}, message: 'Failed to delete collection.', status: 400 });
      assert.equal((await viewRecords('paid_orders')).totalItems, 2);
      assert.equal((await t.request('DELETE', '/api/collections/paid_orders', su)).status, 204);
      assert.equal((await t.request('DELETE', '/api/collections/orders', su)).status, 204);
    });
  });
}
