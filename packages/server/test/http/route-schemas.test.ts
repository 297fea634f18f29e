import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { routesOf } from '../../src/http/route-catalog.ts';
import { registeredRoutes } from '../../src/http/server.ts';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

const INVALID = 'An error occurred while validating the submitted data.';
const invalid = (data: Record<string, unknown>) => ({ status: 400, message: INVALID, data });
const field = (code: string, message: string) => ({ code, message });

for (const dialect of DIALECTS) {
  describe(`route schemas (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
    });
    after(() => t.close());

    test('every registered route declares its summary, tag, params, query, body and response', () => {
      const routes = routesOf(t.app.http);
      assert.deepEqual(
        routes
          .filter((r) => r.method !== 'HEAD')
          .map((r) => `${r.method} ${r.url}`)
          .sort(),
        registeredRoutes(t.app.http),
      );
      for (const { method, url, schema } of routes) {
        const name = `${method} ${url}`;
        assert.ok(schema.summary, `${name}: summary`);
        assert.equal(schema.tags?.length, 1, `${name}: one tag`);
        assert.equal((schema.querystring as { type?: string })?.type, 'object', `${name}: querystring`);
        assert.ok(Object.keys(schema.response ?? {}).length > 0, `${name}: response`);
        const pathParams = [...url.matchAll(/:(\w+)|\*$/g)].map((m) => m[1] ?? '*').sort();
        const declared = Object.keys((schema.params as { properties?: object })?.properties ?? {}).sort();
        assert.deepEqual(declared, pathParams, `${name}: params`);
        if (method === 'PUT' || method === 'PATCH') assert.ok(schema.body, `${name}: body`);
      }
    });

    test('a records list query parameter sent twice is a 400 naming it', async () => {
      const res = await t.request('GET', '/api/collections/_superusers/records?filter=a&filter=b', {
        token: 'superuser',
      });
      assert.deepEqual(
        res.body,
        invalid({ filter: field('validation_invalid_value', 'Must be given once.') }),
      );
    });

    test('an auth body with the wrong types is a 400 per field', async () => {
      const res = await t.request('POST', '/api/collections/_superusers/auth-with-password', {
        body: { identity: 5, password: ['x'] },
      });
      assert.deepEqual(
        res.body,
        invalid({
          identity: field('validation_invalid_value', 'Must be a string.'),
          password: field('validation_invalid_value', 'Must be a string.'),
        }),
      );
    });

    test('a collections import body is checked after the superuser check', async () => {
      const body = { collections: 'posts', deleteMissing: 'yes' };
      const anonymous = await t.request('PUT', '/api/collections/import', { body });
      assert.equal(anonymous.status, 401);
      const res = await t.request('PUT', '/api/collections/import', { token: 'superuser', body });
      assert.deepEqual(
        res.body,
        invalid({
          collections: field('validation_invalid_value', 'Must be a list.'),
          deleteMissing: field('validation_invalid_bool', 'Must be a boolean.'),
        }),
      );
    });

    test('a storage list body and an S3 key body with the wrong types name the fields', async () => {
      const list = await t.request('POST', '/api/storage/object/list/photos', {
        token: 'superuser',
        body: { limit: 'ten', sortBy: 'name' },
      });
      assert.deepEqual(
        list.body,
        invalid({
          limit: field('validation_invalid_int', 'Must be an integer.'),
          sortBy: field('validation_invalid_value', 'Must be an object.'),
        }),
      );
      const key = await t.request('POST', '/api/storage/s3-keys', {
        token: 'superuser',
        body: { buckets: ['photos', 7] },
      });
      assert.deepEqual(
        key.body,
        invalid({ buckets: { 1: field('validation_invalid_value', 'Must be a string.') } }),
      );
    });

    test('a settings body with the wrong shape is a 400, not a silent 200', async () => {
      const res = await t.request('PATCH', '/api/settings', { token: 'superuser', body: { meta: 'x' } });
      assert.deepEqual(res.body, invalid({ meta: field('validation_invalid_value', 'Must be an object.') }));
    });

    test('a batch whose requests are not a list is a 400', async () => {
      const res = await t.request('POST', '/api/batch', { body: { requests: { 0: {} } } });
      assert.deepEqual(res.body, invalid({ requests: field('validation_invalid_value', 'Must be a list.') }));
    });
  });
}
