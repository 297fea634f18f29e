import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

const FORBIDDEN_KEY = {
  status: 403,
  message: 'The API key is not allowed to perform this action.',
  data: {},
};

// ForgeBase's API keys: scoped superuser powers on the records API, nothing else
for (const dialect of DIALECTS) {
  describe(`API keys (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
      // superusers-only rules everywhere: only a scoped key (or a superuser) gets in
      const tags = await t.createCollection({
        name: 'tags',
        type: 'base',
        viewRule: '',
        fields: [{ name: 'label', type: 'text' }],
      });
      await t.createCollection({
        name: 'posts',
        type: 'base',
        fields: [
          { name: 'title', type: 'text' },
          { name: 'secret', type: 'text', hidden: true },
          { name: 'tag', type: 'relation', collectionId: tags.id, maxSelect: 1 },
        ],
      });
      await t.createCollection({ name: 'notes', type: 'base', fields: [{ name: 'body', type: 'text' }] });
    });
    after(() => t.close());

    const createKey = async (body: Record<string, unknown>) => {
      const res = await t.request('POST', '/api/keys', { token: 'superuser', body });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body;
    };

    test('a key reads and writes only the collections and operations its scopes name', async () => {
      const key = await createKey({
        name: 'importer',
        scopes: [{ collection: 'posts', operations: ['list', 'view', 'create'] }],
      });
      assert.match(key.secret, /^fbk_[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(key.scopes, [{ collection: 'posts', operations: ['list', 'view', 'create'] }]);
      assert.equal(key.expires, '');
      assert.equal(key.lastUsed, '');
      const bearer = `Bearer ${key.secret}`;
      const created = await t.request('POST', '/api/collections/posts/records', {
        token: bearer,
        body: { title: 'one', secret: 's3' },
      });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      // acts as a superuser there: hidden fields are readable
      assert.equal(created.body.secret, 's3');
      // the bare secret works too
      const list = await t.request('GET', '/api/collections/posts/records', { token: key.secret });
      assert.equal(list.status, 200);
      assert.equal(list.body.totalItems, 1);
      const view = await t.request('GET', `/api/collections/posts/records/${created.body.id}`, {
        token: bearer,
      });
      assert.equal(view.status, 200);
      // operations outside the scope
      const upd = await t.request('PATCH', `/api/collections/posts/records/${created.body.id}`, {
        token: bearer,
        body: { title: 'x' },
      });
      assert.deepEqual([upd.status, upd.body], [403, FORBIDDEN_KEY]);
      const del = await t.request('DELETE', `/api/collections/posts/records/${created.body.id}`, {
        token: bearer,
      });
      assert.equal(del.status, 403);
      // other collections, the collections API and key management
      const other = await t.request('GET', '/api/collections/notes/records', { token: bearer });
      assert.deepEqual([other.status, other.body], [403, FORBIDDEN_KEY]);
      const su = await t.request('GET', '/api/collections/_superusers/records', { token: bearer });
      assert.equal(su.status, 403);
      const admin = await t.request('GET', '/api/collections', { token: bearer });
      assert.equal(admin.status, 403);
      const keys = await t.request('GET', '/api/keys', { token: bearer });
      assert.equal(keys.status, 403);
      // batch: each operation needs the scope
      const batch = await t.request('POST', '/api/batch', {
        token: bearer,
        body: { requests: [{ method: 'POST', url: '/api/collections/notes/records', body: { body: 'x' } }] },
      });
      assert.equal(batch.status, 403);
      const okBatch = await t.request('POST', '/api/batch', {
        token: bearer,
        body: {
          requests: [{ method: 'POST', url: '/api/collections/posts/records', body: { title: 'two' } }],
        },
      });
      assert.equal(okBatch.status, 200, JSON.stringify(okBatch.body));
    });

    test('expand never reaches beyond the scoped collection', async () => {
      const tag = await t.request('POST', '/api/collections/tags/records', {
        token: 'superuser',
        body: { label: 'red' },
      });
      const key = await createKey({ name: 'reader', scopes: [{ collection: 'posts', operations: ['*'] }] });
      const post = await t.request('POST', '/api/collections/posts/records?expand=tag', {
        token: key.secret,
        body: { title: 'tagged', tag: tag.body.id },
      });
      assert.equal(post.status, 200, JSON.stringify(post.body));
      assert.equal(post.body.tag, tag.body.id);
      assert.equal(post.body.expand, undefined);
      const upd = await t.request('PATCH', `/api/collections/posts/records/${post.body.id}`, {
        token: key.secret,
        body: { title: 'renamed' },
      });
      assert.equal(upd.status, 200);
      const del = await t.request('DELETE', `/api/collections/posts/records/${post.body.id}`, {
        token: key.secret,
      });
      assert.equal(del.status, 204);
    });

    test("a key's filters meet other collections' rules like anyone's", async () => {
      const tag = await t.request('POST', '/api/collections/tags/records', {
        token: 'superuser',
        body: { label: 'blue' },
      });
      await t.request('POST', '/api/collections/posts/records', {
        token: 'superuser',
        body: { title: 'blue post', tag: tag.body.id },
      });
      const key = await createKey({
        name: 'filter',
        scopes: [{ collection: 'posts', operations: ['list'] }],
      });
      const q = (filter: string) =>
        t.request('GET', `/api/collections/posts/records?filter=${encodeURIComponent(filter)}`, {
          token: key.secret,
        });
      // tags has no listRule (superusers only): no filtering through it, as for anyone
      const viaTag = await q("tag.label = 'blue'");
      assert.equal(viaTag.status, 400);
      assert.match(viaTag.body.message, /Filtering through the "tags" collection needs superuser access/);
      const su = await t.request(
        'GET',
        `/api/collections/posts/records?filter=${encodeURIComponent("tag.label = 'blue'")}`,
        {
          token: 'superuser',
        },
      );
      assert.equal(su.body.totalItems, 1);
      const other = await q("@collection.notes.body = 'x'");
      assert.equal(other.status, 403);
      assert.equal((await q("title = 'blue post'")).body.totalItems, 1);
    });

    // security #9: the compiled-SQL cache once served a superuser's SQL to a key
    test("a key never reuses a superuser's compiled filter", async () => {
      const tag = await t.request('POST', '/api/collections/tags/records', {
        token: 'superuser',
        body: { label: 'green' },
      });
      await t.request('POST', '/api/collections/posts/records', {
        token: 'superuser',
        body: { title: 'green post', tag: tag.body.id, secret: 'g' },
      });
      const key = await createKey({ name: 'cache', scopes: [{ collection: 'posts', operations: ['list'] }] });
      for (const filter of ["tag.label = 'green'", "secret = 'g'"]) {
        const path = `/api/collections/posts/records?filter=${encodeURIComponent(filter)}`;
        const su = await t.request('GET', path, { token: 'superuser' });
        assert.equal(su.body.totalItems, 1, filter);
        const asKey = await t.request('GET', path, { token: key.secret });
        assert.equal(asKey.status, 400, `${filter} ${JSON.stringify(asKey.body)}`);
        // and the other way round: the key's refusal is not cached for the superuser
        assert.equal((await t.request('GET', path, { token: 'superuser' })).body.totalItems, 1, filter);
      }
    });

    test('a `*` scope covers every collection but _superusers', async () => {
      const key = await createKey({ name: 'all', scopes: [{ collection: '*', operations: ['list'] }] });
      assert.equal(
        (await t.request('GET', '/api/collections/notes/records', { token: key.secret })).status,
        200,
      );
      assert.equal(
        (await t.request('GET', '/api/collections/tags/records', { token: key.secret })).status,
        200,
      );
      const su = await t.request('GET', '/api/collections/_superusers/records', { token: key.secret });
      assert.deepEqual([su.status, su.body], [403, FORBIDDEN_KEY]);
    });

    test('list never shows secrets; lastUsed is stamped; revoked and expired keys stop working', async () => {
      const key = await createKey({ name: 'temp', scopes: [{ collection: 'notes', operations: ['list'] }] });
      assert.equal(
        (await t.request('GET', '/api/collections/notes/records', { token: key.secret })).status,
        200,
      );
      const list = await t.request('GET', '/api/keys', { token: 'superuser' });
      assert.equal(list.status, 200);
      const listed = list.body.items.find((k: { id: string }) => k.id === key.id);
      assert.deepEqual(Object.keys(listed).sort(), [
        'created',
        'expires',
        'id',
        'lastUsed',
        'name',
        'scopes',
      ]);
      assert.match(listed.lastUsed, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      assert.ok(!JSON.stringify(list.body).includes(key.secret));
      // only a hash is stored
      const row = await t.app.db.first<{ hash: string }>(
        t.app.db.qb.selectFrom('_api_keys').select('hash').where('id', '=', key.id),
      );
      assert.equal(row?.hash, createHash('sha256').update(key.secret).digest('hex'));

      assert.equal((await t.request('DELETE', `/api/keys/${key.id}`, { token: 'superuser' })).status, 204);
      assert.equal((await t.request('DELETE', `/api/keys/${key.id}`, { token: 'superuser' })).status, 404);
      // a revoked key is no key: the request is anonymous, and the superusers-only list says so
      const after = await t.request('GET', '/api/collections/notes/records', { token: key.secret });
      assert.equal(after.status, 403);
      assert.equal(after.body.message, 'Only superusers can perform this action.');

      const soon = await createKey({
        name: 'expiring',
        scopes: [{ collection: 'notes', operations: ['list'] }],
        expires: new Date(Date.now() + 3_600_000).toISOString(),
      });
      assert.equal(
        (await t.request('GET', '/api/collections/notes/records', { token: soon.secret })).status,
        200,
      );
      await t.app.db.run(
        t.app.db.qb
          .updateTable('_api_keys')
          .set({ expires: '2020-01-01 00:00:00.000Z' })
          .where('id', '=', soon.id),
      );
      const expired = await t.request('GET', '/api/collections/notes/records', { token: soon.secret });
      assert.equal(expired.body.message, 'Only superusers can perform this action.');
    });

    test('creating keys: superusers only, with valid scopes and a future expiry', async () => {
      assert.equal((await t.request('POST', '/api/keys', { body: { name: 'x' } })).status, 401);
      const bad = await t.request('POST', '/api/keys', {
        token: 'superuser',
        body: {
          name: '',
          scopes: [
            { collection: 'nope', operations: ['list'] },
            { collection: 'posts', operations: ['drop'] },
            { collection: '_superusers', operations: ['*'] },
          ],
          expires: '2020-01-01',
        },
      });
      assert.equal(bad.status, 400);
      assert.deepEqual(Object.keys(bad.body.data).sort(), [
        'expires',
        'name',
        'scopes.0.collection',
        'scopes.1.operations',
        'scopes.2.collection',
      ]);
      const none = await t.request('POST', '/api/keys', {
        token: 'superuser',
        body: { name: 'n', scopes: [] },
      });
      assert.deepEqual(none.body.data, {
        scopes: { code: 'validation_required', message: 'At least one scope is required.' },
      });
    });
  });
}
