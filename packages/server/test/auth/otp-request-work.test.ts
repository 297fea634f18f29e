import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { argon2Derivations } from '../../src/auth/password.ts';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { createUser, createUsersCollection } from '../support/auth-users.ts';

// security #13: request-otp answered in 2 ms for unknown emails and 42 ms for known ones
// (the argon2 hash of the new code). Checked on the work done, not on timing: every path
// hashes one code and answers an id of the same shape.
for (const dialect of DIALECTS) {
  describe(`request-otp work (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
      await createUsersCollection(t);
      const patched = await t.request('PATCH', '/api/collections/users', {
        token: 'superuser',
        body: { otp: { enabled: true } },
      });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      await createUser(t, 'known@example.com');
    });
    after(() => t.close());

    /** The answer to one request, and how many argon2 derivations it started. */
    const request = async (path: string, email: string) => {
      const before = argon2Derivations();
      const res = await t.request('POST', `/api/collections/users/${path}`, { body: { email } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.match(res.body.otpId, /^[a-z0-9]{15}$/);
      return argon2Derivations() - before;
    };

    for (const path of ['request-otp', 'request-magic-link']) {
      test(`${path}: a known and an unknown email cost one hash each`, async () => {
        assert.equal(await request(path, 'known@example.com'), 1);
        assert.equal(await request(path, 'unknown@example.com'), 1);
      });
    }

    test('a known email past its recent-codes cap costs the same hash', async () => {
      // 2 codes so far; 10 is the cap
      for (let i = 0; i < 8; i++) assert.equal(await request('request-otp', 'known@example.com'), 1);
      assert.equal(await request('request-otp', 'known@example.com'), 1);
      const stored = await t.app.db.all<{ n: unknown }>(
        t.app.db.qb.selectFrom('_otps').select((eb) => eb.fn.countAll().as('n')),
      );
      assert.equal(Number(stored[0]!.n), 10);
    });
  });
}
