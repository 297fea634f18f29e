import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type App, createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { DIALECTS, silentLogger } from '../support/app.ts';
import { dropSchema, newSchemaName, schemaUrl } from '../support/pg.ts';

const EXAMPLE = fileURLToPath(new URL('../../../../examples/todos', import.meta.url));

for (const dialect of DIALECTS) {
  describe(`examples/todos (${dialect})`, () => {
    let app: App;
    let url = '';
    const cwd = mkdtempSync(join(tmpdir(), 'fb-example-'));
    const schema = newSchemaName();
    before(async () => {
      cpSync(EXAMPLE, cwd, { recursive: true, filter: (src) => !src.includes('fb_data') });
      // as `npm run example:todos` starts it: forgebase.toml of the example's directory
      const config = loadConfig(
        {
          http: '127.0.0.1:0',
          logRequests: false,
          ...(dialect === 'postgres' ? { db: schemaUrl(schema) } : {}),
        },
        {},
        cwd,
      );
      app = await createApp(config, { logger: silentLogger(), applyMigrations: true });
      url = await app.start();
    });
    after(async () => {
      await app.stop();
      rmSync(cwd, { recursive: true, force: true });
      if (dialect === 'postgres') await dropSchema(schema);
    });
    const post = async (path: string, body: unknown, token?: string) => {
      const res = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: token } : {}) },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as any };
    };

    test('the README walk-through works', async () => {
      const password = 'ann-password-1';
      const signUp = await post('/api/collections/users/records', {
        email: 'ann@example.com',
        password,
        passwordConfirm: password,
      });
      assert.equal(signUp.status, 200, JSON.stringify(signUp.body));
      const token = (
        await post('/api/collections/users/auth-with-password', { identity: 'ann@example.com', password })
      ).body.token as string;
      const committed = new Promise<void>((resolve) => {
        const off = app.records.onChange((c) => {
          if (c.collection.name !== 'activity') return;
          off();
          resolve();
        });
      });
      const added = await post('/api/functions/todos/add', { title: ' buy milk ' }, token);
      assert.equal(added.status, 200, JSON.stringify(added.body));
      assert.equal(added.body.title, 'buy milk');
      assert.equal(added.body.owner, signUp.body.id);
      const open = await post('/api/functions/todos/openTodos', { search: 'milk' }, token);
      assert.deepEqual(
        open.body.items.map((t: any) => t.title),
        ['buy milk'],
      );
      assert.deepEqual((await post('/api/functions/todos/digest', {}, token)).body, {
        greeting: 'Good morning',
        open: ['buy milk'],
      });
      assert.deepEqual(await (await fetch(`${url}/hello/ann`)).json(), { hi: 'ann' });
      const invalid = await post('/api/functions/todos/add', {}, token);
      assert.equal(invalid.status, 400);
      assert.deepEqual(invalid.body.data, {
        title: { code: 'validation_required', message: 'Cannot be blank.' },
      });
      await committed;
      const activity = await app.records.asSystem().list('activity', {});
      assert.equal(activity.items[0]?.todo, added.body.id);
      assert.match(String(activity.items[0]?.note), /^create #\d+$/);
    });
  });
}
