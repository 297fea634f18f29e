import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type App, createApp } from '../../src/app.ts';
import { collectionToJSON } from '../../src/schema/collection.ts';
import {
  DIALECTS,
  type Dialect,
  silentLogger,
  startTestApp,
  type TestApp,
  testConfig,
} from '../support/app.ts';
import { testStorage } from '../support/storage.ts';

type Row = Record<string, any>;

/** The user schema as clients see it, minus timestamps (which differ between apps). */
function schemaOf(app: App): Row[] {
  return app.collections
    .all()
    .filter((c) => !c.system)
    .map((c) => {
      const { created: _c, updated: _u, ...rest } = collectionToJSON(c);
      return rest;
    })
    .sort((a, b) => String(a.id).localeCompare(String(b.id)));
}

/** A new app on an empty database that reads migrations from `migrationsDir`. */
async function freshApp(
  dialect: Dialect,
  migrationsDir: string,
): Promise<{ app: App; close(): Promise<void> }> {
  const storage = testStorage(dialect, 'fb-mig-');
  const app = await createApp(testConfig(dialect, storage.dir, storage.schema, { migrationsDir }), {
    logger: silentLogger(),
  });
  return {
    app,
    async close() {
      await app.stop();
      await storage.remove();
    },
  };
}

for (const dialect of DIALECTS) {
  describe(`migration runner (${dialect})`, () => {
    let t: TestApp;
    const su = { token: 'superuser' };
    let noteId = '';

    const fieldNames = async () =>
      (await t.request('GET', '/api/collections/notes', su)).body.fields.map((f: Row) => f.name);
    const note = async () => (await t.request('GET', `/api/collections/notes/records/${noteId}`, su)).body;

    before(async () => {
      t = await startTestApp(dialect);
    });
    after(() => t.close());

    test('down reverts the last schema change and keeps the data; up re-applies it', async () => {
      const created = await t.createCollection({ name: 'notes', fields: [{ name: 'title', type: 'text' }] });
      const rec = await t.request('POST', '/api/collections/notes/records', {
        ...su,
        body: { title: 'keep me' },
      });
      assert.equal(rec.status, 200);
      noteId = rec.body.id;
      const added = await t.request('PATCH', '/api/collections/notes', {
        ...su,
        body: { fields: [...created.fields, { name: 'body', type: 'text' }] },
      });
      assert.equal(added.status, 200, JSON.stringify(added.body));
      const files = t.app.migrations.files();
      assert.equal(files.length, 2);

      const reverted = await t.app.migrations.down();
      assert.deepEqual(reverted, [files[1]]);
      assert.deepEqual(await fieldNames(), ['id', 'title']);
      const after = await note();
      assert.equal(after.title, 'keep me');
      assert.equal('body' in after, false);
      // reverting writes no new migration file
      assert.deepEqual(t.app.migrations.files(), files);

      const applied = await t.app.migrations.up();
      assert.deepEqual(applied, [files[1]]);
      assert.deepEqual(await fieldNames(), ['id', 'title', 'body']);
      assert.deepEqual(
        { title: (await note()).title, body: (await note()).body },
        { title: 'keep me', body: '' },
      );
      assert.deepEqual(await t.app.migrations.up(), []);
      assert.deepEqual(t.app.migrations.files(), files);
    });

    test('down with a count reverts several changes, newest first', async () => {
      const files = t.app.migrations.files();
      const reverted = await t.app.migrations.down(2);
      assert.deepEqual(reverted, [files[1], files[0]]);
      assert.equal(t.app.collections.find('notes'), undefined);
      assert.equal((await t.request('GET', '/api/collections/notes/records', su)).status, 404);
      assert.deepEqual(await t.app.migrations.up(), files);
      assert.deepEqual(await fieldNames(), ['id', 'title', 'body']);
      // the table was dropped and created again: the record did not survive
      assert.equal((await t.request('GET', `/api/collections/notes/records/${noteId}`, su)).status, 404);
    });

    test('a fresh app applying the files gets the same schema', async () => {
      const notes = (await t.request('GET', '/api/collections/notes', su)).body;
      for (const body of [
        { name: 'members', type: 'auth', fields: [{ name: 'nick', type: 'text' }] },
        {
          name: 'links',
          listRule: '',
          fields: [
            { name: 'note', type: 'relation', collectionId: notes.id, cascadeDelete: true },
            { name: 'kind', type: 'select', values: ['a', 'b'], maxSelect: 2 },
          ],
          indexes: ['CREATE INDEX idx_links_note ON links (note)'],
        },
        { name: 'note_titles', type: 'view', viewQuery: 'SELECT id, title FROM notes' },
      ]) {
        await t.createCollection(body);
      }
      const renamed = await t.request('PATCH', '/api/collections/links', { ...su, body: { name: 'refs' } });
      assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
      const del = await t.request('DELETE', '/api/collections/note_titles', su);
      assert.equal(del.status, 204);

      const copy = mkdtempSync(join(tmpdir(), 'fb-mig-copy-'));
      cpSync(t.config.migrationsDir, copy, { recursive: true });
      const fresh = await freshApp(dialect, copy);
      try {
        assert.deepEqual(schemaOf(fresh.app), []);
        const ran = await fresh.app.migrations.up();
        assert.deepEqual(ran, readdirSync(copy).sort());
        assert.deepEqual(schemaOf(fresh.app), schemaOf(t.app));
        assert.deepEqual(
          schemaOf(fresh.app)
            .map((c) => c.name)
            .sort(),
          ['members', 'notes', 'refs'],
        );
        const rec = await fresh.app.records.create('refs', { kind: ['a'] }, { superuser: true });
        assert.deepEqual(rec.kind, ['a']);
      } finally {
        await fresh.close();
        rmSync(copy, { recursive: true, force: true });
      }
    });
  });
}
