import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

// Deleting a record that other records reference, like PocketBase's cascadeRecordDelete:
// cascade when cascadeDelete, detach otherwise, refuse for a required reference, all in one
// transaction.

const REFUSED = {
  data: {},
  message: 'Failed to delete record. Make sure that the record is not part of a required relation reference.',
  status: 400,
};

for (const dialect of DIALECTS) {
  describe(`relation delete cascade (${dialect})`, () => {
    let t: TestApp;
    const su = { token: 'superuser' } as const;
    const create = async (collection: string, body: Record<string, unknown> = {}) => {
      const res = await t.request('POST', `/api/collections/${collection}/records`, { ...su, body });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.id as string;
    };
    const view = (collection: string, id: string) =>
      t.request('GET', `/api/collections/${collection}/records/${id}`, su);
    const remove = (collection: string, id: string) =>
      t.request('DELETE', `/api/collections/${collection}/records/${id}`, su);
    const rel = (name: string, collectionId: string, opts: Record<string, unknown> = {}) => ({
      name,
      type: 'relation',
      collectionId,
      maxSelect: 1,
      ...opts,
    });

    before(async () => {
      t = await startTestApp(dialect);
      const collection = async (name: string, fields: unknown[]) =>
        (await t.createCollection({ name, fields })).id as string;
      const parents = await collection('parents', [{ name: 'name', type: 'text' }]);
      const cascading = await collection('kids_cascade', [rel('parent', parents, { cascadeDelete: true })]);
      await collection('grandkids', [rel('kid', cascading, { cascadeDelete: true })]);
      await collection('kids_detach', [rel('parent', parents)]);
      await collection('kids_multi', [rel('parents', parents, { maxSelect: 5 })]);
      await collection('kids_multi_cascade', [
        rel('parents', parents, { maxSelect: 5, cascadeDelete: true }),
      ]);
      await collection('kids_required', [rel('parent', parents, { required: true })]);
      await collection('kids_required_cascade', [
        rel('parent', parents, { required: true, cascadeDelete: true }),
      ]);
    });
    after(() => t.close());

    test('a single reference with cascadeDelete is deleted with its target', async () => {
      const p = await create('parents');
      const kid = await create('kids_cascade', { parent: p });
      const other = await create('kids_cascade', { parent: await create('parents') });
      assert.equal((await remove('parents', p)).status, 204);
      assert.equal((await view('parents', p)).status, 404);
      assert.equal((await view('kids_cascade', kid)).status, 404);
      assert.equal((await view('kids_cascade', other)).status, 200);
    });

    test('cascades follow references recursively', async () => {
      const p = await create('parents');
      const kid = await create('kids_cascade', { parent: p });
      const grandkid = await create('grandkids', { kid });
      assert.equal((await remove('parents', p)).status, 204);
      assert.equal((await view('kids_cascade', kid)).status, 404);
      assert.equal((await view('grandkids', grandkid)).status, 404);
    });

    test('a non-required single reference without cascade is detached', async () => {
      const p = await create('parents');
      const kid = await create('kids_detach', { parent: p });
      assert.equal((await remove('parents', p)).status, 204);
      const res = await view('kids_detach', kid);
      assert.equal(res.status, 200);
      assert.equal(res.body.parent, '');
    });

    test('a multi reference without cascade loses only the deleted id', async () => {
      const [p1, p2, p3] = [await create('parents'), await create('parents'), await create('parents')];
      const kid = await create('kids_multi', { parents: [p1, p2, p3] });
      assert.equal((await remove('parents', p2)).status, 204);
      assert.deepEqual((await view('kids_multi', kid)).body.parents, [p1, p3]);
      assert.equal((await remove('parents', p1)).status, 204);
      assert.equal((await remove('parents', p3)).status, 204);
      const res = await view('kids_multi', kid);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.parents, []);
    });

    test('a multi reference with cascade and other ids left is only updated', async () => {
      const [p1, p2] = [await create('parents'), await create('parents')];
      const kid = await create('kids_multi_cascade', { parents: [p1, p2] });
      assert.equal((await remove('parents', p1)).status, 204);
      const res = await view('kids_multi_cascade', kid);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.parents, [p2]);
      assert.equal((await remove('parents', p2)).status, 204);
      assert.equal((await view('kids_multi_cascade', kid)).status, 404);
    });

    test('a required reference without cascade refuses the delete', async () => {
      const p = await create('parents', { name: 'kept' });
      const kid = await create('kids_required', { parent: p });
      const res = await remove('parents', p);
      assert.deepEqual([res.status, res.body], [400, REFUSED]);
      assert.equal((await view('parents', p)).body.name, 'kept');
      assert.equal((await view('kids_required', kid)).body.parent, p);
    });

    test('a required reference with cascade is deleted', async () => {
      const p = await create('parents');
      const kid = await create('kids_required_cascade', { parent: p });
      assert.equal((await remove('parents', p)).status, 204);
      assert.equal((await view('kids_required_cascade', kid)).status, 404);
    });

    test('a refused delete rolls back cascades and detaches already done', async () => {
      const p = await create('parents');
      const cascaded = await create('kids_cascade', { parent: p });
      const detached = await create('kids_detach', { parent: p });
      const multi = await create('kids_multi', { parents: [p] });
      const blocking = await create('kids_required', { parent: p });
      const res = await remove('parents', p);
      assert.deepEqual([res.status, res.body], [400, REFUSED]);
      assert.equal((await view('parents', p)).status, 200);
      assert.equal((await view('kids_cascade', cascaded)).status, 200);
      assert.equal((await view('kids_detach', detached)).body.parent, p);
      assert.deepEqual((await view('kids_multi', multi)).body.parents, [p]);
      // once the blocking reference is gone, the delete goes through
      assert.equal((await remove('kids_required', blocking)).status, 204);
      assert.equal((await remove('parents', p)).status, 204);
      assert.equal((await view('kids_cascade', cascaded)).status, 404);
      assert.equal((await view('kids_detach', detached)).body.parent, '');
      assert.deepEqual((await view('kids_multi', multi)).body.parents, []);
    });

    test('deleting a record nobody references touches no other record', async () => {
      const p = await create('parents');
      const unrelated = await create('kids_detach', { parent: await create('parents') });
      const before = (await view('kids_detach', unrelated)).body;
      assert.equal((await remove('parents', p)).status, 204);
      assert.deepEqual((await view('kids_detach', unrelated)).body, before);
    });
  });
}
