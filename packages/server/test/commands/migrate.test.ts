import assert from 'node:assert/strict';
import { readdirSync, readFileSync, realpathSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DIALECTS } from '../support/app.ts';
import { type CliTarget, cliTarget } from '../support/cli.ts';

// a hand-written migration: a collection plus a data row, and the way back
const ADD_POSTS = `export default {
  async up({ collections, exec }) {
    await collections.save({ name: 'posts', listRule: '', fields: [{ name: 'title', type: 'text' }] });
    await exec("INSERT INTO posts (id, title) VALUES ('aaaaaaaaaaaaaaa', 'hello')");
  },
  async down({ collections }) {
    await collections.delete('posts');
  },
};
`;

for (const dialect of DIALECTS) {
  describe(`forgebase migrate (${dialect})`, () => {
    let cli: CliTarget;
    let dir = '';
    let addPosts = '';
    let snapshot = '';

    /** Titles of the posts, or undefined when the collection does not exist. */
    const posts = () =>
      cli.withApp(async (app) => {
        if (!app.collections.find('posts')) return undefined;
        const list = await app.records.list('posts', {}, { superuser: true });
        return list.items.map((r) => r.title);
      });

    before(() => {
      cli = cliTarget(dialect);
      dir = join(realpathSync(cli.cwd), 'fb_migrations');
    });
    after(() => cli.close());

    test('create NAME writes a blank migration file', async () => {
      const res = await cli.run('migrate', 'create', 'add posts');
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stderr, '');
      const m = /^created (.+)\n$/.exec(res.stdout);
      assert.ok(m, res.stdout);
      assert.equal(join(dir, basename(m[1]!)), m[1]);
      addPosts = basename(m[1]!);
      assert.match(addPosts, /^\d+_add_posts\.ts$/);
      assert.deepEqual(readdirSync(dir), [addPosts]);
      assert.match(readFileSync(m[1]!, 'utf8'), /export default \{/);
      writeFileSync(m[1]!, ADD_POSTS);
    });

    test('up applies pending files once', async () => {
      assert.equal(await posts(), undefined);
      const res = await cli.run('migrate', 'up');
      assert.deepEqual(res, { code: 0, stdout: `applied ${addPosts}\n`, stderr: '' });
      assert.deepEqual(await posts(), ['hello']);
      const again = await cli.run('migrate', 'up');
      assert.deepEqual(again, { code: 0, stdout: 'nothing to apply\n', stderr: '' });
      // applying a migration writes no further migration files
      assert.deepEqual(readdirSync(dir), [addPosts]);
    });

    test('collections writes an applied snapshot of the schema', async () => {
      const res = await cli.run('migrate', 'collections');
      assert.equal(res.code, 0, res.stderr);
      const m = /^created (.+)\n$/.exec(res.stdout);
      assert.ok(m, res.stdout);
      snapshot = basename(m[1]!);
      assert.match(snapshot, /^\d+_collections_snapshot\.ts$/);
      assert.equal(m[1], join(dir, snapshot));
      const text = readFileSync(m[1]!, 'utf8');
      assert.match(text, /"name": "posts"/);
      assert.doesNotMatch(text, /_superusers/);
      const up = await cli.run('migrate', 'up');
      assert.deepEqual(up, { code: 0, stdout: 'nothing to apply\n', stderr: '' });
    });

    test('down reverts the last applied migration, one per run', async () => {
      const first = await cli.run('migrate', 'down');
      assert.deepEqual(first, { code: 0, stdout: `reverted ${snapshot}\n`, stderr: '' });
      assert.deepEqual(await posts(), ['hello']);
      const second = await cli.run('migrate', 'down');
      assert.deepEqual(second, { code: 0, stdout: `reverted ${addPosts}\n`, stderr: '' });
      assert.equal(await posts(), undefined);
      const none = await cli.run('migrate', 'down');
      assert.deepEqual(none, { code: 0, stdout: 'nothing to revert\n', stderr: '' });
      const bad = await cli.run('migrate', 'down', '0');
      assert.deepEqual(bad, { code: 1, stdout: '', stderr: 'forgebase: count must be a positive integer\n' });
    });

    test('up after down applies everything again, in file order', async () => {
      const res = await cli.run('migrate', 'up');
      assert.deepEqual(res, { code: 0, stdout: `applied ${addPosts}\napplied ${snapshot}\n`, stderr: '' });
      assert.deepEqual(await posts(), ['hello']);
    });

    test('history-sync forgets applied files that were deleted', async () => {
      unlinkSync(join(dir, snapshot));
      const down = await cli.run('migrate', 'down');
      assert.equal(down.code, 1);
      assert.equal(
        down.stderr,
        `forgebase: cannot revert ${snapshot}: the file is missing (run "migrate history-sync" to forget it)\n`,
      );
      const res = await cli.run('migrate', 'history-sync');
      assert.deepEqual(res, { code: 0, stdout: `forgot ${snapshot}\n`, stderr: '' });
      const again = await cli.run('migrate', 'history-sync');
      assert.deepEqual(again, { code: 0, stdout: 'history is in sync\n', stderr: '' });
      const rows = await cli.withApp((app) =>
        app.db.all<{ file: string }>(app.db.qb.selectFrom('_migrations').select('file')),
      );
      assert.deepEqual(
        rows.map((r) => r.file),
        [addPosts],
      );
    });
  });
}
