import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../../support/app.ts';
import { createUser, createUsersCollection } from '../../support/auth-users.ts';

const HOOK = 'https://hooks.example.com/in';

for (const dialect of DIALECTS) {
  describe(`webhooks API (${dialect})`, () => {
    let t: TestApp;
    let userToken: string;
    before(async () => {
      t = await startTestApp(dialect);
      await createUsersCollection(t);
      userToken = (await createUser(t, 'webhooks-user@example.com')).token;
      await t.createCollection({
        name: 'orders',
        fields: [
          { name: 'status', type: 'text' },
          { name: 'total', type: 'number' },
        ],
      });
      await t.createCollection({
        name: 'order_totals',
        type: 'view',
        viewQuery: 'SELECT id, total FROM orders',
      });
    });
    after(() => t.close());

    test('create answers the secret once; list, view, patch and delete never show it; it is sealed at rest', async () => {
      const made = await t.request('POST', '/api/webhooks', {
        token: 'superuser',
        body: { collection: 'orders', events: ['update', 'create'], url: HOOK, filter: "status = 'paid'" },
      });
      assert.equal(made.status, 200, JSON.stringify(made.body));
      const { id, secret, created, updated, collectionId, ...rest } = made.body;
      assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
      assert.equal(Buffer.from(secret.slice(6), 'base64').length, 32);
      assert.deepEqual(rest, {
        collection: 'orders',
        events: ['create', 'update'],
        url: HOOK,
        filter: "status = 'paid'",
        enabled: true,
        failures: 0,
        disabledReason: '',
      });
      assert.equal(collectionId, t.app.collections.get('orders').id);
      const list = await t.request('GET', '/api/webhooks', { token: 'superuser' });
      const viewed = await t.request('GET', `/api/webhooks/${id}`, { token: 'superuser' });
      const patched = await t.request('PATCH', `/api/webhooks/${id}`, {
        token: 'superuser',
        body: { events: ['delete'], enabled: false, secret: 'a-new-secret-of-mine' },
      });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.deepEqual([patched.body.events, patched.body.enabled], [['delete'], false]);
      for (const body of [list.body[0], viewed.body, patched.body]) {
        assert.equal(body.id, id);
        assert.equal('secret' in body, false);
      }
      const stored = await t.app.db.first<{ secret: string }>({
        sql: 'SELECT secret FROM _webhooks WHERE id = $1'.replace('$1', dialect === 'sqlite' ? '?' : '$1'),
        parameters: [id],
      });
      assert.match(stored!.secret, /^fbenc:v1:/);
      assert.equal(t.app.secrets.open(stored!.secret), 'a-new-secret-of-mine');
      assert.ok(!JSON.stringify(list.body).includes('a-new-secret'));
      const del = await t.request('DELETE', `/api/webhooks/${id}`, { token: 'superuser' });
      assert.equal(del.status, 204);
      assert.equal((await t.request('GET', `/api/webhooks/${id}`, { token: 'superuser' })).status, 404);
      assert.equal((await t.request('DELETE', `/api/webhooks/${id}`, { token: 'superuser' })).status, 404);
    });

    test('create, update and delete are in the audit log, without the secret', async () => {
      const made = await t.request('POST', '/api/webhooks', {
        token: 'superuser',
        body: { collection: 'orders', events: ['create'], url: HOOK, secret: 'audited-secret-123456' },
      });
      const id = made.body.id;
      await t.request('PATCH', `/api/webhooks/${id}`, { token: 'superuser', body: { url: `${HOOK}/2` } });
      await t.request('DELETE', `/api/webhooks/${id}`, { token: 'superuser' });
      const audit = await t.request(
        'GET',
        `/api/audit?filter=${encodeURIComponent(`target = '${id}'`)}&sort=seq`,
        { token: 'superuser' },
      );
      assert.equal(audit.status, 200, JSON.stringify(audit.body));
      assert.deepEqual(
        audit.body.items.map((e: any) => [e.action, e.actor.type, e.data.url]),
        [
          ['webhook.create', 'superuser', HOOK],
          ['webhook.update', 'superuser', `${HOOK}/2`],
          ['webhook.delete', 'superuser', undefined],
        ],
      );
      assert.ok(!JSON.stringify(audit.body).includes('audited-secret'));
    });

    test('bad values are a 400 naming every field', async () => {
      const bad = await t.request('POST', '/api/webhooks', {
        token: 'superuser',
        body: {
          collection: 'nope',
          events: ['insert'],
          url: 'ftp://x.example.com',
          secret: 'short',
          filter: '',
        },
      });
      assert.equal(bad.status, 400);
      assert.deepEqual(
        Object.fromEntries(Object.entries(bad.body.data).map(([k, v]: [string, any]) => [k, v.code])),
        {
          collection: 'validation_missing_collection',
          events: 'validation_in_invalid',
          url: 'validation_is_url',
          secret: 'validation_length_out_of_range',
        },
      );
      const filter = await t.request('POST', '/api/webhooks', {
        token: 'superuser',
        body: { collection: 'orders', events: ['create'], url: HOOK, filter: 'missing_field = 1' },
      });
      assert.equal(filter.status, 400);
      assert.equal(filter.body.data.filter.code, 'validation_invalid_rule');
      const syntax = await t.request('POST', '/api/webhooks', {
        token: 'superuser',
        body: { collection: 'orders', events: ['create'], url: HOOK, filter: "status = 'paid" },
      });
      assert.equal(syntax.body.data.filter.code, 'validation_invalid_rule');
      const view = await t.request('POST', '/api/webhooks', {
        token: 'superuser',
        body: { collection: 'order_totals', events: ['create'], url: HOOK },
      });
      assert.equal(view.body.data.collection.code, 'validation_invalid_value');
      const none = await t.request('POST', '/api/webhooks', {
        token: 'superuser',
        body: { collection: 'orders', events: [], url: HOOK },
      });
      assert.equal(none.body.data.events.code, 'validation_in_invalid');
    });

    test('the route schema refuses wrong JSON types and missing keys with field data', async () => {
      const res = await t.request('POST', '/api/webhooks', {
        token: 'superuser',
        body: { collection: 'orders', events: 'create', enabled: 'yes' },
      });
      assert.equal(res.status, 400);
      assert.deepEqual(Object.keys(res.body.data).sort(), ['enabled', 'events', 'url']);
      const patch = await t.request('PATCH', '/api/webhooks/whatever', {
        token: 'superuser',
        body: { url: 5 },
      });
      assert.equal(patch.status, 400);
      assert.deepEqual(Object.keys(patch.body.data), ['url']);
      const status = await t.request('GET', '/api/webhooks/whatever/deliveries?status=lost', {
        token: 'superuser',
      });
      assert.equal(status.status, 400);
      assert.deepEqual(Object.keys(status.body.data), ['status']);
    });

    test('private and loopback receivers are refused on save by default', async () => {
      for (const url of [
        'http://127.0.0.1:9/x',
        'http://[::1]/x',
        'http://10.1.2.3/',
        'http://localhost:80/',
        'http://169.254.169.254/latest',
      ]) {
        const res = await t.request('POST', '/api/webhooks', {
          token: 'superuser',
          body: { collection: 'orders', events: ['create'], url },
        });
        assert.equal(res.status, 400, url);
        assert.equal(res.body.data.url.code, 'validation_is_url');
        assert.match(res.body.data.url.message, /private address/);
      }
    });

    test('a user gets 403 and a guest 401 on every route, before any input check', async () => {
      const routes: [string, string][] = [
        ['POST', '/api/webhooks'],
        ['GET', '/api/webhooks'],
        ['GET', '/api/webhooks/x'],
        ['PATCH', '/api/webhooks/x'],
        ['DELETE', '/api/webhooks/x'],
        ['GET', '/api/webhooks/x/deliveries'],
        ['POST', '/api/webhooks/x/deliveries/y/redeliver'],
      ];
      for (const [method, path] of routes) {
        const body = method === 'POST' || method === 'PATCH' ? { url: 5 } : undefined;
        const user = await t.request(method, path, { token: userToken, ...(body ? { body } : {}) });
        assert.equal(user.status, 403, `${method} ${path}`);
        const guest = await t.request(method, path, body ? { body } : {});
        assert.equal(guest.status, 401, `${method} ${path}`);
        assert.deepEqual(Object.keys(guest.body).sort(), ['data', 'message', 'status']);
      }
    });

    test('unknown webhooks and deliveries are 404; the routes are in the OpenAPI document', async () => {
      assert.equal(
        (await t.request('GET', '/api/webhooks/none/deliveries', { token: 'superuser' })).status,
        404,
      );
      const made = await t.request('POST', '/api/webhooks', {
        token: 'superuser',
        body: { collection: 'orders', events: ['create'], url: HOOK },
      });
      const redo = await t.request('POST', `/api/webhooks/${made.body.id}/deliveries/none/redeliver`, {
        token: 'superuser',
      });
      assert.deepEqual([redo.status, redo.body.message], [404, 'The delivery does not exist.']);
      const doc = (await t.request('GET', '/api/docs/openapi.json')).body;
      for (const [path, method] of [
        ['/api/webhooks', 'post'],
        ['/api/webhooks/{id}', 'patch'],
        ['/api/webhooks/{id}/deliveries', 'get'],
        ['/api/webhooks/{id}/deliveries/{deliveryId}/redeliver', 'post'],
      ] as const) {
        assert.equal(doc.paths[path][method]['x-forgebase'], true, `${method} ${path}`);
      }
      await t.request('DELETE', `/api/webhooks/${made.body.id}`, { token: 'superuser' });
    });
  });
}
