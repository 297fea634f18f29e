import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

for (const dialect of DIALECTS) {
  describe(`aggregate (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
      await t.createCollection({
        name: 'sales',
        listRule: 'hidden = false',
        fields: [
          { name: 'region', type: 'text' },
          { name: 'amount', type: 'number' },
          { name: 'hidden', type: 'bool' },
          { name: 'day', type: 'date' },
        ],
      });
      for (const [region, amount, hidden, day] of [
        ['north', 10, false, '2024-01-01'],
        ['north', 30, false, '2024-03-01'],
        ['south', 5, false, '2024-02-01'],
        ['south', 100, true, '2024-04-01'],
      ] as const) {
        const res = await t.request('POST', '/api/collections/sales/records', {
          token: 'superuser',
          body: { region, amount, hidden, day },
        });
        assert.equal(res.status, 200);
      }
    });
    after(() => t.close());

    const agg = (q: string, token?: string) =>
      t.request('GET', `/api/collections/sales/aggregate?${q}`, token ? { token } : {});

    test('groups, counts and averages over what the listRule lets through', async () => {
      const res = await agg('groupBy=region&fields=count(),sum(amount),avg(amount),max(day)');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body, {
        items: [
          { region: 'north', count: 2, sum_amount: 40, avg_amount: 20, max_day: '2024-03-01 00:00:00.000Z' },
          { region: 'south', count: 1, sum_amount: 5, avg_amount: 5, max_day: '2024-02-01 00:00:00.000Z' },
        ],
      });
    });

    test('a superuser sees every record; filters narrow like list', async () => {
      const all = await agg('fields=count(),min(amount),max(amount)', 'superuser');
      assert.deepEqual(all.body, { items: [{ count: 4, min_amount: 5, max_amount: 100 }] });
      const filtered = await agg(
        `fields=count()&filter=${encodeURIComponent("region = 'north' && amount > 15")}`,
      );
      assert.deepEqual(filtered.body, { items: [{ count: 1 }] });
    });

    test('group values come back in their field type', async () => {
      const res = await agg('groupBy=hidden&fields=count()', 'superuser');
      assert.deepEqual(res.body, {
        items: [
          { hidden: false, count: 3 },
          { hidden: true, count: 1 },
        ],
      });
    });

    test('bad aggregates are 400s naming the problem', async () => {
      for (const q of [
        'fields=median(amount)',
        'fields=sum(region)',
        'fields=avg()',
        'groupBy=nope',
        'fields=count(nope)',
      ]) {
        const res = await agg(q);
        assert.equal(res.status, 400, q);
        assert.equal(
          Object.values(res.body.data as Record<string, { code: string }>)[0]?.code,
          'validation_invalid_aggregate',
          q,
        );
      }
    });
  });
}
