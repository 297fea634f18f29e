import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { createUser, createUsersCollection, type TestUser } from '../support/auth-users.ts';
import { functionsDir, TODOS } from '../support/functions.ts';
import { captureLogger } from '../support/log-capture.ts';

const TODOS_MODULE = `
import { action, ApiError, BadRequestError, mutation, query, route } from '@forgebase/server/functions';
import { Type } from 'typebox';

export const openTodos = query({
  args: Type.Object({ owner: Type.String() }),
  handler: (ctx, { owner }) =>
    ctx.records('todos').list({ filter: 'owner = {:owner} && done = false', params: { owner }, sort: 'title' }),
});
export const visible = query(async (ctx) => (await ctx.records('todos').list({ sort: 'title' })).items.map((r) => r.title));
export const everyone = query(async (ctx) => (await ctx.asSystem().records('todos').list({ sort: 'title' })).items.map((r) => r.title));
export const first = query((ctx, { title }: { title: string }) => ctx.records('todos').getFirst('title = {:title}', { title }));
export const sneakyWrite = query((ctx) => ctx.records('todos').create({ title: 'sneaky' }));
export const add = mutation({
  args: Type.Object({ title: Type.String({ minLength: 1 }), n: Type.Optional(Type.Integer()) }),
  handler: (ctx, { title }) => ctx.records('todos').create({ title, owner: ctx.auth?.id ?? '' }),
});
export const twoThenFail = mutation(async (ctx) => {
  await ctx.records('todos').create({ title: 'one', owner: ctx.auth?.id ?? '' });
  await ctx.records('todos').create({ title: 'two', owner: ctx.auth?.id ?? '' });
  throw new BadRequestError('Nope.');
});
export const complete = mutation((ctx, { id }: { id: string }) => ctx.records('todos').update(id, { done: true }));
export const completeAndGreet = action(async (ctx, { id }: { id: string }) => {
  const done = await ctx.run(complete, { id });
  return { done: done.done, greeting: ctx.env.GREETING, viaName: (await ctx.run('todos/visible')).length };
});
export const teapot = action(() => {
  throw new ApiError(418, "I'm a teapot.", { pot: { code: 'validation_teapot', message: 'Short and stout.' } });
});
export const crash = action(() => {
  throw new Error('the secret internal detail');
});
export const fetchInQuery = query((ctx) => ctx.fetch('http://127.0.0.1:1/'));
export const whoami = query((ctx) => (ctx.auth ? { id: ctx.auth.id, collection: ctx.auth.collectionName } : null));
export const nothing = action(() => undefined);
export const secretLength = action((ctx) => ({ names: Object.keys(ctx.secrets).sort(), length: ctx.secrets.API_KEY?.length ?? 0 }));
export const hello = route('GET', '/hello/{name}', (ctx, req) => ({ hi: req.params.name, q: req.query.x ?? null }));
export const made = route('POST', '/made', (ctx, req) =>
  new Response(\`made \${(req.body as { n: number }).n}\`, { status: 201, headers: { 'content-type': 'text/plain' } }));
`;

