import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { createUser, createUsersCollection } from '../support/auth-users.ts';

/** How many of the answers had each status, e.g. `{400: 5, 429: 20}`. */
const tally = (statuses: number[]) => {
  const out: Record<number, number> = {};
  for (const s of statuses) out[s] = (out[s] ?? 0) + 1;
  return out;
};

// security #3: an attempt is counted when it arrives, not after the slow verify, so
// parallel guesses cannot all pass the check; a 400 means the guess was verified
for (const dialect of DIALECTS) {
  describe(`parallel guesses (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect, { authFailLimitIdentity: 5, authFailLimitIp: 20 });
      await createUsersCollection(t);
      const patched = await t.request('PATCH', '/api/collections/users', {
        token: 'superuser',
        body: { otp: { enabled: true } },
      });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
    });
    after(() => t.close());

    const post = (path: string, body: unknown, token?: string) =>
      t.request('POST', `/api/collections/users/${path}`, { body, ...(token ? { token } : {}) });
    const statuses = async (n: number, send: (i: number) => Promise<{ status: number }>) =>
      tally((await Promise.all(Array.from({ length: n }, (_, i) => send(i)))).map((r) => r.status));

    test('25 parallel wrong passwords: at most the identity limit (5) are verified', async () => {
      await createUser(t, 'pw@example.com');
      const seen = await statuses(25, (i) =>
        post('auth-with-password', { identity: 'pw@example.com', password: `wrong-${i}` }),
      );
      assert.deepEqual(seen, { 400: 5, 429: 20 });
    });

    test('25 parallel wrong TOTP codes: at most the per-record limit (5) are verified', async () => {
      const user = await createUser(t, 'totp@example.com');
      assert.equal((await post('totp/enroll', {}, user.token)).status, 200);
      const seen = await statuses(25, (i) =>
        post('totp/confirm', { code: String(100000 + i).slice(0, 6) }, user.token),
      );
      assert.deepEqual(seen, { 400: 5, 429: 20 });
    });

    test('parallel wrong OTP codes of several records: at most the IP limit left (10) are verified', async () => {
      // 5 + 5 failures from this IP so far, 10 left of 20; each OTP allows 5 attempts
      const otpIds: string[] = [];
      for (const email of ['o1@example.com', 'o2@example.com', 'o3@example.com']) {
        await createUser(t, email);
        const res = await post('request-otp', { email });
        assert.equal(res.status, 200);
        otpIds.push(res.body.otpId);
      }
      const seen = await statuses(15, (i) =>
        post('auth-with-otp', { otpId: otpIds[i % 3], password: String(10000000 + i) }),
      );
      assert.deepEqual(seen, { 400: 10, 429: 5 });
    });
  });
}
