import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { createApp } from '../../src/app.ts';
import { parseRole } from '../../src/auth/operator-roles.ts';
import {
  DIALECTS,
  SUPERUSER_EMAIL,
  silentLogger,
  startTestApp,
  type TestApp,
  testConfig,
} from '../support/app.ts';
import { testStorage } from '../support/storage.ts';

const PASSWORD = 'operator-pass-123';

for (const dialect of DIALECTS) {
  describe(`superuser roles (${dialect})`, () => {
    let t: TestApp;
    const tokens: Record<string, string> = {};
    const ids: Record<string, string> = {};
    before(async () => {
      t = await startTestApp(dialect);
      for (const role of ['admin', 'developer', 'viewer']) {
        const email = `${role}@example.com`;
        const made = await t.request('POST', '/api/collections/_superusers/records', {
          token: 'superuser',
          body: { email, password: PASSWORD, passwordConfirm: PASSWORD, role },
        });
        assert.equal(made.status, 200, JSON.stringify(made.body));
        ids[role] = made.body.id;
        const auth = await t.request('POST', '/api/collections/_superusers/auth-with-password', {
          body: { identity: email, password: PASSWORD },
        });
        assert.equal(auth.status, 200);
        tokens[role] = auth.body.token;
      }
    });
    after(() => t.close());

    const as = (role: string, method: string, path: string, body?: unknown) =>
      t
        .request(method, path, {
          token: role === 'owner' ? 'superuser' : tokens[role]!,
          ...(body ? { body } : {}),
        })
        .then((r) => r.status);

    test('a superuser made before roles (no role) is an owner; the role field is on _superusers', async () => {
      const su = t.app.collections.get('_superusers');
      const field = su.fields.find((f) => f.name === 'role');
      assert.deepEqual((field as any)?.values, ['owner', 'admin', 'developer', 'viewer']);
      const root = await t.app.records.findByField(su, 'email', SUPERUSER_EMAIL);
      assert.equal(root?.role, '');
      assert.equal(await as('owner', 'GET', '/api/settings'), 200);
    });

    test('a viewer reads the dashboard, logs and audit, and changes nothing', async () => {
      assert.equal(await as('viewer', 'GET', '/api/collections'), 200);
      assert.equal(await as('viewer', 'GET', '/api/logs'), 200);
      assert.equal(await as('viewer', 'GET', '/api/audit'), 200);
      assert.equal(await as('viewer', 'GET', '/api/collections/_superusers/records'), 200);
      assert.equal(await as('viewer', 'POST', '/api/realtime', { clientId: 'x', subscriptions: [] }), 404);
      assert.equal(await as('viewer', 'POST', '/api/collections', { name: 'v1', type: 'base' }), 403);
      assert.equal(await as('viewer', 'POST', '/api/batch', { requests: [] }), 403);
      assert.equal(await as('viewer', 'GET', '/api/settings'), 403);
      assert.equal(await as('viewer', 'DELETE', '/api/logs'), 403);
    });

    test('a developer changes schema and data, not settings, superusers, keys or backups', async () => {
      assert.equal(
        await as('developer', 'POST', '/api/collections', { name: 'dev_notes', type: 'base' }),
        200,
      );
      assert.equal(await as('developer', 'POST', '/api/collections/dev_notes/records', {}), 200);
      assert.equal(await as('developer', 'GET', '/api/settings'), 403);
      assert.equal(await as('developer', 'PATCH', '/api/settings', { meta: { appName: 'x' } }), 403);
      assert.equal(await as('developer', 'POST', '/api/keys', { name: 'k', scopes: [] }), 403);
      assert.equal(await as('developer', 'POST', '/api/backups', {}), 403);
      assert.equal(
        await as('developer', 'POST', '/api/collections/_superusers/records', {
          email: 'x@example.com',
          password: PASSWORD,
          passwordConfirm: PASSWORD,
          role: 'viewer',
        }),
        403,
      );
      // nor through a batch, which reaches the same record writes
      const batch = await t.request('POST', '/api/batch', {
        token: tokens.developer!,
        body: {
          requests: [
            {
              method: 'POST',
              url: '/api/collections/_superusers/records',
              body: { email: 'y@example.com', password: PASSWORD, passwordConfirm: PASSWORD, role: 'viewer' },
            },
          ],
        },
      });
      assert.notEqual(batch.status, 200, JSON.stringify(batch.body));
      assert.equal(
        await as('developer', 'POST', `/api/collections/_superusers/impersonate/${ids.viewer}`, {}),
        403,
      );
    });

    test('an admin manages settings and non-owner superusers; only an owner makes an owner', async () => {
      assert.equal(await as('admin', 'PATCH', '/api/settings', { meta: { appName: 'Forge' } }), 200);
      assert.equal(
        await as('admin', 'POST', '/api/collections/_superusers/records', {
          email: 'dev2@example.com',
          password: PASSWORD,
          passwordConfirm: PASSWORD,
          role: 'developer',
        }),
        200,
      );
      assert.equal(
        await as('admin', 'POST', '/api/collections/_superusers/records', {
          email: 'owner2@example.com',
          password: PASSWORD,
          passwordConfirm: PASSWORD,
        }),
        403,
        'no role means owner',
      );
      assert.equal(
        await as('admin', 'PATCH', `/api/collections/_superusers/records/${ids.viewer}`, { role: 'owner' }),
        403,
      );
      const root = await t.app.records.findByField(
        t.app.collections.get('_superusers'),
        'email',
        SUPERUSER_EMAIL,
      );
      assert.equal(await as('admin', 'DELETE', `/api/collections/_superusers/records/${root!.id}`), 403);
      assert.equal(
        await as('admin', 'PATCH', `/api/collections/_superusers/records/${ids.viewer}`, {
          role: 'developer',
        }),
        200,
      );
      assert.equal(
        await as('admin', 'PATCH', `/api/collections/_superusers/records/${ids.viewer}`, { role: 'viewer' }),
        200,
      );
    });

    test('the last owner cannot be demoted or deleted through the API', async () => {
      const root = await t.app.records.findByField(
        t.app.collections.get('_superusers'),
        'email',
        SUPERUSER_EMAIL,
      );
      const res = await t.request('PATCH', `/api/collections/_superusers/records/${root!.id}`, {
        token: 'superuser',
        body: { role: 'admin' },
      });
      assert.equal(res.status, 400);
      assert.equal(res.body.message, 'The last owner cannot be deleted or given another role.');
    });

    test('a changed role applies to the next request of a signed-in superuser', async () => {
      assert.equal(
        await as('owner', 'PATCH', `/api/collections/_superusers/records/${ids.viewer}`, {
          role: 'developer',
        }),
        200,
      );
      assert.equal(await as('viewer', 'POST', '/api/collections', { name: 'v2', type: 'base' }), 200);
      assert.equal(
        await as('owner', 'PATCH', `/api/collections/_superusers/records/${ids.viewer}`, { role: 'viewer' }),
        200,
      );
      assert.equal(await as('viewer', 'POST', '/api/collections', { name: 'v3', type: 'base' }), 403);
    });

    test('superuser changes are audited and name the actor', async () => {
      const items = (await t.app.audit.list({ filter: "action ~ 'superuser.'", perPage: 100 })).items;
      const roleChanges = items.filter((e) => e.action === 'superuser.update');
      assert.ok(roleChanges.length >= 2);
      assert.deepEqual(
        roleChanges.slice(0, 2).map((e) => [e.actor.id, e.target, e.data]),
        [
          [ids.admin, `_superusers/${ids.viewer}`, { fields: ['role'], role: 'developer' }],
          [ids.admin, `_superusers/${ids.viewer}`, { fields: ['role'], role: 'viewer' }],
        ],
      );
      const created = items.find(
        (e) => e.action === 'superuser.create' && e.data.email === 'dev2@example.com',
      );
      assert.deepEqual(created?.actor, { type: 'superuser', id: ids.admin, collection: '_superusers' });
    });
  });
}