for (const dialect of DIALECTS) {
  describe(`functions over HTTP (${dialect})`, () => {
    let t: TestApp;
    let alice: TestUser;
    let bob: TestUser;
    const fns = functionsDir({
      'todos.ts': TODOS_MODULE,
      'billing/invoices.ts': `import { query } from '@forgebase/server/functions';\nexport const total = query(() => 42);\nexport const notAFunction = 1;\n`,
    });
    const { logger, lines } = captureLogger();
    before(async () => {
      t = await startTestApp(dialect, { functionsDir: fns.dir, env: { GREETING: 'hi there' } }, { logger });
      await createUsersCollection(t);
      await t.createCollection(TODOS);
      alice = await createUser(t, 'alice@example.com');
      bob = await createUser(t, 'bob@example.com');
    });
    after(async () => {
      await t.close();
      fns.remove();
    });
    const call = (fn: string, body?: unknown, token?: string) =>
      t.request('POST', `/api/functions/${fn}`, {
        ...(body !== undefined ? { body } : {}),
        ...(token ? { token } : {}),
      });
    const count = async () => (await t.app.records.asSystem().list('todos', {})).totalItems;

    test('a mutation writes with the caller as ctx.auth; a query reads with its rules', async () => {
      for (const [user, title] of [
        [alice, 'a1'],
        [alice, 'a2'],
        [bob, 'b1'],
      ] as const) {
        const res = await call('todos/add', { title }, user.token);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.title, title);
        assert.equal(res.body.owner, user.id);
      }
      const open = await call('todos/openTodos', { owner: alice.id }, alice.token);
      assert.equal(open.status, 200);
      assert.deepEqual(
        open.body.items.map((r: any) => r.title),
        ['a1', 'a2'],
      );
      // bob asks for alice's todos: his rules hide them
      const spied = await call('todos/openTodos', { owner: alice.id }, bob.token);
      assert.deepEqual(spied.body.items, []);
      assert.deepEqual((await call('todos/visible', {}, bob.token)).body, ['b1']);
      assert.deepEqual((await call('todos/visible')).body, []);
      // asSystem() passes every rule
      assert.deepEqual((await call('todos/everyone', {}, bob.token)).body, ['a1', 'a2', 'b1']);
      assert.deepEqual((await call('todos/whoami', {}, bob.token)).body, { id: bob.id, collection: 'users' });
      assert.equal((await call('todos/whoami')).body, null);
    });

    test('filter params are bound as literals, never as filter syntax', async () => {
      const hit = await call('todos/first', { title: 'a1' }, alice.token);
      assert.equal(hit.status, 200);
      assert.equal(hit.body.title, 'a1');
      const injected = await call('todos/first', { title: "x' || title != '" }, alice.token);
      assert.deepEqual(injected.body, {
        data: {},
        message: "The requested resource wasn't found.",
        status: 404,
      });
    });

    test('args are validated: 400 with PocketBase-shaped field errors', async () => {
      const missing = await call('todos/add', {}, alice.token);
      assert.deepEqual(missing.body, {
        data: { title: { code: 'validation_required', message: 'Cannot be blank.' } },
        message: 'An error occurred while validating the submitted data.',
        status: 400,
      });
      const wrong = await call('todos/add', { title: 5, n: 1.5 }, alice.token);
      assert.equal(wrong.status, 400);
      assert.deepEqual(wrong.body.data, {
        title: { code: 'validation_invalid_value', message: 'Must be a string.' },
        n: { code: 'validation_invalid_int', message: 'Must be an integer.' },
      });
      const none = await call('todos/add', undefined, alice.token);
      assert.deepEqual(none.body.data, {
        title: { code: 'validation_required', message: 'Cannot be blank.' },
      });
    });

    test('a mutation that throws after two writes leaves nothing', async () => {
      const before = await count();
      const res = await call('todos/twoThenFail', {}, alice.token);
      assert.deepEqual(res.body, { data: {}, message: 'Nope.', status: 400 });
      assert.equal(await count(), before);
    });

    test('a query cannot write; fetch is for actions only', async () => {
      const before = await count();
      const res = await call('todos/sneakyWrite', {}, alice.token);
      assert.deepEqual(res.body, {
        data: {},
        message: 'Something went wrong while processing your request.',
        status: 500,
      });
      assert.equal(await count(), before);
      const logged = lines.find((l) => l.reqId === res.headers.get('x-request-id'));
      assert.match(
        logged?.err?.message ?? '',
        /todos\/sneakyWrite: a query cannot write \(records\(\)\.create\)/,
      );
      const fetched = await call('todos/fetchInQuery', {}, alice.token);
      assert.equal(fetched.status, 500);
      const fetchLog = lines.find((l) => l.reqId === fetched.headers.get('x-request-id'));
      assert.match(fetchLog?.err?.message ?? '', /ctx\.fetch is for actions only/);
    });

    test('an action runs a mutation and a query (by definition and by name), with ctx.env', async () => {
      const mine = await t.app.records.asSystem().list('todos', { filter: `title = 'a2'` });
      const id = String(mine.items[0]!.id);
      const res = await call('todos/completeAndGreet', { id }, alice.token);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body, { done: true, greeting: 'hi there', viaName: 2 });
      // the caller's rules follow into ctx.run: bob may not complete alice's todo
      const denied = await call('todos/completeAndGreet', { id }, bob.token);
      assert.equal(denied.status, 404);
    });

    test('a thrown ApiError keeps its status; anything else is a 500 that says nothing, logged with its stack', async () => {
      const pot = await call('todos/teapot');
      assert.deepEqual(pot.body, {
        data: { pot: { code: 'validation_teapot', message: 'Short and stout.' } },
        message: "I'm a teapot.",
        status: 418,
      });
      const res = await call('todos/crash', {}, alice.token);
      assert.deepEqual(res.body, {
        data: {},
        message: 'Something went wrong while processing your request.',
        status: 500,
      });
      assert.doesNotMatch(JSON.stringify(res.body), /secret/);
      const logged = lines.find((l) => l.reqId === res.headers.get('x-request-id'));
      assert.equal(logged?.msg, 'request failed');
      assert.match(logged?.err?.stack ?? '', /the secret internal detail[\s\S]*todos\.ts/);
    });

    test('modules are named by their path; unknown functions and non-callable exports are 404', async () => {
      assert.deepEqual((await call('billing/invoices/total')).body, 42);
      assert.equal((await call('todos/nothing')).body, null);
      for (const fn of [
        'billing/invoices/nope',
        'nope/total',
        'billing/invoices/notAFunction',
        'todos/hello',
        'total',
      ]) {
        const res = await call(fn);
        assert.equal(res.status, 404, fn);
        assert.deepEqual(res.body, { data: {}, message: 'The function was not found.', status: 404 }, fn);
      }
    });

    test('user routes answer beside the built-in API and are in the OpenAPI document', async () => {
      const res = await t.request('GET', '/hello/bob?x=1');
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { hi: 'bob', q: '1' });
      const made = await t.request('POST', '/made', { body: { n: 3 } });
      assert.equal(made.status, 201);
      assert.equal(made.headers.get('content-type'), 'text/plain');
      assert.equal(made.body, 'made 3');
      // CORS applies as to every route
      const pre = await t.request('OPTIONS', '/hello/bob', {
        headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET' },
      });
      assert.equal(pre.status, 204);
      assert.equal(pre.headers.get('access-control-allow-origin'), '*');
      const doc = await t.request('GET', '/api/docs/openapi.json');
      assert.equal(doc.status, 200);
      assert.ok(doc.body.paths['/hello/{name}']?.get, 'user route in the document');
      assert.ok(
        doc.body.paths['/api/functions/{objectName}']?.post ?? doc.body.paths['/api/functions/{*}']?.post,
      );
    });

    test('GET /api/functions lists modules, exports, kinds and arg schemas (superusers only)', async () => {
      const res = await t.request('GET', '/api/functions', { token: 'superuser' });
      assert.equal(res.status, 200);
      const byName = new Map(res.body.items.map((f: any) => [`${f.module}/${f.name}`, f]));
      assert.deepEqual(byName.get('billing/invoices/total'), {
        module: 'billing/invoices',
        name: 'total',
        kind: 'query',
        isolated: false,
      });
      assert.deepEqual((byName.get('todos/add') as any).args, {
        type: 'object',
        required: ['title'],
        properties: { title: { type: 'string', minLength: 1 }, n: { type: 'integer' } },
      });
      assert.deepEqual(byName.get('todos/hello'), {
        module: 'todos',
        name: 'hello',
        kind: 'route',
        isolated: false,
        method: 'GET',
        path: '/hello/{name}',
      });
      assert.equal((await t.request('GET', '/api/functions')).status, 401);
      assert.equal((await t.request('GET', '/api/functions', { token: alice.token })).status, 403);
    });

    test('ctx.secrets holds the user secrets in clear; a change on this node shows at once', async () => {
      assert.deepEqual((await call('todos/secretLength', {}, alice.token)).body, { names: [], length: 0 });
      await t.app.userSecrets.set('API_KEY', 'sk-live-123456');
      await t.app.userSecrets.set('OTHER', 'x');
      const seen = async () => (await call('todos/secretLength', {}, alice.token)).body;
      assert.deepEqual(await seen(), { names: ['API_KEY', 'OTHER'], length: 14 });
      await t.app.userSecrets.delete('OTHER');
      assert.deepEqual(await seen(), { names: ['API_KEY'], length: 14 });
    });
  });
}
