import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type App, createApp } from '../../src/app.ts';
import { DIALECTS, makeRequester, silentLogger, testConfig } from '../support/app.ts';
import { type TestStorage, testStorage } from '../support/storage.ts';

for (const dialect of DIALECTS) {
  describe(`install token (${dialect})`, () => {
    let app: App;
    let storage: TestStorage;
    let request: ReturnType<typeof makeRequester>;
    before(async () => {
      storage = testStorage(dialect, 'fb-install-');
      app = await createApp(testConfig(dialect, storage.dir, storage.schema), { logger: silentLogger() });
      request = makeRequester(await app.start(), () => '');
    });
    after(async () => {
      await app.stop();
      await storage.remove();
    });

    const body = (email: string) => ({
      email,
      password: 'first-password-1',
      passwordConfirm: 'first-password-1',
    });

    test('racing requests with the install token create exactly one superuser', async () => {
      const headers = { authorization: app.auth.installToken };
      const results = await Promise.all(
        ['a@example.com', 'b@example.com', 'c@example.com'].map((e) =>
          request('POST', '/api/collections/_superusers/records', { body: body(e), headers }),
        ),
      );
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 403, 403]);
      const list = await app.records.list('_superusers', {}, { superuser: true });
      assert.equal(list.totalItems, 1);
    });

    test('the token is spent: it no longer works even with no superuser left', async () => {
      const list = await app.records.list('_superusers', {}, { superuser: true });
      for (const r of list.items) await app.records.delete('_superusers', String(r.id), { superuser: true });
      const res = await request('POST', '/api/collections/_superusers/records', {
        body: body('d@example.com'),
        headers: { authorization: app.auth.installToken },
      });
      assert.equal(res.status, 403);
      assert.equal(res.body.message, 'Only superusers can perform this action.');
    });
  });
}
