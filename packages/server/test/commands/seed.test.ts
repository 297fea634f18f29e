import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEMO_PASSWORD, DEMO_USERS } from '../../src/commands/seed.ts';
import { DIALECTS } from '../support/app.ts';
import { type CliTarget, cliTarget } from '../support/cli.ts';

for (const dialect of DIALECTS) {
  describe(`forgebase seed (${dialect})`, () => {
    let cli: CliTarget;
    before(() => {
      cli = cliTarget(dialect);
    });
    after(() => cli.close());

    test('creates the users and posts collections, three users and sample posts', async () => {
      const res = await cli.run('seed');
      assert.deepEqual(res, {
        code: 0,
        stdout:
          'Created collections: users, posts.\n' +
          `Created users (password ${DEMO_PASSWORD}): alice@example.com, bob@example.com, carol@example.com.\n` +
          'Created 12 posts.\n',
        stderr: '',
      });
      await cli.withApp(async (app) => {
        for (const u of DEMO_USERS) {
          const signedIn = await app.auth.authWithPassword('users', {
            identity: u.email,
            password: DEMO_PASSWORD,
          });
          assert.ok('record' in signedIn && signedIn.record.name === u.name);
        }
        const all = await app.records.asSystem().list('posts', { perPage: 100 });
        assert.equal(all.totalItems, 12);
        // the rules: a guest sees the published half
        const visible = await app.records.list('posts', { perPage: 100 }, { superuser: false });
        assert.equal(visible.totalItems, 6);
        assert.ok(visible.items.every((p) => p.published === true));
      });
    });

    test('a second run adds nothing', async () => {
      const res = await cli.run('seed', '--json');
      assert.equal(res.code, 0, res.stderr);
      assert.deepEqual(JSON.parse(res.stdout), {
        collections: [],
        users: [],
        posts: 0,
        password: DEMO_PASSWORD,
      });
      const total = await cli.withApp(async (app) => (await app.records.asSystem().list('posts')).totalItems);
      assert.equal(total, 12);
    });
  });
}
