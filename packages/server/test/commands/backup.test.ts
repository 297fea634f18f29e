import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS } from '../support/app.ts';
import { type CliTarget, cliTarget } from '../support/cli.ts';

for (const dialect of DIALECTS) {
  describe(`forgebase backup (${dialect})`, () => {
    let cli: CliTarget;
    const titles = () =>
      cli.withApp(async (app) => {
        const list = await app.records.list('posts', {}, { superuser: true });
        return list.items.map((r) => r.title).sort();
      });

    before(async () => {
      cli = cliTarget(dialect);
      await cli.withApp(async (app) => {
        await app.collections.create({
          name: 'posts',
          type: 'base',
          fields: [{ name: 'title', type: 'text' }],
        });
        await app.records.asSystem().create('posts', { title: 'first' });
      });
    });
    after(() => cli.close());

    test('create, list and restore bring deleted data back', async () => {
      const created = await cli.run('backup', 'create', 'cli_one.zip');
      assert.equal(created.code, 0, created.stderr);
      assert.match(created.stdout, /^Backup cli_one\.zip created \(\d+ bytes\)\.\n$/);
      const generated = await cli.run('backup', 'create');
      assert.equal(generated.code, 0, generated.stderr);
      assert.match(generated.stdout, /^Backup fb_backup_\d{14}\.zip created/);

      const listed = await cli.run('backup', 'list');
      assert.equal(listed.code, 0, listed.stderr);
      const keys = listed.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('\t')[0])
        .sort();
      assert.equal(keys.length, 2);
      assert.equal(keys[0], 'cli_one.zip');

      await cli.withApp(async (app) => {
        await app.records.asSystem().create('posts', { title: 'second' });
        const first = (await app.records.list('posts', { filter: "title='first'" }, { superuser: true }))
          .items[0]!;
        await app.records.asSystem().delete('posts', String(first.id));
      });
      assert.deepEqual(await titles(), ['second']);

      const restored = await cli.run('backup', 'restore', 'cli_one.zip');
      assert.equal(restored.code, 0, restored.stderr);
      assert.equal(restored.stdout, 'Backup cli_one.zip restored.\n');
      assert.deepEqual(await titles(), ['first']);

      const bad = await cli.run('backup', 'create', 'Bad Name');
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /name: Must be in a valid format\./);
      const missing = await cli.run('backup', 'restore', 'nope.zip');
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /Missing or invalid backup file\./);
    });
  });
}
