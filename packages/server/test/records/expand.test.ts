import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import PocketBase from 'pocketbase';
import { DIALECTS, SUPERUSER_EMAIL, SUPERUSER_PASSWORD, startTestApp, type TestApp } from '../support/app.ts';

for (const dialect of DIALECTS) {
  describe(`expand (${dialect})`, () => {
    let t: TestApp;
    const ids: Record<string, string> = {};
    const create = async (collection: string, key: string, body: Record<string, unknown>) => {
      const res = await t.request('POST', `/api/collections/${collection}/records`, {
        token: 'superuser',
        body,
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      ids[key] = res.body.id;
    };

    before(async () => {
      t = await startTestApp(dialect);
      const people = await t.createCollection({
        name: 'people',
        listRule: '',
        viewRule: 'secret = false',
        fields: [
          { name: 'name', type: 'text' },
          { name: 'secret', type: 'bool' },
        ],
      });
      const tags = await t.createCollection({
        name: 'tags',
        listRule: '',
        viewRule: '',
        fields: [{ name: 'label', type: 'text' }],
      });
      const hidden = await t.createCollection({ name: 'hidden', fields: [{ name: 'x', type: 'text' }] });
      const posts = await t.createCollection({
        name: 'posts',
        listRule: '',
        viewRule: '',
        fields: [
          { name: 'title', type: 'text' },
          { name: 'author', type: 'relation', collectionId: people.id },
          { name: 'tags', type: 'relation', collectionId: tags.id, maxSelect: 5 },
          { name: 'h', type: 'relation', collectionId: hidden.id },
        ],
      });
      await t.createCollection({
        name: 'comments',
        listRule: '',
        viewRule: '',
        fields: [
          { name: 'body', type: 'text' },
          { name: 'post', type: 'relation', collectionId: posts.id },
          { name: 'by', type: 'relation', collectionId: people.id },
        ],
      });
      await create('people', 'ann', { name: 'Ann', secret: false });
      await create('people', 'bob', { name: 'Bob', secret: true });
      await create('tags', 't1', { label: 'one' });
      await create('tags', 't2', { label: 'two' });
      await create('hidden', 'h1', { x: 'x' });
      await create('posts', 'p1', { title: 'P1', author: ids.ann, tags: [ids.t2, ids.t1], h: ids.h1 });
      await create('posts', 'p2', { title: 'P2', author: ids.bob, tags: [] });
      await create('comments', 'c1', { body: 'first', post: ids.p1, by: ids.ann });
      await create('comments', 'c2', { body: 'second', post: ids.p1, by: ids.bob });
    });
    after(() => t.close());

    const view = async (id: string, expand: string, token?: string) => {
      const res = await t.request(
        'GET',
        `/api/collections/posts/records/${id}?expand=${encodeURIComponent(expand)}`,
        token ? { token } : {},
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body;
    };

    test('a single relation expands to the record, a multi relation to records in stored order', async () => {
      const p1 = await view(ids.p1!, 'author,tags');
      assert.equal(p1.expand.author.name, 'Ann');
      assert.deepEqual(
        p1.expand.tags.map((r: { label: string }) => r.label),
        ['two', 'one'],
      );
      assert.equal(p1.expand.author.collectionName, 'people');
    });

    test('records the viewRule hides, or a superusers-only collection, are left out', async () => {
      // like PocketBase: the relations resolved, so `expand` is there, empty
      const p2 = await view(ids.p2!, 'author,tags');
      assert.deepEqual(p2.expand, {});
      // a superusers-only collection fails the expand: no key at all
      const p1 = await view(ids.p1!, 'h');
      assert.equal(p1.expand, undefined);
      const asRoot = await view(ids.p1!, 'h', 'superuser');
      assert.equal(asRoot.expand.h.x, 'x');
    });

    test('back relations and nested expands', async () => {
      const p1 = await view(ids.p1!, 'comments_via_post.by');
      const comments = p1.expand.comments_via_post as { body: string; expand?: { by: { name: string } } }[];
      assert.deepEqual(comments.map((c) => c.body).sort(), ['first', 'second']);
      const first = comments.find((c) => c.body === 'first')!;
      assert.equal(first.expand?.by.name, 'Ann');
      // Bob is secret: his record is not expanded for an anonymous viewer
      const second = comments.find((c) => c.body === 'second')!;
      assert.deepEqual(second.expand, {});
    });

    test('list items expand too, and unknown names are ignored', async () => {
      const res = await t.request(
        'GET',
        '/api/collections/posts/records?sort=title&expand=author,nope,title',
      );
      assert.equal(res.status, 200);
      assert.deepEqual(
        res.body.items.map((i: { expand?: { author?: { name: string } } }) => i.expand?.author?.name ?? null),
        ['Ann', null],
      );
    });

    test('create and update responses expand too', async () => {
      const created = await t.request('POST', '/api/collections/posts/records?expand=author', {
        token: 'superuser',
        body: { title: 'P3', author: ids.ann },
      });
      assert.equal(created.body.expand.author.name, 'Ann');
      const updated = await t.request(
        'PATCH',
        `/api/collections/posts/records/${created.body.id}?expand=tags`,
        {
          token: 'superuser',
          body: { tags: [ids.t1] },
        },
      );
      assert.deepEqual(
        updated.body.expand.tags.map((r: { label: string }) => r.label),
        ['one'],
      );
      await t.request('DELETE', `/api/collections/posts/records/${created.body.id}`, { token: 'superuser' });
    });

    test('a requested relation that is empty answers expand: {}; an unknown path leaves no key', async () => {
      const pb = new PocketBase(t.url);
      pb.autoCancellation(false);
      await pb.collection('_superusers').authWithPassword(SUPERUSER_EMAIL, SUPERUSER_PASSWORD);
      const empty = await pb.collection('posts').create({ title: 'empty' }, { expand: 'author,tags' });
      assert.deepEqual(empty.expand, {});
      const updated = await pb
        .collection('posts')
        .update(empty.id, { title: 'still empty' }, { expand: 'tags' });
      assert.deepEqual(updated.expand, {});
      assert.deepEqual((await pb.collection('posts').getOne(empty.id, { expand: 'author' })).expand, {});
      assert.deepEqual(
        (await pb.collection('posts').getOne(empty.id, { expand: 'comments_via_post' })).expand,
        {},
      );
      const listed = await pb.collection('posts').getFullList({ sort: 'title', expand: 'author' });
      assert.deepEqual(
        listed.map((r) => [r.title, r.expand === undefined ? 'none' : Object.keys(r.expand)]),
        [
          ['P1', ['author']],
          ['P2', ['author']],
          ['still empty', []],
        ],
      );
      for (const expand of ['nope', 'title', 'nope_via_post', 'comments_via_nope']) {
        const r = await pb.collection('posts').getOne(empty.id, { expand });
        assert.equal(r.expand, undefined, expand);
        assert.equal('expand' in r, false, expand);
      }
      const batch = pb.createBatch();
      batch.collection('posts').update(empty.id, { title: 'batched' }, { expand: 'author' });
      batch.collection('posts').update(empty.id, { title: 'batched' }, { expand: 'nope' });
      const [withKey, without] = await batch.send();
      assert.deepEqual(withKey?.body.expand, {});
      assert.equal(without?.body.expand, undefined);
      await pb.collection('posts').delete(empty.id);
    });

    test('fields can pick inside expand', async () => {
      const res = await t.request(
        'GET',
        `/api/collections/posts/records/${ids.p1}?expand=author&fields=title,expand.author.name`,
      );
      assert.deepEqual(res.body, { title: 'P1', expand: { author: { name: 'Ann' } } });
    });
  });
}
