import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type App, createApp } from '../../src/app.ts';
import { withApp } from '../../src/commands/common.ts';
import { ruleProblem } from '../../src/rules/rule-condition.ts';
import { createCollectionService } from '../../src/schema/collection-service.ts';
import { makeRequester, silentLogger, startTestApp, type TestApp } from '../support/app.ts';
import { Inbox, sdk, WsClient } from '../support/realtime.ts';

/** How long a schema change may take to reach the other node. */
const PROPAGATION_MS = 1000;

/** Resolves once `ok` holds for the node's schema (checked now and after each reload), or fails after the bound. */
function schemaOn(node: App, what: string, ok: (find: App['collections']['find']) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    if (ok(node.collections.find)) return resolve();
    const timer = setTimeout(() => {
      off();
      reject(new Error(`node B did not see ${what} within ${PROPAGATION_MS} ms`));
    }, PROPAGATION_MS);
    const off = node.collections.onReload(() => {
      if (!ok(node.collections.find)) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

// Two nodes on one PostgreSQL schema: a schema change on one reaches the other through
// NOTIFY + reload. SQLite is one process by design (nothing to propagate).
describe('schema changes across nodes (postgres)', () => {
  let t: TestApp;
  let nodeB: App;
  let urlB: string;
  let onB: ReturnType<typeof makeRequester>;
  before(async () => {
    t = await startTestApp('postgres');
    nodeB = await createApp(t.config, { logger: silentLogger() });
    urlB = await nodeB.start();
    onB = makeRequester(urlB, () => t.superuserToken);
  });
  after(async () => {
    await nodeB.stop();
    await t.close();
  });

  const createOnA = (def: Record<string, unknown>) => t.createCollection(def);

  test('a collection created on A serves CRUD and its rules on B within a second', async () => {
    await createOnA({
      name: 'posts',
      listRule: '',
      viewRule: '',
      createRule: null,
      updateRule: null,
      deleteRule: null,
      fields: [{ name: 'title', type: 'text' }],
    });
    await schemaOn(nodeB, 'posts', (find) => find('posts') !== undefined);
    const made = await onB('POST', '/api/collections/posts/records', {
      token: 'superuser',
      body: { title: 'on B' },
    });
    assert.equal(made.status, 200, JSON.stringify(made.body));
    const id: string = made.body.id;
    assert.deepEqual(
      (await onB('GET', '/api/collections/posts/records')).body.items.map((r: any) => r.title),
      ['on B'],
    );
    const patched = await onB('PATCH', `/api/collections/posts/records/${id}`, {
      token: 'superuser',
      body: { title: 'edited on B' },
    });
    assert.equal(patched.body.title, 'edited on B');
    assert.equal((await onB('GET', `/api/collections/posts/records/${id}`)).body.title, 'edited on B');
    // createRule null: only superusers create, on B as on A
    const guest = await onB('POST', '/api/collections/posts/records', { body: { title: 'guest' } });
    assert.equal(guest.status, 403);
    assert.equal(
      (await onB('DELETE', `/api/collections/posts/records/${id}`, { token: 'superuser' })).status,
      204,
    );
    assert.equal((await onB('GET', `/api/collections/posts/records/${id}`)).status, 404);
  });

  test("a subscriber on B receives A's and B's record events of a collection created on A", async () => {
    await createOnA({ name: 'feed', listRule: '', viewRule: '', fields: [{ name: 'title', type: 'text' }] });
    await schemaOn(nodeB, 'feed', (find) => find('feed') !== undefined);
    const ws = await WsClient.open(urlB);
    try {
      assert.equal((await ws.request({ type: 'subscribe', topic: 'feed' })).type, 'ack');
      const fromA = await t.request('POST', '/api/collections/feed/records', {
        token: 'superuser',
        body: { title: 'from A' },
      });
      assert.equal(fromA.status, 200, JSON.stringify(fromA.body));
      const fromB = await onB('POST', '/api/collections/feed/records', {
        token: 'superuser',
        body: { title: 'from B' },
      });
      assert.equal(fromB.status, 200, JSON.stringify(fromB.body));
      const events = [await ws.events.next(), await ws.events.next()];
      assert.deepEqual(
        events.map((e) => [e.action, e.record.id, e.record.title]),
        [
          ['create', fromA.body.id, 'from A'],
          ['create', fromB.body.id, 'from B'],
        ],
      );
    } finally {
      ws.close();
    }
  });

  test('a rule changed on A is enforced on B', async () => {
    await createOnA({ name: 'guestbook', createRule: '', fields: [{ name: 'text', type: 'text' }] });
    await schemaOn(nodeB, 'guestbook', (find) => find('guestbook')?.createRule === '');
    const sign = () => onB('POST', '/api/collections/guestbook/records', { body: { text: 'hi' } });
    assert.equal((await sign()).status, 200);
    const updated = await t.request('PATCH', '/api/collections/guestbook', {
      token: 'superuser',
      body: { createRule: null },
    });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    await schemaOn(nodeB, 'the new createRule', (find) => find('guestbook')?.createRule === null);
    assert.equal((await sign()).status, 403);
  });

  test('a collection deleted on A answers 404 on B', async () => {
    await createOnA({ name: 'doomed', listRule: '', fields: [{ name: 'title', type: 'text' }] });
    await schemaOn(nodeB, 'doomed', (find) => find('doomed') !== undefined);
    assert.equal((await onB('GET', '/api/collections/doomed/records')).status, 200);
    const deleted = await t.request('DELETE', '/api/collections/doomed', { token: 'superuser' });
    assert.equal(deleted.status, 204, JSON.stringify(deleted.body));
    await schemaOn(nodeB, 'doomed gone', (find) => find('doomed') === undefined);
    assert.equal((await onB('GET', '/api/collections/doomed/records')).status, 404);
  });

  test('a burst of changes on A leaves B with the final schema', async () => {
    await createOnA({ name: 'counter', fields: [{ name: 'n', type: 'number' }] });
    for (let i = 1; i <= 10; i++) {
      const res = await t.request('PATCH', '/api/collections/counter', {
        token: 'superuser',
        body: { listRule: `n > ${i}` },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    await schemaOn(nodeB, 'the last listRule', (find) => find('counter')?.listRule === 'n > 10');
  });

  test('a migration applied, then reverted, by a one-shot command reaches both nodes', async () => {
    // what `forgebase migrate up|down` does: a third app on the same database, never started
    mkdirSync(t.config.migrationsDir, { recursive: true });
    writeFileSync(
      join(t.config.migrationsDir, '1700000001_journal.ts'),
      `export default {
  async up({ collections }) {
    await collections.save({ name: 'journal', listRule: '', fields: [{ name: 'entry', type: 'text' }] });
  },
  async down({ collections }) {
    await collections.delete('journal');
  },
};
`,
    );
    const applied = await withApp(t.config, (cli) => cli.migrations.up());
    assert.deepEqual(applied, ['1700000001_journal.ts']);
    await schemaOn(nodeB, 'the migrated journal', (find) => find('journal') !== undefined);
    await schemaOn(t.app, 'the migrated journal on A', (find) => find('journal') !== undefined);
    assert.equal((await onB('GET', '/api/collections/journal/records')).status, 200);
    const reverted = await withApp(t.config, (cli) => cli.migrations.down(1));
    assert.deepEqual(reverted, ['1700000001_journal.ts']);
    await schemaOn(nodeB, 'journal gone', (find) => find('journal') === undefined);
    assert.equal((await onB('GET', '/api/collections/journal/records')).status, 404);
  });

  test('collections imported on A reach B', async () => {
    const imported = await t.request('PUT', '/api/collections/import', {
      token: 'superuser',
      body: {
        collections: [
          { name: 'authors', listRule: '', fields: [{ name: 'name', type: 'text' }] },
          { name: 'books', listRule: '', fields: [{ name: 'title', type: 'text' }] },
        ],
        deleteMissing: false,
      },
    });
    assert.equal(imported.status, 204, JSON.stringify(imported.body));
    await schemaOn(
      nodeB,
      'the imported collections',
      (find) => find('authors') !== undefined && find('books') !== undefined,
    );
    assert.equal((await onB('GET', '/api/collections/books/records')).status, 200);
  });

  test('a change of a collection B has not heard of yet makes B reload before it is dropped', async () => {
    // B's subscriber names the collection before it exists (SSE subscriptions are not checked)
    const pb = sdk(urlB);
    const events = new Inbox<any>();
    await pb.collection('latecomers').subscribe('*', (e) => events.push(e));
    try {
      // the collection is made on A without an announcement (as if B missed it), then
      // A writes a record: B learns of the collection only from the record's change
      await createCollectionService({ db: t.app.db, secrets: t.app.secrets, ruleProblem }).create({
        name: 'latecomers',
        listRule: '',
        viewRule: '',
        fields: [{ name: 'title', type: 'text' }],
      });
      await t.app.collections.reload();
      assert.equal(nodeB.collections.find('latecomers'), undefined);
      const made = await t.request('POST', '/api/collections/latecomers/records', {
        token: 'superuser',
        body: { title: 'early bird' },
      });
      assert.equal(made.status, 200, JSON.stringify(made.body));
      const e = await events.next();
      assert.deepEqual([e.action, e.record.id, e.record.title], ['create', made.body.id, 'early bird']);
    } finally {
      pb.realtime.unsubscribe();
    }
  });
});
