import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { createUser, createUsersCollection, type TestUser } from '../support/auth-users.ts';
import { functionsDir, TODOS } from '../support/functions.ts';

// the sandbox (src/functions/sandbox/, helper `sandbox`) lands separately: until it does,
// this suite is skipped, and only for that reason
const SANDBOX = fileURLToPath(new URL('../../src/functions/sandbox/sandbox.ts', import.meta.url));
const skip = existsSync(SANDBOX) ? false : 'src/functions/sandbox/sandbox.ts has not landed yet';

const ISOLATED = `
import { mutation, query } from '@forgebase/server/functions';

export const mine = query(async (ctx) => (await ctx.records('todos').list({ sort: 'title' })).items.map((r) => r.title));
export const all = query(async (ctx) => (await ctx.asSystem().records('todos').list({ sort: 'title' })).items.map((r) => r.title));
export const add = mutation(async (ctx, { title }) => ctx.records('todos').create({ title, owner: ctx.auth ? ctx.auth.id : '' }));
export const refuse = query(() => {
  throw Object.assign(new Error('Taken.'), { status: 409 });
});
export const crash = query(() => {
  throw new Error('sandboxed secret');
});
export const spin = query(() => {
  while (true) {}
});
export const probe = query(() => [typeof process, typeof require, typeof globalThis.fetch].join(' '));
export const env = query((ctx) => ctx.env.GREETING);
`;

for (const dialect of DIALECTS) {
  describe(`isolated functions over HTTP (${dialect})`, { skip }, () => {
    let t: TestApp;
    let alice: TestUser;
    let bob: TestUser;
    const fns = functionsDir({
      'isolated/notes.ts': ISOLATED,
      'flagged.ts': `import { query } from '@forgebase/server/functions';\nexport const inBox = query({ isolated: true, handler: () => typeof process });\nexport const outside = query(() => typeof process);\n`,
    });
    before(async () => {
      t = await startTestApp(dialect, { functionsDir: fns.dir, env: { GREETING: 'boxed hello' } });
      await createUsersCollection(t);
      await t.createCollection(TODOS);
      alice = await createUser(t, 'alice@example.com');
      bob = await createUser(t, 'bob@example.com');
    });
    after(async () => {
      await t?.close();
      fns.remove();
    });
    const call = (fn: string, body?: unknown, token?: string) =>
      t.request('POST', `/api/functions/${fn}`, {
        ...(body !== undefined ? { body } : {}),
        ...(token ? { token } : {}),
      });

    test('records() crosses the boundary with the caller’s rules, asSystem() without', async () => {
      assert.equal((await call('isolated/notes/add', { title: 'a1' }, alice.token)).status, 200);
      const b = await call('isolated/notes/add', { title: 'b1' }, bob.token);
      assert.equal(b.status, 200, JSON.stringify(b.body));
      assert.equal(b.body.owner, bob.id);
      assert.deepEqual((await call('isolated/notes/mine', {}, alice.token)).body, ['a1']);
      assert.deepEqual((await call('isolated/notes/all', {}, alice.token)).body, ['a1', 'b1']);
      assert.equal((await call('isolated/notes/env')).body, 'boxed hello');
    });

    test('the process is out of reach; isolated: true on one export runs it in the sandbox', async () => {
      assert.equal((await call('isolated/notes/probe')).body, 'undefined undefined undefined');
      assert.equal((await call('flagged/inBox')).body, 'undefined');
      assert.equal((await call('flagged/outside')).body, 'object');
    });

    test('errors: a status crosses back, anything else is a generic 500; a loop is stopped', async () => {
      assert.deepEqual((await call('isolated/notes/refuse')).body, {
        data: {},
        message: 'Taken.',
        status: 409,
      });
      const crash = await call('isolated/notes/crash');
      assert.deepEqual(crash.body, {
        data: {},
        message: 'Something went wrong while processing your request.',
        status: 500,
      });
      const spin = await call('isolated/notes/spin');
      assert.deepEqual(spin.body, {
        data: {},
        message: 'The function exceeded its CPU time limit.',
        status: 500,
      });
      // the server stays responsive
      assert.equal((await call('isolated/notes/env')).body, 'boxed hello');
    });

    test('GET /api/functions lists isolated exports', async () => {
      const res = await t.request('GET', '/api/functions', { token: 'superuser' });
      const isolated = res.body.items.filter((f: any) => f.isolated).map((f: any) => `${f.module}/${f.name}`);
      assert.deepEqual(isolated.sort(), [
        'flagged/inBox',
        'isolated/notes/add',
        'isolated/notes/all',
        'isolated/notes/crash',
        'isolated/notes/env',
        'isolated/notes/mine',
        'isolated/notes/probe',
        'isolated/notes/refuse',
        'isolated/notes/spin',
      ]);
    });
  });
}
