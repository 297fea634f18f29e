import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import PocketBase from 'pocketbase';
import { DIALECTS, SUPERUSER_EMAIL, SUPERUSER_PASSWORD, startTestApp, type TestApp } from '../support/app.ts';
import { createUser, createUsersCollection } from '../support/auth-users.ts';

function client(url: string): PocketBase {
  const pb = new PocketBase(url);
  pb.autoCancellation(false);
  return pb;
}

for (const dialect of DIALECTS) {
  describe(`GET /api/health (${dialect})`, () => {
    let t: TestApp;
    let superuser: PocketBase;
    before(async () => {
      t = await startTestApp(dialect);
      superuser = client(t.url);
      await superuser.collection('_superusers').authWithPassword(SUPERUSER_EMAIL, SUPERUSER_PASSWORD);
    });
    after(() => t.close());

    test('a guest and a signed-in user get the bare answer', async () => {
      const bare = { code: 200, message: 'API is healthy.', data: {} };
      assert.deepEqual(await client(t.url).health.check(), bare);
      await createUsersCollection(t);
      const user = await createUser(t, 'health@example.com');
      const pb = client(t.url);
      pb.authStore.save(user.token);
      assert.deepEqual(await pb.health.check(), bare);
      // an invalid token is no superuser either, and no error
      pb.authStore.save('not-a-token');
      assert.deepEqual(await pb.health.check(), bare);
    });

    test('a superuser also gets canBackup, realIP and possibleProxyHeader', async () => {
      assert.deepEqual(await superuser.health.check(), {
        code: 200,
        message: 'API is healthy.',
        data: { canBackup: true, realIP: '127.0.0.1', possibleProxyHeader: '' },
      });
    });

    test('a common proxy header present is named as possibleProxyHeader, the real IP stays the peer', async () => {
      const res = await superuser.health.check({ headers: { 'X-Forwarded-For': '203.0.113.9' } });
      assert.deepEqual(res.data, {
        canBackup: true,
        realIP: '127.0.0.1',
        possibleProxyHeader: 'X-Forwarded-For',
      });
      const cf = await superuser.health.check({ headers: { 'CF-Connecting-IP': '203.0.113.9' } });
      assert.equal(cf.data.possibleProxyHeader, 'CF-Connecting-IP');
    });
  });

  describe(`GET /api/health behind a trusted proxy (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect, { trustedProxies: ['127.0.0.1'], trustedProxyHeaders: ['X-Real-IP'] });
    });
    after(() => t.close());

    test('realIP is the address the trusted header names, and that header comes first', async () => {
      const pb = client(t.url);
      await pb.collection('_superusers').authWithPassword(SUPERUSER_EMAIL, SUPERUSER_PASSWORD);
      const res = await pb.health.check({
        headers: { 'X-Real-IP': '198.51.100.7', 'X-Forwarded-For': '203.0.113.9' },
      });
      assert.deepEqual(res.data, {
        canBackup: true,
        realIP: '198.51.100.7',
        possibleProxyHeader: 'X-Real-IP',
      });
    });
  });
}
