import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { createListedUsersCollection, createUser, type TestUser } from '../support/auth-users.ts';

// security #8: a sort must not order by what the viewer may not read
for (const dialect of DIALECTS) {
  describe(`sort leaks (${dialect})`, () => {
    let t: TestApp;
    let zed: TestUser;
    let amy: TestUser;
    let max: TestUser;
    before(async () => {
      t = await startTestApp(dialect);
      // members may list every user, as an over-broad listRule would let them
      await createListedUsersCollection(t);
      // insertion order differs from email order
      zed = await createUser(t, 'zed@example.com');
      amy = await createUser(t, 'amy@example.com');
      max = await createUser(t, 'max@example.com', { emailVisibility: true });
      await t.createCollection({ name: 'notes', listRule: '', fields: [{ name: 'body', type: 'text' }] });
      await t.request('POST', '/api/collections/notes/records', { token: 'superuser', body: { body: 'n' } });
    });
    after(() => t.close());

    const ids = async (sort: string, token: string) => {
      const res = await t.request('GET', `/api/collections/users/records?sort=${encodeURIComponent(sort)}`, {
        token,
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.items.map((r: { id: string }) => r.id);
    };

    test('sort=email orders hidden emails as unknown for a member', async () => {
      // hidden emails tie (NULL first, ascending), then insertion order breaks the tie
      assert.deepEqual(await ids('email', zed.token), [zed.id, amy.id, max.id]);
      assert.deepEqual(await ids('-email', zed.token), [max.id, zed.id, amy.id]);
      // a superuser orders by the real emails
      assert.deepEqual(await ids('email', 'superuser'), [amy.id, max.id, zed.id]);
    });

    test('sort by @request.* or @collection.* is for superusers only (403)', async () => {
      for (const sort of ['@request.auth.id', '-@collection.users.email', '@request.query.x']) {
        const res = await t.request(
          'GET',
          `/api/collections/notes/records?sort=${encodeURIComponent(sort)}`,
          {
            token: amy.token,
          },
        );
        assert.equal(res.status, 403, `${sort} ${JSON.stringify(res.body)}`);
        const anon = await t.request(
          'GET',
          `/api/collections/notes/records?sort=${encodeURIComponent(sort)}`,
        );
        assert.equal(anon.status, 403, sort);
      }
      const root = await t.request(
        'GET',
        `/api/collections/notes/records?sort=${encodeURIComponent('@request.auth.id')}`,
        {
          token: 'superuser',
        },
      );
      assert.equal(root.status, 200, JSON.stringify(root.body));
    });
  });
}
