import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { createListedUsersCollection, createUser, type TestUser } from '../support/auth-users.ts';

// security #1: aggregates must not read what a record export hides
for (const dialect of DIALECTS) {
  describe(`aggregate leaks (${dialect})`, () => {
    let t: TestApp;
    let alice: TestUser;
    before(async () => {
      t = await startTestApp(dialect);
      // members may list every user, as an over-broad listRule would let them
      await createListedUsersCollection(t);
      alice = await createUser(t, 'alice@example.com');
      await createUser(t, 'bob@example.com');
      await createUser(t, 'carol@example.com', { emailVisibility: true });
      await t.createCollection({
        name: 'flags',
        listRule: '',
        fields: [
          { name: 'on', type: 'bool' },
          { name: 'meta', type: 'json' },
        ],
      });
      const flag = await t.request('POST', '/api/collections/flags/records', {
        token: 'superuser',
        body: { on: true, meta: { a: 1 } },
      });
      assert.equal(flag.status, 200, JSON.stringify(flag.body));
    });
    after(() => t.close());

    const agg = (c: string, q: string, token?: string) =>
      t.request('GET', `/api/collections/${c}/aggregate?${q}`, token ? { token } : {});
    const code = (res: { body: any }) =>
      (Object.values(res.body.data ?? {})[0] as { code?: string } | undefined)?.code;

    test('a member grouping by email sees only the visible ones', async () => {
      const res = await agg('users', 'groupBy=email&fields=count()', alice.token);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const emails = res.body.items.map((r: { email: unknown }) => r.email);
      assert.ok(!emails.includes('alice@example.com') && !emails.includes('bob@example.com'), emails);
      assert.ok(emails.includes('carol@example.com'));
      const hidden = res.body.items.find((r: { email: unknown }) => r.email === null || r.email === '');
      assert.equal(hidden?.count, 2);
    });

    test('min/max of email skip hidden emails for a member, not for a superuser', async () => {
      const member = await agg('users', 'fields=min(email),max(email)', alice.token);
      assert.equal(member.status, 200, JSON.stringify(member.body));
      assert.deepEqual(member.body, {
        items: [{ min_email: 'carol@example.com', max_email: 'carol@example.com' }],
      });
      const root = await agg('users', 'fields=min(email),max(email)', 'superuser');
      assert.deepEqual(root.body, {
        items: [{ min_email: 'alice@example.com', max_email: 'carol@example.com' }],
      });
    });

    test('tokenKey is refused to everyone, superusers and API keys included', async () => {
      const key = await t.request('POST', '/api/keys', {
        token: 'superuser',
        body: { name: 'reader', scopes: [{ collection: 'users', operations: ['list'] }] },
      });
      assert.equal(key.status, 200, JSON.stringify(key.body));
      for (const token of ['superuser', `Bearer ${key.body.secret}`, alice.token]) {
        for (const q of ['groupBy=tokenKey', 'fields=min(tokenKey)', 'fields=count(tokenKey)']) {
          const res = await agg('users', q, token);
          assert.equal(res.status, 400, `${q} ${JSON.stringify(res.body)}`);
          assert.equal(code(res), 'validation_invalid_aggregate');
        }
      }
    });

    test('min/max over bool or json are 400s, not database errors', async () => {
      for (const q of ['fields=min(on)', 'fields=max(on)', 'fields=min(meta)', 'fields=max(meta)']) {
        const res = await agg('flags', q, 'superuser');
        assert.equal(res.status, 400, `${q} ${JSON.stringify(res.body)}`);
        assert.equal(code(res), 'validation_invalid_aggregate');
      }
      // counting and grouping them still works
      const ok = await agg('flags', 'groupBy=on&fields=count(meta)');
      assert.deepEqual(ok.body, { items: [{ on: true, count_meta: 1 }] });
    });
  });
}
