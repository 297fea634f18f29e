import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { createUsersCollection, USER_PASSWORD } from '../support/auth-users.ts';
import { createManualClock } from '../support/clock.ts';

const LIMITED = {
  status: 429,
  message: 'Too many failed sign-in attempts, please try again later.',
  data: {},
};

// security #4: limits are keyed by (identity, client IP) and by client IP, the client IP
// is read from a trusted proxy's header, and a key at its limit backs off instead of
// refusing the right password for the whole window
for (const dialect of DIALECTS) {
  describe(`lockouts (${dialect})`, () => {
    let t: TestApp;
    const clock = createManualClock();
    before(async () => {
      // the tests reach the server from 127.0.0.1: that is the trusted proxy here
      t = await startTestApp(
        dialect,
        {
          authFailLimitIdentity: 3,
          authFailLimitIp: 6,
          authFailBackoffSeconds: 30,
          trustedProxies: ['127.0.0.1/32'],
        },
        { clock },
      );
      await createUsersCollection(t);
      for (const name of ['owner', 'other', 'slow']) {
        const res = await t.request('POST', '/api/collections/users/records', {
          body: { email: `${name}@example.com`, password: USER_PASSWORD, passwordConfirm: USER_PASSWORD },
        });
        assert.equal(res.status, 200, JSON.stringify(res.body));
      }
      const patched = await t.request('PATCH', '/api/settings', {
        token: 'superuser',
        body: { trustedProxy: { headers: ['X-Forwarded-For'] } },
      });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.deepEqual(patched.body.trustedProxy, { headers: ['X-Forwarded-For'], useLeftmostIP: false });
    });
    after(() => t.close());

    /** A sign-in from `ip`, as the proxy reports it (a spoofed leftmost entry is not believed). */
    const signIn = (ip: string, identity: string, password: string) =>
      t.request('POST', '/api/collections/users/auth-with-password', {
        body: { identity, password },
        headers: { 'x-forwarded-for': `6.6.6.6, ${ip}` },
      });

    test('failures with random emails from one client do not lock out the others behind the proxy', async () => {
      for (let i = 0; i < 6; i++)
        assert.equal((await signIn('203.0.113.1', `random-${i}@example.com`, 'guess')).status, 400);
      assert.deepEqual((await signIn('203.0.113.1', 'other@example.com', USER_PASSWORD)).body, LIMITED);
      const other = await signIn('203.0.113.2', 'other@example.com', USER_PASSWORD);
      assert.equal(other.status, 200, JSON.stringify(other.body));
    });

    test('wrong passwords from one client do not lock the owner out on another', async () => {
      for (let i = 0; i < 3; i++)
        assert.equal((await signIn('203.0.113.3', 'owner@example.com', 'guess')).status, 400);
      assert.deepEqual((await signIn('203.0.113.3', 'owner@example.com', USER_PASSWORD)).body, LIMITED);
      const owner = await signIn('203.0.113.4', 'owner@example.com', USER_PASSWORD);
      assert.equal(owner.status, 200, JSON.stringify(owner.body));
    });

    test('at its limit a client backs off: the right password gets in after the wait', async () => {
      for (let i = 0; i < 3; i++)
        assert.equal((await signIn('203.0.113.5', 'slow@example.com', 'typo')).status, 400);
      assert.deepEqual((await signIn('203.0.113.5', 'slow@example.com', USER_PASSWORD)).body, LIMITED);
      await clock.advance(29_000);
      assert.deepEqual((await signIn('203.0.113.5', 'slow@example.com', USER_PASSWORD)).body, LIMITED);
      await clock.advance(1_000);
      // one attempt after 30 s; a wrong one doubles the wait
      assert.equal((await signIn('203.0.113.5', 'slow@example.com', 'typo')).status, 400);
      await clock.advance(30_000);
      assert.deepEqual((await signIn('203.0.113.5', 'slow@example.com', USER_PASSWORD)).body, LIMITED);
      await clock.advance(30_000);
      const ok = await signIn('203.0.113.5', 'slow@example.com', USER_PASSWORD);
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      // the success cleared the count for that client
      assert.equal((await signIn('203.0.113.5', 'slow@example.com', 'typo')).status, 400);
    });

    test('trustedProxy settings are validated', async () => {
      const res = await t.request('PATCH', '/api/settings', {
        token: 'superuser',
        body: { trustedProxy: { headers: ['X Forwarded'], useLeftmostIP: 'yes' } },
      });
      assert.equal(res.status, 400);
      assert.deepEqual(Object.keys(res.body.data), ['trustedProxy']);
    });
  });
}
