import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ForbiddenError } from '../../src/errors/api-error.ts';
import type { KeyGrant, Viewer } from '../../src/rules/viewer.ts';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

const KEY_REFUSED = /The API key is not allowed to perform this action\./;

// the record service itself checks API-key scopes: a function or job calling records
// meets the same policy as HTTP
for (const dialect of DIALECTS) {
  describe(`API-key policy in the record service (${dialect})`, () => {
    let t: TestApp;
    /** A key allowed `ops` on `posts` only (what auth/api-keys.ts resolves a key to). */
    const keyViewer = (ops: string[]): Viewer => {
      const grant: KeyGrant = {
        id: 'k1',
        name: 'test key',
        allows: (c, op) => c.name === 'posts' && ops.includes(op),
      };
      return { superuser: false, apiKey: grant };
    };
    before(async () => {
      t = await startTestApp(dialect);
      // superusers-only rules: only the key's scope lets it in
      await t.createCollection({
        name: 'posts',
        fields: [
          { name: 'title', type: 'text' },
          { name: 'secret', type: 'text', hidden: true },
        ],
      });
      await t.createCollection({ name: 'notes', listRule: '', fields: [{ name: 'body', type: 'text' }] });
    });
    after(() => t.close());

    test('a key acts as a superuser on the operations its scope names', async () => {
      const key = keyViewer(['create', 'list', 'view']);
      const created = await t.app.records.create('posts', { title: 'a', secret: 's' }, key);
      assert.equal(created.secret, 's');
      const list = await t.app.records.list('posts', {}, key);
      assert.equal(list.items[0]?.secret, 's');
      assert.equal((await t.app.records.view('posts', String(created.id), key)).title, 'a');
    });

    test('the service refuses (403) what the scope does not cover, before anything runs', async () => {
      const key = keyViewer(['list']);
      const post = await t.app.records.asSystem().create('posts', { title: 'b' });
      for (const attempt of [
        () => t.app.records.create('posts', { title: 'x' }, key),
        () => t.app.records.update('posts', String(post.id), { title: 'x' }, key),
        () => t.app.records.delete('posts', String(post.id), key),
        () => t.app.records.view('posts', String(post.id), key),
        // another collection, even one anyone may list
        () => t.app.records.list('notes', {}, key),
        () =>
          t.app.records.batch([{ action: 'create', collection: 'posts', body: { title: 'x' } }], () => key),
      ]) {
        await assert.rejects(
          attempt,
          (e: unknown) => e instanceof ForbiddenError && KEY_REFUSED.test(e.message),
        );
      }
      assert.equal((await t.app.records.asSystem().view('posts', String(post.id))).title, 'b');
    });

    test('the same checks hold inside a transaction', async () => {
      const key = keyViewer(['list']);
      await assert.rejects(
        t.app.records.inTransaction((r) => r.create('posts', { title: 'in tx' }, key)),
        KEY_REFUSED,
      );
      const all = await t.app.records.asSystem().list('posts', { filter: 'title = "in tx"' });
      assert.equal(all.totalItems, 0);
    });

    test('an upsert needs both create and update', async () => {
      const key = keyViewer(['create']);
      await assert.rejects(
        t.app.records.batch([{ action: 'upsert', collection: 'posts', body: { title: 'u' } }], () => key),
        KEY_REFUSED,
      );
    });
  });
}
