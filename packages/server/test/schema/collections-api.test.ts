import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { NOT_FOUND } from '../support/expect.ts';

for (const dialect of DIALECTS) {
  describe(`collections API (${dialect})`, () => {
    let t: TestApp;
    const su = { token: 'superuser' };

    before(async () => {
      t = await startTestApp(dialect);
      await t.createCollection({ name: 'articles', fields: [{ name: 'title', type: 'text' }] });
      await t.createCollection({ name: 'members', type: 'auth' });
      await t.createCollection({
        name: 'article_titles',
        type: 'view',
        viewQuery: 'SELECT id, title FROM articles',
      });
    });
    after(() => t.close());

    test('lists collections paginated, sorted by name, with perPage', async () => {
      const all = await t.request('GET', '/api/collections?sort=name', su);
      assert.equal(all.status, 200);
      assert.deepEqual(Object.keys(all.body), ['items', 'page', 'perPage', 'totalItems', 'totalPages']);
      const names = [
        '_authOrigins',
        '_externalAuths',
        '_mfas',
        '_otps',
        '_superusers',
        'article_titles',
        'articles',
        'members',
      ];
      assert.deepEqual(
        all.body.items.map((c: { name: string }) => c.name),
        names,
      );
      assert.equal(all.body.page, 1);
      assert.equal(all.body.perPage, 30);
      assert.equal(all.body.totalItems, 8);
      assert.equal(all.body.totalPages, 1);

      const page2 = await t.request('GET', '/api/collections?sort=-name&perPage=3&page=2', su);
      assert.equal(page2.status, 200);
      assert.deepEqual(
        page2.body.items.map((c: { name: string }) => c.name),
        ['_superusers', '_otps', '_mfas'],
      );
      assert.equal(page2.body.perPage, 3);
      assert.equal(page2.body.page, 2);
      assert.equal(page2.body.totalItems, 8);
      assert.equal(page2.body.totalPages, 3);

      const skipped = await t.request('GET', '/api/collections?skipTotal=1&perPage=1', su);
      assert.equal(skipped.body.totalItems, -1);
      assert.equal(skipped.body.totalPages, -1);
      assert.equal(skipped.body.items.length, 1);
    });

    test('views a collection by id and by name (name is case-insensitive)', async () => {
      const byName = await t.request('GET', '/api/collections/articles', su);
      assert.equal(byName.status, 200);
      const byId = await t.request('GET', `/api/collections/${byName.body.id}`, su);
      assert.deepEqual(byId.body, byName.body);
      const upper = await t.request('GET', '/api/collections/ARTICLES', su);
      assert.deepEqual(upper.body, byName.body);
      const missing = await t.request('GET', '/api/collections/nope', su);
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.body, NOT_FOUND);
    });

    test('PATCH overlays the body and keeps what it does not mention', async () => {
      const before = (await t.request('GET', '/api/collections/articles', su)).body;
      const res = await t.request('PATCH', '/api/collections/articles', {
        ...su,
        body: { listRule: '', fields: [...before.fields, { name: 'views', type: 'number' }] },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.listRule, '');
      assert.equal(res.body.viewRule, null);
      assert.equal(res.body.id, before.id);
      assert.equal(res.body.created, before.created);
      assert.ok(res.body.updated >= before.updated);
      assert.deepEqual(
        res.body.fields.map((f: { name: string }) => f.name),
        ['id', 'title', 'views'],
      );
      const missing = await t.request('PATCH', '/api/collections/nope', { ...su, body: {} });
      assert.equal(missing.status, 404);
    });

    test('delete returns 204; refused while referenced and for system collections', async () => {
      const target = await t.createCollection({ name: 'tags', fields: [{ name: 'label', type: 'text' }] });
      await t.createCollection({
        name: 'tagged',
        fields: [{ name: 'tag', type: 'relation', collectionId: target.id }],
      });

      const refused = await t.request('DELETE', '/api/collections/tags', su);
      assert.equal(refused.status, 400);
      assert.deepEqual(refused.body, {
        data: {},
        message: 'Failed to delete collection probably due to existing reference in tagged.',
        status: 400,
      });

      const system = await t.request('DELETE', '/api/collections/_superusers', su);
      assert.equal(system.status, 400);
      assert.deepEqual(system.body, { data: {}, message: 'Failed to delete collection.', status: 400 });

      const del = await t.request('DELETE', '/api/collections/tagged', su);
      assert.equal(del.status, 204);
      assert.equal(del.body, undefined);
      assert.equal((await t.request('GET', '/api/collections/tagged', su)).status, 404);
      assert.equal((await t.request('DELETE', `/api/collections/${target.id}`, su)).status, 204);
      assert.equal((await t.request('GET', '/api/collections/tags/records', su)).status, 404);
    });

    test('truncate deletes every record (204) and is refused on a view', async () => {
      for (const title of ['a', 'b', 'c']) {
        const r = await t.request('POST', '/api/collections/articles/records', { ...su, body: { title } });
        assert.equal(r.status, 200);
      }
      const res = await t.request('DELETE', '/api/collections/articles/truncate', su);
      assert.equal(res.status, 204);
      assert.equal(res.body, undefined);
      const list = await t.request('GET', '/api/collections/articles/records', su);
      assert.equal(list.body.totalItems, 0);
      assert.deepEqual(list.body.items, []);

      const view = await t.request('DELETE', '/api/collections/article_titles/truncate', su);
      assert.equal(view.status, 400);
      assert.deepEqual(view.body, {
        data: {},
        message: "View collections cannot be truncated since they don't store their own records.",
        status: 400,
      });
    });

    test('every collections route requires a superuser token', async () => {
      const routes: [string, string][] = [
        ['GET', '/api/collections'],
        ['GET', '/api/collections/articles'],
        ['POST', '/api/collections'],
        ['PATCH', '/api/collections/articles'],
        ['DELETE', '/api/collections/articles'],
        ['DELETE', '/api/collections/articles/truncate'],
        ['PUT', '/api/collections/import'],
      ];
      for (const [method, path] of routes) {
        const res = await t.request(method, path, method === 'GET' ? {} : { body: {} });
        assert.equal(res.status, 401, `${method} ${path}`);
        assert.deepEqual(res.body, {
          data: {},
          message: 'The request requires valid record authorization token.',
          status: 401,
        });
      }
      const bad = await t.request('GET', '/api/collections', { token: 'not-a-token' });
      assert.equal(bad.status, 401);

      // a signed-in user of another auth collection is forbidden, not unauthorized
      const user = await t.request('POST', '/api/collections/members/records', {
        ...su,
        body: { email: 'm@example.com', password: 'member-pass-1', passwordConfirm: 'member-pass-1' },
      });
      assert.equal(user.status, 200, JSON.stringify(user.body));
      const auth = await t.request('POST', '/api/collections/members/auth-with-password', {
        body: { identity: 'm@example.com', password: 'member-pass-1' },
      });
      assert.equal(auth.status, 200);
      const res = await t.request('GET', '/api/collections', { token: auth.body.token });
      assert.equal(res.status, 403);
      assert.deepEqual(res.body, {
        data: {},
        message: 'The authorized record is not allowed to perform this action.',
        status: 403,
      });
    });
  });
}
