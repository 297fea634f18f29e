import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, SUPERUSER_EMAIL, startTestApp, type TestApp } from '../support/app.ts';
import { createUser, createUsersCollection, type TestUser, USER_PASSWORD } from '../support/auth-users.ts';

/** The entries appended since `seq`, oldest first, as [action, target] with the rest. */
async function entriesAfter(t: TestApp, seq: number) {
  const res = await t.request('GET', `/api/audit?perPage=500&filter=${encodeURIComponent(`seq > ${seq}`)}`, {
    token: 'superuser',
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.items as any[];
}

for (const dialect of DIALECTS) {
  describe(`audit API and append points (${dialect})`, () => {
    let t: TestApp;
    let user: TestUser;
    let rootId: string;
    before(async () => {
      t = await startTestApp(dialect);
      await createUsersCollection(t);
      user = await createUser(t, 'ann@example.com');
      rootId = String(
        (await t.app.records.findByField(t.app.collections.get('_superusers'), 'email', SUPERUSER_EMAIL))!.id,
      );
    });
    after(() => t.close());

    test('GET /api/audit is for superusers: 401 without auth, 403 for a user', async () => {
      assert.equal((await t.request('GET', '/api/audit')).status, 401);
      assert.equal((await t.request('GET', '/api/audit', { token: user.token })).status, 403);
    });

    test('sign-ins are audited, failed ones too, with method, IP and actor', async () => {
      const head = (await t.app.audit.head()).seq;
      const bad = await t.request('POST', '/api/collections/users/auth-with-password', {
        body: { identity: 'ann@example.com', password: 'wrong-password' },
      });
      assert.equal(bad.status, 400);
      const ok = await t.request('POST', '/api/collections/users/auth-with-password', {
        body: { identity: 'ann@example.com', password: USER_PASSWORD },
      });
      assert.equal(ok.status, 200);
      const items = await entriesAfter(t, head);
      assert.deepEqual(
        items.map((e) => [e.action, e.target, e.ip, e.actor, e.data]),
        [
          [
            'auth.signInFailed',
            'users',
            '127.0.0.1',
            { type: 'guest', id: '', collection: '' },
            { method: 'password', identity: 'ann@example.com', status: 400 },
          ],
          [
            'auth.signIn',
            `users/${user.id}`,
            '127.0.0.1',
            { type: 'record', id: user.id, collection: 'users' },
            { method: 'password' },
          ],
        ],
      );
    });

    test('schema changes are audited with their diff and the superuser who made them', async () => {
      const head = (await t.app.audit.head()).seq;
      await t.createCollection({ name: 'notes', type: 'base', fields: [{ name: 'title', type: 'text' }] });
      const patched = await t.request('PATCH', '/api/collections/notes', {
        token: 'superuser',
        body: { listRule: '', fields: [{ name: 'body', type: 'text' }] },
      });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      const items = await entriesAfter(t, head);
      assert.deepEqual(
        items.map((e) => [e.action, e.target, e.actor]),
        [
          ['collection.create', 'notes', { type: 'superuser', id: rootId, collection: '_superusers' }],
          ['collection.update', 'notes', { type: 'superuser', id: rootId, collection: '_superusers' }],
        ],
      );
      assert.deepEqual(items[0].data.fields, ['id', 'title']);
      assert.deepEqual(items[1].data.rules, { listRule: { from: null, to: '' } });
      assert.deepEqual(items[1].data.fields, { added: ['body'], removed: ['title'], changed: [] });
    });

    test('settings changes are audited with their secrets redacted; the raw table holds none', async () => {
      const head = (await t.app.audit.head()).seq;
      const res = await t.request('PATCH', '/api/settings', {
        token: 'superuser',
        body: {
          smtp: {
            enabled: false,
            host: 'smtp.example.com',
            port: 587,
            username: 'u',
            password: 'smtp-secret-77',
          },
        },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const [entry] = await entriesAfter(t, head);
      assert.equal(entry.action, 'settings.update');
      assert.deepEqual(entry.data.sections, ['smtp']);
      assert.equal(entry.data.patch.smtp.password, '***');
      assert.equal(entry.data.patch.smtp.host, 'smtp.example.com');
      const rows = await t.app.db.all(t.app.db.sys.selectFrom('_audit').selectAll());
      assert.ok(!JSON.stringify(rows).includes('smtp-secret-77'));
    });

    test('API keys, impersonation and password changes are audited', async () => {
      const head = (await t.app.audit.head()).seq;
      const key = await t.request('POST', '/api/keys', {
        token: 'superuser',
        body: { name: 'ci', scopes: [{ collection: 'notes', operations: ['list'] }] },
      });
      assert.equal(key.status, 200, JSON.stringify(key.body));
      assert.equal(
        (await t.request('DELETE', `/api/keys/${key.body.id}`, { token: 'superuser' })).status,
        204,
      );
      const imp = await t.request('POST', `/api/collections/users/impersonate/${user.id}`, {
        token: 'superuser',
        body: {},
      });
      assert.equal(imp.status, 200);
      const pw = await t.request('PATCH', `/api/collections/users/records/${user.id}`, {
        token: 'superuser',
        body: { password: 'new-password-456', passwordConfirm: 'new-password-456' },
      });
      assert.equal(pw.status, 200, JSON.stringify(pw.body));
      const items = await entriesAfter(t, head);
      assert.deepEqual(
        items.map((e) => [e.action, e.target, e.actor.type]),
        [
          ['apiKey.create', key.body.id, 'superuser'],
          ['apiKey.revoke', key.body.id, 'superuser'],
          ['auth.impersonate', `users/${user.id}`, 'superuser'],
          ['auth.passwordChange', `users/${user.id}`, 'superuser'],
        ],
      );
      assert.ok(!JSON.stringify(items).includes(key.body.secret));
    });

    test('filter and sort follow PocketBase: a bad filter is a 400', async () => {
      const res = await t.request(
        'GET',
        `/api/audit?sort=-seq&perPage=1&filter=${encodeURIComponent("action ~ 'auth.sign' && data.method = 'password'")}`,
        { token: 'superuser' },
      );
      assert.equal(res.status, 200);
      assert.equal(res.body.items.length, 1);
      assert.equal(res.body.items[0].action, 'auth.signIn');
      const bad = await t.request('GET', '/api/audit?filter=nope%20%3D%201', { token: 'superuser' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.data.filter.code, 'validation_invalid_filter');
    });

    test('every entry the suite made verifies', async () => {
      const r = await t.app.audit.verify();
      assert.equal(r.ok, true, JSON.stringify(r));
    });
  });
}
