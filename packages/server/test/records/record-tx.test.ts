import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NotFoundError, ValidationError } from '../../src/errors/api-error.ts';
import { asSystem } from '../../src/rules/viewer.ts';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

// records.inTransaction / records.withTx: PocketBase's txApp
for (const dialect of DIALECTS) {
  describe(`records in one transaction (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
      await t.createCollection({
        name: 'accounts',
        indexes: ['CREATE UNIQUE INDEX idx_accounts_name ON accounts (name)'],
        fields: [
          { name: 'name', type: 'text', required: true },
          { name: 'balance', type: 'number' },
        ],
      });
    });
    after(() => t.close());

    const system = asSystem();
    const names = async () =>
      (await t.app.records.asSystem().list('accounts', { sort: 'name' })).items.map((r) => r.name);

    test('reads inside see the writes inside; outside sees them only after commit', async () => {
      const { records } = t.app;
      const id = await records.inTransaction(async (r) => {
        const a = await r.create('accounts', { name: 'alice', balance: 10 }, system);
        await r.update('accounts', String(a.id), { 'balance+': 5 }, system);
        assert.equal((await r.view('accounts', String(a.id), system)).balance, 15);
        assert.equal((await r.findById(t.app.collections.get('accounts'), String(a.id)))?.balance, 15);
        assert.equal((await r.list('accounts', { filter: 'name = "alice"' }, system)).totalItems, 1);
        // the database outside the transaction does not see it yet
        await assert.rejects(records.view('accounts', String(a.id), system), NotFoundError);
        return String(a.id);
      });
      assert.equal((await records.view('accounts', id, system)).balance, 15);
    });

    test('a throw rolls back every write of the transaction', async () => {
      const before = await names();
      await assert.rejects(
        t.app.records.inTransaction(async (r) => {
          await r.create('accounts', { name: 'bob' }, system);
          await r.asSystem().create('accounts', { name: 'carol' });
          throw new Error('changed my mind');
        }),
        /changed my mind/,
      );
      assert.deepEqual(await names(), before);
    });

    test('a failed write that is caught leaves the transaction usable (a savepoint)', async () => {
      await t.app.records.asSystem().create('accounts', { name: 'dave' });
      await t.app.records.inTransaction(async (r) => {
        // a unique violation: on PostgreSQL this would abort the whole transaction without a savepoint
        await assert.rejects(r.create('accounts', { name: 'dave' }, system), ValidationError);
        await r.create('accounts', { name: 'erin' }, system);
      });
      const all = await names();
      assert.ok(all.includes('erin'), JSON.stringify(all));
      assert.equal(all.filter((n) => n === 'dave').length, 1);
    });

    test('withTx binds the record methods to a transaction opened on the database', async () => {
      const before = await names();
      await assert.rejects(
        t.app.db.transaction(async (tx) => {
          await t.app.records.withTx(tx).create('accounts', { name: 'frank' }, system);
          assert.equal(t.app.records.withTx(tx), t.app.records.withTx(tx));
          throw new Error('undo');
        }),
        /undo/,
      );
      assert.deepEqual(await names(), before);
      await t.app.db.transaction((tx) =>
        t.app.records.withTx(tx).asSystem().create('accounts', { name: 'gina' }),
      );
      assert.ok((await names()).includes('gina'));
    });
  });
}
