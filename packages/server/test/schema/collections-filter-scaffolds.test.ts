import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import PocketBase, { ClientResponseError } from 'pocketbase';
import { DIALECTS, SUPERUSER_EMAIL, SUPERUSER_PASSWORD, startTestApp, type TestApp } from '../support/app.ts';

async function status(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ClientResponseError);
    return e.status;
  }
  return 200;
}

for (const dialect of DIALECTS) {
  describe(`collections list filter and scaffolds (${dialect})`, () => {
    let t: TestApp;
    let pb: PocketBase;
    before(async () => {
      t = await startTestApp(dialect);
      pb = new PocketBase(t.url);
      pb.autoCancellation(false);
      await pb.collection('_superusers').authWithPassword(SUPERUSER_EMAIL, SUPERUSER_PASSWORD);
      await pb.collections.create({
        name: 'articles',
        type: 'base',
        fields: [{ name: 'title', type: 'text' }],
      });
      await pb.collections.create({ name: 'members', type: 'auth' });
      await pb.collections.create({
        name: 'article_titles',
        type: 'view',
        viewQuery: 'SELECT id, title FROM articles',
      });
    });
    after(() => t.close());

    const names = (list: { name: string }[]) => list.map((c) => c.name);

    test('filter over name, type and system, with sort', async () => {
      assert.deepEqual(names(await pb.collections.getFullList({ filter: "type = 'auth'", sort: 'name' })), [
        '_superusers',
        'members',
      ]);
      assert.deepEqual(
        names(
          await pb.collections.getFullList({ filter: "name ~ 'article' && system = false", sort: '-name' }),
        ),
        ['articles', 'article_titles'],
      );
      assert.deepEqual(names(await pb.collections.getFullList({ filter: 'system = true', sort: 'name' })), [
        '_authOrigins',
        '_externalAuths',
        '_mfas',
        '_otps',
        '_superusers',
      ]);
      const page = await pb.collections.getList(1, 1, { filter: "type != 'view'", sort: '-created,name' });
      assert.equal(page.totalItems, 7);
      assert.equal(page.totalPages, 7);
      assert.equal(page.items.length, 1);
      const one = await pb.collections.getFirstListItem(`id = '${page.items[0]?.id}'`);
      assert.equal(one.id, page.items[0]?.id);
      assert.deepEqual(
        names(await pb.collections.getFullList({ filter: "created > '2000-01-01'", sort: 'type,name' })),
        [
          '_superusers',
          'members',
          '_authOrigins',
          '_externalAuths',
          '_mfas',
          '_otps',
          'articles',
          'article_titles',
        ],
      );
    });

    test('a bad filter or a field PocketBase does not resolve is a 400', async () => {
      assert.equal(await status(pb.collections.getList(1, 30, { filter: 'name = ' })), 400);
      assert.equal(await status(pb.collections.getList(1, 30, { filter: "listRule = ''" })), 400);
      assert.equal(await status(pb.collections.getList(1, 30, { filter: "nope = 'x'" })), 400);
      assert.equal(await status(pb.collections.getList(1, 30, { sort: 'fields' })), 400);
    });

    test('the filter needs a superuser like the rest of the collections API', async () => {
      const anon = new PocketBase(t.url);
      assert.equal(await status(anon.collections.getList(1, 30, { filter: "type = 'auth'" })), 401);
    });

    test('getScaffolds gives PocketBase default auth, base and view collections', async () => {
      const s = await pb.collections.getScaffolds();
      assert.deepEqual(Object.keys(s).sort(), ['auth', 'base', 'view']);
      for (const c of Object.values(s)) {
        assert.equal(c.id, '');
        assert.equal(c.name, '');
        assert.equal(c.system, false);
        assert.equal(c.listRule, null);
        assert.equal(c.deleteRule, null);
        assert.equal(c.created, '');
      }
      assert.equal(s.base?.type, 'base');
      assert.deepEqual(
        s.base?.fields.map((f) => f.name),
        ['id'],
      );
      // the same id field a new base collection gets
      const made = await pb.collections.create({ name: 'scaffold_check', type: 'base' });
      assert.deepEqual(s.base?.fields[0], made.fields[0]);
      assert.equal(s.base?.fields[0]?.name, 'id');
      assert.equal(s.base?.fields[0]?.primaryKey, true);
      await pb.collections.delete(made.id);
      assert.deepEqual(s.base?.indexes, []);
      assert.equal(s.view?.type, 'view');
      assert.deepEqual(s.view?.fields, []);
      assert.equal(s.view?.viewQuery, '');
      const auth = s.auth!;
      assert.equal(auth.type, 'auth');
      assert.deepEqual(
        auth.fields.map((f) => f.name),
        ['id', 'password', 'tokenKey', 'email', 'emailVisibility', 'verified'],
      );
      assert.equal(auth.indexes.length, 2);
      const suffix = /^CREATE UNIQUE INDEX `idx_tokenKey_([a-z0-9]{10})` ON `` \(`tokenKey`\)$/.exec(
        auth.indexes[0] ?? '',
      )?.[1];
      assert.ok(suffix, auth.indexes[0]);
      assert.equal(
        auth.indexes[1],
        `CREATE UNIQUE INDEX \`idx_email_${suffix}\` ON \`\` (\`email\`) WHERE \`email\` != ''`,
      );
      assert.equal(auth.authRule, '');
      assert.equal(auth.manageRule, null);
      assert.deepEqual(auth.passwordAuth, { enabled: true, identityFields: ['email'] });
      assert.deepEqual(auth.authToken, { duration: 432000 });
      assert.equal(auth.authAlert.enabled, true);
      assert.equal(auth.authAlert.emailTemplate.subject, 'Login from a new location');
      assert.equal(auth.otp.enabled, false);
      assert.equal(auth.mfa.enabled, false);
    });

    test('scaffolds are for superusers only', async () => {
      assert.equal(await status(new PocketBase(t.url).collections.getScaffolds()), 401);
    });
  });
}
