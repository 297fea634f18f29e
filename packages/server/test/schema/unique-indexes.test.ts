import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { NOT_UNIQUE } from '../support/expect.ts';

for (const dialect of DIALECTS) {
  describe(`unique indexes (${dialect})`, () => {
    let t: TestApp;
    const su = { token: 'superuser' };

    const setIndexes = (indexes: string[]) =>
      t.request('PATCH', '/api/collections/people', { ...su, body: { indexes } });
    const insert = (body: Record<string, unknown>) =>
      t.request('POST', '/api/collections/people/records', { ...su, body });

    before(async () => {
      t = await startTestApp(dialect);
      await t.createCollection({
        name: 'people',
        fields: [
          { name: 'nick', type: 'text' },
          { name: 'team', type: 'text' },
        ],
      });
    });
    after(() => t.close());

    test('adding a unique index enforces it on create and update', async () => {
      const a = await insert({ nick: 'ann', team: 'red' });
      const b = await insert({ nick: 'bob', team: 'red' });
      assert.equal(a.status, 200);
      assert.equal(b.status, 200);
      const res = await setIndexes(['CREATE UNIQUE INDEX idx_people_nick ON people (nick)']);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body.indexes, ['CREATE UNIQUE INDEX idx_people_nick ON people (nick)']);

      const dup = await insert({ nick: 'ann', team: 'blue' });
      assert.deepEqual(dup.body, {
        data: { nick: NOT_UNIQUE },
        message: 'Failed to create record.',
        status: 400,
      });
      const upd = await t.request('PATCH', `/api/collections/people/records/${b.body.id}`, {
        ...su,
        body: { nick: 'ann' },
      });
      assert.deepEqual(upd.body, {
        data: { nick: NOT_UNIQUE },
        message: 'Failed to update record.',
        status: 400,
      });
      const list = await t.request('GET', '/api/collections/people/records?sort=nick', su);
      assert.deepEqual(
        list.body.items.map((r: { nick: string }) => r.nick),
        ['ann', 'bob'],
      );
    });

    test('a unique index over existing duplicates is refused and nothing changes', async () => {
      const before = (await t.request('GET', '/api/collections/people', su)).body;
      const res = await setIndexes([
        ...before.indexes,
        'CREATE UNIQUE INDEX idx_people_team ON people (team)',
      ]);
      assert.deepEqual(res.body, {
        data: {
          indexes: {
            1: {
              code: 'validation_invalid_index_expression',
              message: 'Failed to create index idx_people_team - existing records have duplicate values.',
            },
          },
        },
        message: 'Failed to update collection.',
        status: 400,
      });
      assert.deepEqual((await t.request('GET', '/api/collections/people', su)).body, before);
      // the old index still holds, the refused one does not exist
      assert.equal((await insert({ nick: 'ann' })).status, 400);
      const sameTeam = await insert({ nick: 'cid', team: 'red' });
      assert.equal(sameTeam.status, 200, JSON.stringify(sameTeam.body));
    });

    test('changing a unique index to two columns enforces the pair instead', async () => {
      const res = await setIndexes(['CREATE UNIQUE INDEX idx_people_nick ON people (nick, team)']);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal((await insert({ nick: 'ann', team: 'blue' })).status, 200);
      const dup = await insert({ nick: 'ann', team: 'red' });
      assert.deepEqual(dup.body, {
        data: { nick: NOT_UNIQUE, team: NOT_UNIQUE },
        message: 'Failed to create record.',
        status: 400,
      });
    });

    test('removing the index lifts the constraint', async () => {
      const res = await setIndexes([]);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body.indexes, []);
      assert.equal((await insert({ nick: 'ann', team: 'red' })).status, 200);
    });

    test('a plain index does not enforce uniqueness', async () => {
      await t.request('DELETE', '/api/collections/people/truncate', su);
      const res = await setIndexes(['CREATE INDEX idx_people_team ON people (team)']);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal((await insert({ team: 'x' })).status, 200);
      assert.equal((await insert({ team: 'x' })).status, 200);
    });

    test('COLLATE NOCASE compares case-insensitively and WHERE skips empty values', async () => {
      await t.request('DELETE', '/api/collections/people/truncate', su);
      const res = await setIndexes([
        "CREATE UNIQUE INDEX idx_people_nick ON people (nick COLLATE NOCASE) WHERE nick != ''",
      ]);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal((await insert({ nick: 'Dee' })).status, 200);
      const dup = await insert({ nick: 'dEE' });
      assert.deepEqual(dup.body, {
        data: { nick: NOT_UNIQUE },
        message: 'Failed to create record.',
        status: 400,
      });
      assert.equal((await insert({ nick: '' })).status, 200);
      assert.equal((await insert({ nick: '' })).status, 200);
    });

    test('index names are unique across collections', async () => {
      const res = await t.request('POST', '/api/collections', {
        ...su,
        body: {
          name: 'others',
          fields: [{ name: 'nick', type: 'text' }],
          indexes: ['CREATE INDEX idx_people_nick ON others (nick)'],
        },
      });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, {
        data: {
          indexes: {
            0: {
              code: 'validation_existing_index_name',
              message: 'The index name is already used in people collection.',
              params: { usedTableName: 'people' },
            },
          },
        },
        message: 'Failed to create collection.',
        status: 400,
      });
    });
  });
}
