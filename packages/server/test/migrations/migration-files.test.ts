import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createApp } from '../../src/app.ts';
import { collectionToJSON } from '../../src/schema/collection.ts';
import { DIALECTS, silentLogger, startTestApp, type TestApp, testConfig } from '../support/app.ts';
import { testStorage } from '../support/storage.ts';

type Row = Record<string, any>;

for (const dialect of DIALECTS) {
  describe(`migration files (${dialect})`, () => {
    let t: TestApp;
    const su = { token: 'superuser' };

    /** `_migrations` rows, by file name. */
    const appliedFiles = async (): Promise<string[]> =>
      (
        await t.app.db.all<{ file: string }>(
          t.app.db.qb.selectFrom('_migrations').select('file').orderBy('file'),
        )
      ).map((r) => r.file);
    const newFiles = (before: string[]) => t.app.migrations.files().filter((f) => !before.includes(f));

    before(async () => {
      t = await startTestApp(dialect);
    });
    after(() => t.close());

    test('starts with no migration files (the system collection writes none)', async () => {
      assert.deepEqual(t.app.migrations.files(), []);
      assert.deepEqual(await appliedFiles(), []);
    });

    test('every schema change through the API writes one applied file', async () => {
      const steps: [string, () => Promise<{ status: number }>, RegExp][] = [
        [
          'create',
          () =>
            t.request('POST', '/api/collections', {
              ...su,
              body: { name: 'posts', fields: [{ name: 'title', type: 'text' }] },
            }),
          /^\d+_created_posts\.ts$/,
        ],
        [
          'update',
          () => t.request('PATCH', '/api/collections/posts', { ...su, body: { listRule: '' } }),
          /^\d+_updated_posts\.ts$/,
        ],
        ['delete', () => t.request('DELETE', '/api/collections/posts', su), /^\d+_deleted_posts\.ts$/],
        [
          'import',
          () =>
            t.request('PUT', '/api/collections/import', {
              ...su,
              body: { collections: [{ name: 'posts', fields: [{ name: 'title', type: 'text' }] }] },
            }),
          /^\d+_created_posts\.ts$/,
        ],
      ];
      for (const [what, run, re] of steps) {
        const before = t.app.migrations.files();
        const res = await run();
        assert.ok(res.status === 200 || res.status === 204, what);
        const added = newFiles(before);
        assert.equal(added.length, 1, what);
        assert.match(added[0]!, re, what);
        assert.equal(existsSync(join(t.config.migrationsDir, added[0]!)), true);
        assert.ok((await appliedFiles()).includes(added[0]!), what);
      }
      // a failed change writes nothing
      const before = t.app.migrations.files();
      const bad = await t.request('POST', '/api/collections', { ...su, body: { name: 'bad name' } });
      assert.equal(bad.status, 400);
      assert.deepEqual(t.app.migrations.files(), before);
      assert.deepEqual(await appliedFiles(), before);
    });

    test('migration files never contain token secrets', async () => {
      const before = t.app.migrations.files();
      await t.createCollection({ name: 'members', type: 'auth' });
      const [file] = newFiles(before);
      const text = readFileSync(join(t.config.migrationsDir, file!), 'utf8');
      assert.match(text, /"authToken": \{\s*"duration": 432000\s*\}/);
      const secret = t.app.collections.get('members').authToken!.secret;
      assert.equal(text.includes(secret), false);
      assert.doesNotMatch(text, /"secret"/);
      // reverting an update keeps the secrets the collection already has
      const upd = await t.request('PATCH', '/api/collections/members', { ...su, body: { listRule: '' } });
      assert.equal(upd.status, 200);
      await t.app.migrations.down();
      assert.equal(t.app.collections.get('members').listRule, null);
      assert.equal(t.app.collections.get('members').authToken!.secret, secret);
      await t.app.migrations.up();
      assert.equal(t.app.collections.get('members').listRule, '');
    });

    test('create(name) writes a blank, unapplied migration that up() then applies', async () => {
      const path = t.app.migrations.create('Add things!');
      const file = basename(path);
      assert.equal(path, join(t.config.migrationsDir, file));
      assert.match(file, /^\d+_add_things\.ts$/);
      const text = readFileSync(path, 'utf8');
      assert.match(text, /export default \{/);
      assert.match(text, /async up\(/);
      assert.match(text, /async down\(/);
      assert.equal((await appliedFiles()).includes(file), false);
      assert.deepEqual(await t.app.migrations.up(), [file]);
      assert.equal((await appliedFiles()).includes(file), true);
      assert.deepEqual(await t.app.migrations.down(), [file]);
    });

    test('snapshot() saves every user collection as one applied file', async () => {
      // collections that relate to each other, the older one to the newer one
      const a = await t.request('POST', '/api/collections', { ...su, body: { name: 'alpha' } });
      const b = await t.request('POST', '/api/collections', {
        ...su,
        body: { name: 'beta', fields: [{ name: 'a', type: 'relation', collectionId: a.body.id }] },
      });
      assert.equal(b.status, 200, JSON.stringify(b.body));
      const link = await t.request('PATCH', '/api/collections/alpha', {
        ...su,
        body: { fields: [...a.body.fields, { name: 'b', type: 'relation', collectionId: b.body.id }] },
      });
      assert.equal(link.status, 200, JSON.stringify(link.body));
      const path = await t.app.migrations.snapshot();
      const file = basename(path);
      assert.match(file, /^\d+_collections_snapshot\.ts$/);
      assert.equal((await appliedFiles()).includes(file), true);
      const text = readFileSync(path, 'utf8');
      assert.doesNotMatch(text, /_superusers/);
      assert.doesNotMatch(text, /"secret"/);

      // the snapshot alone rebuilds the schema on an empty database
      const storage = testStorage(dialect, 'fb-snap-');
      const migrationsDir = join(storage.dir, 'migrations');
      const fresh = await createApp(testConfig(dialect, storage.dir, storage.schema, { migrationsDir }), {
        logger: silentLogger(),
      });
      try {
        mkdirSync(migrationsDir);
        writeFileSync(join(migrationsDir, file), text);
        assert.deepEqual(await fresh.migrations.up(), [file]);
        const shape = (list: Row[]) =>
          list
            .filter((c) => !c.system)
            .map(({ created: _c, updated: _u, ...rest }) => rest)
            .sort((a, b) => a.id.localeCompare(b.id));
        assert.deepEqual(
          shape(fresh.collections.all().map(collectionToJSON)),
          shape(t.app.collections.all().map(collectionToJSON)),
        );
        // a snapshot has nothing to revert to
        assert.deepEqual(await fresh.migrations.down(), [file]);
        assert.equal(fresh.collections.find('posts')?.name, 'posts');
      } finally {
        await fresh.stop();
        await storage.remove();
      }
    });

    test('historySync() forgets applied files that were deleted', async () => {
      const files = t.app.migrations.files();
      const last = files[files.length - 1]!;
      unlinkSync(join(t.config.migrationsDir, last));
      await assert.rejects(t.app.migrations.down(), {
        message: `cannot revert ${last}: the file is missing (run "migrate history-sync" to forget it)`,
      });
      assert.deepEqual(await t.app.migrations.historySync(), [last]);
      assert.equal((await appliedFiles()).includes(last), false);
      assert.deepEqual(await t.app.migrations.historySync(), []);
      const present = t.app.migrations.files();
      assert.deepEqual(
        (await appliedFiles()).filter((f) => !present.includes(f)),
        [],
      );
      assert.equal((await t.app.migrations.down()).length, 1);
    });
  });
}