for (const dialect of DIALECTS) {
  describe(`superuser roles on upgrade (${dialect})`, () => {
    test('a database from before roles gains the role field at start; its superusers are owners', async () => {
      const storage = testStorage(dialect, 'fb-roles-upgrade-');
      const config = testConfig(dialect, storage.dir, storage.schema);
      let app = await createApp(config, { logger: silentLogger() });
      try {
        await app.records.asSystem().create('_superusers', {
          email: 'old@example.com',
          password: PASSWORD,
          passwordConfirm: PASSWORD,
        });
        // what an older ForgeBase left: no role column, no role field in the definition
        const row = await app.db.first(
          app.db.sys.selectFrom('_collections').select('data').where('name', '=', '_superusers'),
        );
        const def = JSON.parse(String(row?.data));
        def.fields = def.fields.filter((f: { name: string }) => f.name !== 'role');
        await app.db.run(
          app.db.sys
            .updateTable('_collections')
            .set({ data: JSON.stringify(def) })
            .where('name', '=', '_superusers'),
        );
        await app.db.exec('ALTER TABLE _superusers DROP COLUMN role');
        await app.stop();
        app = await createApp(config, { logger: silentLogger() });
        const su = app.collections.get('_superusers');
        assert.ok(su.fields.some((f) => f.name === 'role'));
        const old = await app.records.findByField(su, 'email', 'old@example.com');
        assert.equal(old?.role, '');
        assert.equal(parseRole(old?.role), 'owner');
        // a system change: no migration file for the user's project
        assert.deepEqual(existsSync(config.migrationsDir) ? readdirSync(config.migrationsDir) : [], []);
      } finally {
        await app.stop();
        await storage.remove();
      }
    });
  });
}
