import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type App, createApp } from '../../src/app.ts';
import { DIALECTS, silentLogger, startTestApp, type TestApp } from '../support/app.ts';
import { createUser, createUsersCollection, type TestUser, USER_PASSWORD } from '../support/auth-users.ts';
import { createManualClock, type ManualClock } from '../support/clock.ts';

// Signed-in requests are answered from a cache of verified tokens: what revokes a token or
// changes its record must reach that cache at once on this node, and within a second on
// another node sharing the database.
for (const dialect of DIALECTS) {
  describe(`cached auth tokens (${dialect})`, () => {
    let t: TestApp;
    let clock: ManualClock;
    before(async () => {
      clock = createManualClock();
      t = await startTestApp(dialect, {}, { clock });
      await createUsersCollection(t);
      // a note is listed to the signed-in user whose name is "alice"
      await t.createCollection({
        name: 'notes',
        listRule: '@request.auth.name = "alice"',
        fields: [{ name: 'text', type: 'text' }],
      });
      await t.request('POST', '/api/collections/notes/records', { token: 'superuser', body: { text: 'hi' } });
      // and a memo to every signed-in user
      await t.createCollection({
        name: 'memos',
        listRule: '@request.auth.id != ""',
        fields: [{ name: 'text', type: 'text' }],
      });
      await t.request('POST', '/api/collections/memos/records', { token: 'superuser', body: { text: 'hi' } });
    });
    after(() => t.close());

    const refresh = (user: TestUser, token = user.token) =>
      t.request('POST', '/api/collections/users/auth-refresh', { token });
    const listed = async (collection: string, token: string) =>
      (await t.request('GET', `/api/collections/${collection}/records`, { token })).body.totalItems;
    const notes = (token: string) => listed('notes', token);

    test('a password change refuses the old token on the next request', async () => {
      const user = await createUser(t, 'pw@example.com');
      assert.equal((await refresh(user)).status, 200);
      assert.equal((await refresh(user)).status, 200, 'answered from the cache');
      const changed = await t.request('PATCH', `/api/collections/users/records/${user.id}`, {
        token: user.token,
        body: {
          oldPassword: USER_PASSWORD,
          password: 'a-new-password-1',
          passwordConfirm: 'a-new-password-1',
        },
      });
      assert.equal(changed.status, 200, JSON.stringify(changed.body));
      assert.equal((await refresh(user)).status, 401);
    });

    test('deleting the record refuses its token', async () => {
      const user = await createUser(t, 'gone@example.com');
      assert.equal(await listed('memos', user.token), 1);
      const del = await t.request('DELETE', `/api/collections/users/records/${user.id}`, {
        token: 'superuser',
      });
      assert.equal(del.status, 204);
      assert.equal(await listed('memos', user.token), 0, 'the deleted user is anonymous now');
      assert.equal((await refresh(user)).status, 401);
    });

    test('rules see the record as it is now, not as it was cached', async () => {
      const user = await createUser(t, 'rename@example.com', { name: 'bob' });
      assert.equal(await notes(user.token), 0);
      const renamed = await t.request('PATCH', `/api/collections/users/records/${user.id}`, {
        token: 'superuser',
        body: { name: 'alice' },
      });
      assert.equal(renamed.status, 200);
      assert.equal(await notes(user.token), 1);
    });

    test('a changed collection token secret refuses every token of the collection', async () => {
      const user = await createUser(t, 'secret@example.com');
      assert.equal((await refresh(user)).status, 200);
      const patched = await t.request('PATCH', '/api/collections/users', {
        token: 'superuser',
        body: { authToken: { secret: 'x'.repeat(50), duration: 604800 } },
      });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.equal((await refresh(user)).status, 401);
    });

    // last: it moves the clock past every token's expiry, the superuser's too
    test('a cached token stops working when it expires', async () => {
      const user = await createUser(t, 'expiring@example.com');
      assert.equal((await refresh(user)).status, 200);
      const days = 8; // past the users collection's default auth token duration (7 days)
      await clock.advance(days * 86_400_000);
      assert.equal((await refresh(user)).status, 401);
    });
  });
}

describe('cached auth tokens across nodes (postgres)', () => {
  let t: TestApp;
  let nodeB: App;
  before(async () => {
    t = await startTestApp('postgres');
    await createUsersCollection(t);
    nodeB = await createApp(t.config, { logger: silentLogger() });
    await nodeB.start();
  });
  after(async () => {
    await nodeB.stop();
    await t.close();
  });

  test('a password changed on node A refuses the token on node B within a second', async () => {
    const user = await createUser(t, 'two-nodes@example.com');
    const urlB = (await nodeB.http.server.address()) as { port: number };
    const refreshOnB = () =>
      fetch(`http://127.0.0.1:${urlB.port}/api/collections/users/auth-refresh`, {
        method: 'POST',
        headers: { authorization: user.token },
      }).then((r) => r.status);
    assert.equal(await refreshOnB(), 200);
    assert.equal(await refreshOnB(), 200, 'answered from node B cache');
    const changed = await t.request('PATCH', `/api/collections/users/records/${user.id}`, {
      token: 'superuser',
      body: { password: 'a-new-password-1', passwordConfirm: 'a-new-password-1' },
    });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    const deadline = Date.now() + 1000;
    let status = await refreshOnB();
    while (status === 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      status = await refreshOnB();
    }
    assert.equal(status, 401, 'node B still accepted the old token after 1 s');
  });
});
