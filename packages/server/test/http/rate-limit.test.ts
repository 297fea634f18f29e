import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RateLimitRule } from '../../src/config.ts';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { createUser, createUsersCollection, type TestUser } from '../support/auth-users.ts';
import { createManualClock, type ManualClock } from '../support/clock.ts';

const RULES: RateLimitRule[] = [
  { label: '/api/health', audience: '', duration: 2, maxRequests: 2 },
  { label: 'items:list', audience: '', duration: 5, maxRequests: 1 },
  { label: 'POST /api/collections/items/records', audience: '@guest', duration: 5, maxRequests: 1 },
  { label: '*:view', audience: '@auth', duration: 5, maxRequests: 1 },
  { label: '/api/', audience: '', duration: 10, maxRequests: 1000 },
];

for (const dialect of DIALECTS) {
  describe(`rate limits (${dialect})`, () => {
    let t: TestApp;
    let clock: ManualClock;
    let user: TestUser;
    let itemId: string;
    const get = (path: string, token?: string) =>
      fetch(`${t.url}${path}`, token ? { headers: { authorization: token } } : {});
    before(async () => {
      clock = createManualClock();
      t = await startTestApp(dialect, { rateLimitsEnabled: true, rateLimitsRules: RULES }, { clock });
      await createUsersCollection(t);
      user = await createUser(t, 'limited@example.com');
      await t.createCollection({
        name: 'items',
        listRule: '',
        viewRule: '',
        createRule: '',
        fields: [{ name: 'title', type: 'text' }],
      });
      const created = await t.request('POST', '/api/collections/items/records', {
        token: 'superuser',
        body: { title: 'one' },
      });
      itemId = created.body.id;
    });
    after(() => t.close());

    test('over the limit is a 429 with Retry-After, lifted after the window', async () => {
      assert.equal((await get('/api/health')).status, 200);
      assert.equal((await get('/api/health')).status, 200);
      const limited = await get('/api/health');
      assert.equal(limited.status, 429);
      assert.deepEqual(await limited.json(), { status: 429, message: 'Too Many Requests.', data: {} });
      assert.equal(limited.headers.get('retry-after'), '2');
      await clock.advance(1000);
      assert.equal((await get('/api/health')).status, 429);
      assert.equal((await get('/api/health')).headers.get('retry-after'), '1');
      await clock.advance(1000);
      assert.equal((await get('/api/health')).status, 200);
    });

    test('collection:action, METHOD /path and audiences pick the most specific rule', async () => {
      const list = '/api/collections/items/records';
      assert.equal((await get(list)).status, 200);
      assert.equal((await get(list)).status, 429);
      // another action of the collection has its own rule (here: only for signed-in users)
      assert.equal((await get(`${list}/${itemId}`)).status, 200);
      assert.equal((await get(`${list}/${itemId}`)).status, 200);
      assert.equal((await get(`${list}/${itemId}`, user.token)).status, 200);
      assert.equal((await get(`${list}/${itemId}`, user.token)).status, 429);
      // METHOD /path for guests only
      const create = (token?: string) =>
        fetch(`${t.url}${list}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token ? { authorization: token } : {}) },
          body: JSON.stringify({ title: 'x' }),
        });
      assert.equal((await create()).status, 200);
      assert.equal((await create()).status, 429);
      assert.equal((await create(user.token)).status, 200);
      assert.equal((await create(user.token)).status, 200);
      // superusers are never limited
      for (let i = 0; i < 3; i++) assert.equal((await get(list, t.superuserToken)).status, 200);
      await clock.advance(5000);
      assert.equal((await get(list)).status, 200);
    });

    test('excluded IPs are not counted; new rules through the SDK settings apply at once', async () => {
      const patch = (body: unknown) => t.request('PATCH', '/api/settings', { token: 'superuser', body });
      assert.equal(
        (
          await patch({
            rateLimits: { rules: [{ label: '/api/health', duration: 60, maxRequests: 1 }], excludedIPs: [] },
          })
        ).status,
        200,
      );
      assert.equal((await get('/api/health')).status, 200);
      assert.equal((await get('/api/health')).status, 429);
      assert.equal((await patch({ rateLimits: { excludedIPs: ['127.0.0.0/8'] } })).status, 200);
      for (let i = 0; i < 3; i++) assert.equal((await get('/api/health')).status, 200);
      assert.equal((await patch({ rateLimits: { enabled: false, excludedIPs: [] } })).status, 200);
      for (let i = 0; i < 3; i++) assert.equal((await get('/api/health')).status, 200);
    });
  });
}

describe('superuserIPs (sqlite)', () => {
  let t: TestApp;
  let user: TestUser;
  const from = (ip: string, token: string) =>
    fetch(`${t.url}/api/settings`, { headers: { authorization: token, 'x-forwarded-for': ip } });
  before(async () => {
    t = await startTestApp('sqlite', {
      trustedProxies: ['127.0.0.1'],
      trustedProxyHeaders: ['X-Forwarded-For'],
    });
    await createUsersCollection(t);
    user = await createUser(t, 'not-super@example.com');
  });
  after(() => t.close());

  test('when set, superuser requests from other IPs are refused; others are not affected', async () => {
    const set = await fetch(`${t.url}/api/settings`, {
      method: 'PATCH',
      headers: {
        authorization: t.superuserToken,
        'content-type': 'application/json',
        'x-forwarded-for': '10.9.9.9',
      },
      body: JSON.stringify({ superuserIPs: ['10.9.9.0/24', '::1'] }),
    });
    assert.equal(set.status, 200);
    assert.equal((await from('10.9.9.200', t.superuserToken)).status, 200);
    const refused = await from('10.1.1.1', t.superuserToken);
    assert.equal(refused.status, 403);
    assert.deepEqual(await refused.json(), {
      status: 403,
      message: 'You are not allowed to perform this request.',
      data: {},
    });
    // a regular user from anywhere gets the route's own answer
    assert.equal((await from('10.1.1.1', user.token)).status, 403);
    const records = await fetch(`${t.url}/api/collections/users/records`, {
      headers: { authorization: user.token, 'x-forwarded-for': '10.1.1.1' },
    });
    assert.equal(records.status, 200);
    const cleared = await fetch(`${t.url}/api/settings`, {
      method: 'PATCH',
      headers: {
        authorization: t.superuserToken,
        'content-type': 'application/json',
        'x-forwarded-for': '10.9.9.9',
      },
      body: JSON.stringify({ superuserIPs: [] }),
    });
    assert.equal(cleared.status, 200);
    assert.equal((await from('10.1.1.1', t.superuserToken)).status, 200);
  });
});
