import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApiError } from '../../src/errors/api-error.ts';
import {
  type IsolatedModule,
  loadIsolatedModule,
  type SandboxBridge,
  SandboxLimitError,
  stopSandboxWorker,
} from '../../src/functions/sandbox/sandbox.ts';
import { MAX_VMS } from '../../src/functions/sandbox/vm-pool.ts';

// The sandbox alone: real QuickJS in its worker, real files in a temp functions dir, and a
// bridge that records what crosses the boundary (the boundary itself, not a layer of ours).

let dir: string;
let root: string;
const input = (args: unknown = {}, extra: Record<string, unknown> = {}) => ({
  args,
  auth: { id: 'u1', collectionName: 'users' },
  env: { PLAN: 'pro' },
  ...extra,
});

function write(rel: string, text: string): string {
  const file = join(root, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

/** A bridge that answers from `answers` (by method) and records every call. */
function recorder(answers: Record<string, (args: unknown[]) => unknown> = {}) {
  const calls: [string, unknown[]][] = [];
  const bridge: SandboxBridge = async (method, args) => {
    calls.push([method, args]);
    const answer = answers[method];
    return answer ? answer(args) : null;
  };
  return { calls, bridge };
}

/** Asserts that `call` stopped at `limit` with this message (exactly, or matching a RegExp). */
async function rejectsAtLimit(call: Promise<unknown>, limit: 'cpu' | 'memory', message: string | RegExp) {
  await assert.rejects(call, (e: unknown) => {
    assert.ok(e instanceof SandboxLimitError);
    assert.equal(e.limit, limit);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

const loaded: IsolatedModule[] = [];

/** A module whose `spin` loops forever, with this CPU limit. */
const spinner = (rel: string, cpuMs: number) =>
  load(
    rel,
    "import { query } from '@forgebase/server/functions';\nexport const spin = query(() => { while (true) {} });",
    {
      cpuMs,
    },
  );
async function load(rel: string, text: string, limits?: { cpuMs?: number; memoryBytes?: number }) {
  const m = await loadIsolatedModule(write(rel, text), { root, limits });
  loaded.push(m);
  return m;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'fb-sandbox-'));
  root = join(dir, 'fb_functions');
  mkdirSync(root);
  writeFileSync(join(dir, 'secret.txt'), 'host secret');
});
after(async () => {
  for (const m of loaded) m.dispose();
  await stopSandboxWorker(); // also ends calls a failed test left waiting
  rmSync(dir, { recursive: true, force: true });
});

describe('isolated modules: loading', () => {
  test('lists the definition exports with kind, args schema, route and hook targets; ignores the rest', async () => {
    const m = await load(
      'isolated/todos.ts',
      `import { query, mutation, action, route, hook } from '@forgebase/server/functions';
       interface Args { owner: string }
       export const open = query({ args: { type: 'object', properties: { owner: { type: 'string' } } },
         handler: (ctx, { owner }: Args) => owner });
       export const done = mutation(async (ctx, a: { id: string }) => a.id);
       export const digest = action(async () => 1);
       export const hello = route('get', '/hello/{name}', (ctx, req) => req.params.name);
       export const stamp = hook('todos', 'beforeCreate', (ctx, e) => {});
       export const VERSION: number = 3;
       export function helper() {}`,
    );
    assert.deepEqual(m.exports, [
      { name: 'digest', kind: 'action' },
      { name: 'done', kind: 'mutation' },
      { name: 'hello', kind: 'route', method: 'GET', path: '/hello/{name}' },
      { name: 'open', kind: 'query', args: { type: 'object', properties: { owner: { type: 'string' } } } },
      { name: 'stamp', kind: 'hook', collection: 'todos', event: 'beforeCreate' },
    ]);
  });

  test('a syntax error rejects the load with the file and line', async () => {
    const file = write('isolated/broken.ts', 'export const a = 1;\nexport const b = ;\n');
    await assert.rejects(loadIsolatedModule(file, { root }), (e: Error) => {
      assert.match(e.message, /^cannot load isolated module .*broken\.ts: SyntaxError: .*broken\.ts:2/);
      return true;
    });
  });

  test('a throw at the top level rejects the load with its message', async () => {
    const file = write('isolated/throws.ts', "throw new Error('no config');\n");
    await assert.rejects(
      loadIsolatedModule(file, { root }),
      /cannot load isolated module .*throws\.ts: Error: no config/,
    );
  });

  test('a module outside the root is refused', async () => {
    await assert.rejects(
      loadIsolatedModule(join(dir, 'secret.txt'), { root }),
      /is not inside the functions directory/,
    );
  });
});

describe('isolated modules: calls and the ctx bridge', () => {
  test('a query gets its args, ctx.auth and ctx.env, and answers JSON', async () => {
    const m = await load(
      'isolated/echo.ts',
      `import { query } from '@forgebase/server/functions';
       export const echo = query((ctx, args) => ({ args, auth: ctx.auth, plan: ctx.env.PLAN, now: typeof Date.now() }));`,
    );
    const { bridge, calls } = recorder();
    assert.deepEqual(await m.invoke('echo', input({ n: 1 }), bridge), {
      args: { n: 1 },
      auth: { id: 'u1', collectionName: 'users' },
      plan: 'pro',
      now: 'number',
    });
    assert.deepEqual(calls, []);
  });

  test('records(), asSystem(), run, log, console, fetch and mail call the bridge with the pinned names', async () => {
    write(
      'isolated/lib/other.ts',
      `import { mutation } from '@forgebase/server/functions';
       export const complete = mutation(async (ctx, a) => a);`,
    );
    const m = await load(
      'isolated/all.ts',
      `import { action } from '@forgebase/server/functions';
       import { complete } from './lib/other.ts';
       export const all = action(async (ctx) => {
         const todos = ctx.records('todos');
         const out = {};
         out.list = await todos.list({ filter: 'owner = {:o}', params: { o: 'u1' } });
         out.one = await todos.getOne('r1', undefined);
         out.first = await todos.getFirst('done = false', { x: 1 });
         out.created = await todos.create({ title: 't' });
         out.updated = await todos.update('r1', { done: true });
         out.deleted = await todos.delete('r1');
         out.system = await ctx.asSystem().records('secrets').list();
         out.ran = await ctx.run(complete, { id: 'abc' });
         out.ranByName = await ctx.run('billing/invoices/total', { n: 2 });
         out.ranNoArgs = await ctx.run('billing/invoices/total');
         ctx.log.info('hello', { a: 1 });
         ctx.log.warn('careful');
         console.error('oops', 42, { b: 2 });
         const r = await ctx.fetch('https://example.test/hook', { method: 'POST', body: '{}' });
         out.fetched = { status: r.status, ok: r.ok, type: r.headers.get('Content-Type'), json: await r.json() };
         out.mailed = await ctx.mail.send({ to: 'a@b.c', subject: 's', html: 'h' });
         return out;
       });`,
    );
    const { bridge, calls } = recorder({
      'records.list': () => ({ items: [{ id: 'r1' }], page: 1, perPage: 30, totalItems: 1, totalPages: 1 }),
      'records.getOne': ([, id]) => ({ id }),
      'records.getFirst': () => ({ id: 'r2' }),
      'records.create': ([, body]) => ({ id: 'r3', ...(body as object) }),
      'records.update': ([, id, body]) => ({ id, ...(body as object) }),
      'system.records.list': () => ({ items: [] }),
      run: ([name, args]) => ({ name, args }),
      fetch: () => ({ status: 201, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' }),
    });
    const out = await m.invoke('all', input(), bridge);
    assert.deepEqual(out, {
      list: { items: [{ id: 'r1' }], page: 1, perPage: 30, totalItems: 1, totalPages: 1 },
      one: { id: 'r1' },
      first: { id: 'r2' },
      created: { id: 'r3', title: 't' },
      updated: { id: 'r1', done: true },
      deleted: null,
      system: { items: [] },
      ran: { name: 'isolated/lib/other/complete', args: { id: 'abc' } },
      ranByName: { name: 'billing/invoices/total', args: { n: 2 } },
      ranNoArgs: { name: 'billing/invoices/total' },
      fetched: { status: 201, ok: true, type: 'application/json', json: { ok: true } },
      mailed: null,
    });
    assert.deepEqual(calls, [
      ['records.list', ['todos', { filter: 'owner = {:o}', params: { o: 'u1' } }]],
      ['records.getOne', ['todos', 'r1']],
      ['records.getFirst', ['todos', 'done = false', { x: 1 }]],
      ['records.create', ['todos', { title: 't' }]],
      ['records.update', ['todos', 'r1', { done: true }]],
      ['records.delete', ['todos', 'r1']],
      ['system.records.list', ['secrets']],
      ['run', ['isolated/lib/other/complete', { id: 'abc' }]],
      ['run', ['billing/invoices/total', { n: 2 }]],
      ['run', ['billing/invoices/total']],
      ['log.info', ['hello', { a: 1 }]],
      ['log.warn', ['careful']],
      ['log.error', ['oops 42 {"b":2}']],
      ['fetch', ['https://example.test/hook', { method: 'POST', body: '{}' }]],
      ['mail.send', [{ to: 'a@b.c', subject: 's', html: 'h' }]],
    ]);
  });

  test('a before-hook answers the payload it changed; a route gets the request', async () => {
    const m = await load(
      'isolated/hooks.ts',
      `import { hook, route } from '@forgebase/server/functions';
       export const stamp = hook('todos', 'beforeCreate', (ctx, e) => { e.record.owner ??= ctx.auth?.id; });
       export const hello = route('GET', '/hello/{name}', (ctx, req) => ({ hi: req.params.name }));`,
    );
    const { bridge } = recorder();
    const payload = { collection: 'todos', action: 'create', record: { title: 't' } };
    assert.deepEqual(await m.invoke('stamp', input(payload), bridge), {
      collection: 'todos',
      action: 'create',
      record: { title: 't', owner: 'u1' },
    });
    const request = {
      method: 'GET',
      path: '/hello/bob',
      params: { name: 'bob' },
      query: {},
      headers: {},
      body: null,
    };
    assert.deepEqual(await m.invoke('hello', input(null, { request }), bridge), { hi: 'bob' });
  });

  test('a thrown ApiError keeps status, message and data; a bridge ApiError can be caught or passed on', async () => {
    const m = await load(
      'isolated/errors.ts',
      `import { mutation, query, ApiError, NotFoundError } from '@forgebase/server/functions';
       export const refuse = mutation(() => { throw new ApiError(409, 'taken', { slug: { code: 'taken', message: 'Taken.' } }); });
       export const missing = query(() => { throw new NotFoundError(); });
       export const passOn = query((ctx) => ctx.records('todos').getOne('nope'));
       export const recover = query(async (ctx) => {
         try { await ctx.records('todos').getOne('nope'); } catch (e) { return { caught: e.status, name: e.name, isApi: e instanceof ApiError }; }
       });`,
    );
    const { bridge } = recorder({
      'records.getOne': () => {
        throw new ApiError(404, "The requested resource wasn't found.");
      },
    });
    const expectApi = (status: number, message: string, data: unknown) => (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.deepEqual(e.toJSON(), { status, message, data });
      return true;
    };
    await assert.rejects(
      m.invoke('refuse', input(), bridge),
      expectApi(409, 'taken', { slug: { code: 'taken', message: 'Taken.' } }),
    );
    await assert.rejects(
      m.invoke('missing', input(), bridge),
      expectApi(404, "The requested resource wasn't found.", {}),
    );
    await assert.rejects(
      m.invoke('passOn', input(), bridge),
      expectApi(404, "The requested resource wasn't found.", {}),
    );
    assert.deepEqual(await m.invoke('recover', input(), bridge), {
      caught: 404,
      name: 'ApiError',
      isApi: true,
    });
  });

  test('an unexpected throw is a plain Error with the sandbox stack; a host error stays on the host', async () => {
    const m = await load(
      'isolated/crash.ts',
      `import { query } from '@forgebase/server/functions';
       export const crash = query(() => {
         const x: any = null;
         return x.field;
       });
       export const hostFails = query(async (ctx) => {
         try { await ctx.records('todos').list(); } catch (e) { return e.message; }
       });
       export const hostFailsUncaught = query((ctx) => ctx.records('todos').list());`,
    );
    const hostError = new Error('connection refused to 10.0.0.5');
    const { bridge } = recorder({
      'records.list': () => {
        throw hostError;
      },
    });
    await assert.rejects(m.invoke('crash', input(), bridge), (e: Error) => {
      assert.ok(!(e instanceof ApiError));
      assert.match(
        e.message,
        /^isolated function isolated\/crash\/crash threw: cannot read property 'field' of null/,
      );
      assert.match(e.stack ?? '', /crash\.ts:4/);
      return true;
    });
    assert.equal(await m.invoke('hostFails', input(), bridge), 'records.list failed');
    await assert.rejects(m.invoke('hostFailsUncaught', input(), bridge), (e: Error) => {
      assert.match(e.message, /threw: records\.list failed$/);
      assert.equal(e.cause, hostError);
      return true;
    });
  });

  test('a result that is not JSON fails the call; an unknown export is refused', async () => {
    const m = await load(
      'isolated/odd.ts',
      `import { query } from '@forgebase/server/functions';
       export const cyclic = query(() => { const a = {}; a.self = a; return a; });
       export const big = query(() => 10n);`,
    );
    const { bridge } = recorder();
    await assert.rejects(
      m.invoke('cyclic', input(), bridge),
      /isolated\/odd\/cyclic threw: circular reference/,
    );
    await assert.rejects(m.invoke('big', input(), bridge), /isolated\/odd\/big threw: .*BigInt/i);
    await assert.rejects(m.invoke('nope', input(), bridge), /has no function export "nope"/);
  });

  test('a ctx kept past its call is refused by the host', async () => {
    const m = await load(
      'isolated/keep.ts',
      `import { query } from '@forgebase/server/functions';
       let kept;
       export const keep = query((ctx) => { kept = ctx; return 'kept'; });
       export const useKept = query(async () => {
         try { await kept.records('todos').list(); return 'used'; } catch (e) { return e.message; }
       });`,
    );
    const { bridge, calls } = recorder();
    assert.equal(await m.invoke('keep', input(), bridge), 'kept');
    assert.equal(await m.invoke('useKept', input(), bridge), 'this ctx belongs to a finished call');
    assert.deepEqual(calls, []);
  });
});

describe('isolated modules: concurrency, reloads, the worker', () => {
  test('overlapping calls of one module run in separate VMs and both finish', async () => {
    const m = await load(
      'isolated/overlap.ts',
      `import { query } from '@forgebase/server/functions';
       let seen = 0;
       export const slow = query(async (ctx, a) => { seen++; const r = await ctx.records('t').getOne(a.id); return { r, seen }; });
       export const fast = query(() => { seen++; return { seen }; });`,
    );
    const { promise: gate, resolve: open } = Promise.withResolvers<void>();
    const bridge: SandboxBridge = async (_m, args) => {
      await gate;
      return { id: args[1] };
    };
    const slow = m.invoke('slow', input({ id: 'a' }), bridge);
    const fast = await m.invoke('fast', input(), bridge); // while slow waits on the host
    open();
    assert.deepEqual(fast, { seen: 1 }); // another VM: it did not see slow's increment
    assert.deepEqual(await slow, { r: { id: 'a' }, seen: 1 });
  });

  test('at most MAX_VMS calls of one module run at once; the next waits for a VM to free', async () => {
    const m = await load(
      'isolated/crowd.ts',
      `import { query } from '@forgebase/server/functions';
       export const hold = query((ctx, a) => ctx.records('t').getOne(String(a.i)));`,
    );
    const other = await load(
      'isolated/ping.ts',
      "import { query } from '@forgebase/server/functions';\nexport const ping = query(() => 'pong');\n",
    );
    const started: number[] = [];
    const release = new Map<number, () => void>();
    const { promise: full, resolve: filled } = Promise.withResolvers<void>();
    let ninth: (() => void) | undefined;
    const bridge: SandboxBridge = (_m, a) =>
      new Promise((resolve) => {
        const i = Number(a[1]);
        started.push(i);
        release.set(i, () => resolve({ i }));
        if (started.length === MAX_VMS) filled();
        if (started.length === MAX_VMS + 1) ninth?.();
      });
    const calls = Array.from({ length: MAX_VMS + 1 }, (_, i) => m.invoke('hold', input({ i }), bridge));
    await full;
    // the worker handles messages in order: once a later call is answered, the last of the
    // crowd has been seen, and it did not start
    assert.equal(await other.invoke('ping', input(), recorder().bridge), 'pong');
    assert.equal(started.length, MAX_VMS);
    const { promise: ninthStarted, resolve } = Promise.withResolvers<void>();
    ninth = resolve;
    release.get(started[0]!)!();
    await ninthStarted;
    for (const i of started.slice(1)) release.get(i)!();
    assert.deepEqual(
      await Promise.all(calls),
      Array.from({ length: MAX_VMS + 1 }, (_, i) => ({ i })),
    );
  });

  test('a module with top-level await loads once its promise settles', async () => {
    const m = await load(
      'isolated/tla.ts',
      `import { query } from '@forgebase/server/functions';
       const table = await Promise.resolve({ a: 1 });
       export const get = query(() => table);`,
    );
    assert.deepEqual(await m.invoke('get', input(), recorder().bridge), { a: 1 });
  });

  test('loading a changed file again gives the new version; the old module keeps its own', async () => {
    const file = write(
      'isolated/versions.ts',
      "import { query } from '@forgebase/server/functions';\nexport const v = query(() => 1);\n",
    );
    const v1 = await loadIsolatedModule(file, { root });
    loaded.push(v1);
    write(
      'isolated/versions.ts',
      "import { query } from '@forgebase/server/functions';\nexport const v = query(() => 2);\nexport const w = query(() => 3);\n",
    );
    const v2 = await loadIsolatedModule(file, { root });
    loaded.push(v2);
    assert.deepEqual(
      v2.exports.map((e) => e.name),
      ['v', 'w'],
    );
    const { bridge } = recorder();
    assert.equal(await v2.invoke('v', input(), bridge), 2);
    assert.equal(await v1.invoke('v', input(), bridge), 1);
    v1.dispose();
    await assert.rejects(v1.invoke('v', input(), bridge), /was disposed/);
  });

  test('a call in flight when the worker stops fails; the next call loads the module into a new worker', async () => {
    const m = await load(
      'isolated/survives.ts',
      `import { query } from '@forgebase/server/functions';
       let calls = 0;
       export const count = query(() => ++calls);
       export const waits = query((ctx) => ctx.records('slow').list());`,
    );
    const { bridge } = recorder();
    assert.equal(await m.invoke('count', input(), bridge), 1);
    const { promise: reached, resolve: reach } = Promise.withResolvers<void>();
    const stuck = m.invoke('waits', input(), () => {
      reach();
      return new Promise(() => {});
    });
    await reached;
    await stopSandboxWorker();
    await assert.rejects(stuck, /the sandbox worker exited/);
    // loaded again into the new worker, once for calls that come together: they share one
    // pool (two loads would have answered 1 and 1)
    assert.deepEqual(
      await Promise.all([m.invoke('count', input(), bridge), m.invoke('count', input(), bridge)]),
      [1, 2],
    );
  });
});

describe('isolated modules: limits', () => {
  test('while(true) is stopped at the CPU limit with a clear error, and the event loop keeps running', async () => {
    const m = await load(
      'isolated/spin.ts',
      `import { query } from '@forgebase/server/functions';
       export const spin = query(() => { for (;;) { try { while (true) {} } catch {} } });
       let calls = 0;
       export const ok = query(() => 'still here, call ' + ++calls);`,
      { cpuMs: 300 },
    );
    const { bridge } = recorder();
    assert.equal(await m.invoke('ok', input(), bridge), 'still here, call 1');
    assert.equal(await m.invoke('ok', input(), bridge), 'still here, call 2'); // the same VM, pooled
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const started = performance.now();
    try {
      await rejectsAtLimit(
        m.invoke('spin', input(), bridge),
        'cpu',
        'isolated function isolated/spin/spin exceeded its CPU time limit of 300 ms',
      );
    } finally {
      clearInterval(timer);
    }
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 300 && elapsed < 5000, `stopped after ${elapsed} ms`);
    assert.ok(ticks >= 5, `the host's timer ran ${ticks} times during the loop`);
    // the VM that hit the limit was discarded: a fresh one, with fresh module state, serves
    assert.equal(await m.invoke('ok', input(), bridge), 'still here, call 1');
  });

  test('an HTTP server of the host answers while an isolated function spins', async () => {
    const m = await spinner('isolated/spin-http.ts', 1000);
    const server = createServer((_req, res) => res.end('pong'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      let settled = false;
      const spinning = m.invoke('spin', input(), recorder().bridge).finally(() => {
        settled = true;
      });
      const answers: string[] = [];
      for (let i = 0; i < 3; i++) answers.push(await (await fetch(`http://127.0.0.1:${port}/`)).text());
      assert.equal(settled, false, 'the requests were answered while the loop ran');
      assert.deepEqual(answers, ['pong', 'pong', 'pong']);
      await assert.rejects(spinning, SandboxLimitError);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('the CPU limit counts time in QuickJS, not time awaiting the host', async () => {
    const m = await load(
      'isolated/waits.ts',
      `import { query } from '@forgebase/server/functions';
       export const waits = query(async (ctx) => { await ctx.records('slow').list(); return 'done'; });`,
      { cpuMs: 50 },
    );
    const { promise: released, resolve: release } = Promise.withResolvers<void>();
    const bridge: SandboxBridge = async () => {
      await released;
      return null;
    };
    const call = m.invoke('waits', input(), bridge);
    await new Promise((r) => setTimeout(r, 150)); // host-side latency beyond the 50 ms budget
    release();
    assert.equal(await call, 'done');
  });

  test('the memory limit: an allocation loop is stopped, one allocation above it refused; the module keeps working', async () => {
    const m = await load(
      'isolated/hog.ts',
      `import { query } from '@forgebase/server/functions';
       export const hog = query(() => { const a = []; for (;;) a.push('x'.repeat(1024) + a.length); });
       export const huge = query(() => 'x'.repeat(64 * 1024 * 1024).length);
       export const caught = query(() => { try { return new ArrayBuffer(64 * 1024 * 1024).byteLength; } catch (e) { return e.name + ': ' + e.message; } });
       export const ok = query(() => 'fine');`,
      { memoryBytes: 8 * 1024 * 1024 },
    );
    const { bridge } = recorder();
    const limitHit = 'isolated function isolated/hog/hog exceeded its memory limit of 8 MiB';
    await rejectsAtLimit(m.invoke('hog', input(), bridge), 'memory', limitHit);
    assert.equal(await m.invoke('ok', input(), bridge), 'fine');
    const refused = 'isolated function isolated/hog/huge ran out of memory';
    await rejectsAtLimit(m.invoke('huge', input(), bridge), 'memory', refused);
    // a refused allocation is an error like any other: the function may catch it
    assert.equal(await m.invoke('caught', input(), bridge), 'InternalError: out of memory');
  });

  test('unbounded recursion is stopped at the stack limit', async () => {
    const m = await load(
      'isolated/deep.ts',
      `import { query } from '@forgebase/server/functions';
       const f = (n) => f(n + 1) + 1;
       export const deep = query(() => f(0));`,
    );
    await rejectsAtLimit(
      m.invoke('deep', input(), recorder().bridge),
      'memory',
      /exceeded its stack size limit/,
    );
  });

  test('per-call limits override the module defaults', async () => {
    const m = await spinner('isolated/tight.ts', 5000);
    const started = performance.now();
    await assert.rejects(
      m.invoke('spin', input(), recorder().bridge, { cpuMs: 100 }),
      /CPU time limit of 100 ms/,
    );
    assert.ok(performance.now() - started < 2500);
  });
});

describe('isolated modules: escape attempts fail', () => {
  test('no process, require, host globals or dynamic import of node modules', async () => {
    const m = await load(
      'isolated/escape.ts',
      `import { query } from '@forgebase/server/functions';
       const attempt = async (f) => { try { const v = await f(); return 'got ' + typeof v; } catch (e) { return e.name; } };
       export const probe = query(async () => ({
         process: typeof process,
         require: typeof require,
         Buffer: typeof Buffer,
         fetch: typeof fetch,
         setTimeout: typeof setTimeout,
         WebAssembly: typeof WebAssembly,
         fnThis: Object.keys(Function('return this')()).sort(),
         ctorCtor: await attempt(() => ({}).constructor.constructor('return process')()),
         globalProcess: typeof globalThis.process,
         importFs: await attempt(() => import('fs')),
         importNodeFs: await attempt(() => import('node:fs')),
         importAbs: await attempt(() => import('/etc/passwd')),
         importUp: await attempt(() => import('../../secret.txt')),
         std: await attempt(() => import('std')),
         os: await attempt(() => import('os')),
       }));`,
    );
    assert.deepEqual(await m.invoke('probe', input(), recorder().bridge), {
      process: 'undefined',
      require: 'undefined',
      Buffer: 'undefined',
      fetch: 'undefined',
      setTimeout: 'undefined',
      WebAssembly: 'undefined',
      fnThis: [],
      ctorCtor: 'ReferenceError',
      globalProcess: 'undefined',
      importFs: 'Error',
      importNodeFs: 'Error',
      importAbs: 'Error',
      importUp: 'Error',
      std: 'Error',
      os: 'Error',
    });
  });

  test('the global object holds the language and nothing of the host', async () => {
    const m = await load(
      'isolated/globals.ts',
      `import { query } from '@forgebase/server/functions';
       const topThis = this;
       export const globals = query(() => ({
         keys: Reflect.ownKeys(globalThis).map(String),
         topThis: typeof topThis,
         frozen: Object.isFrozen(globalThis) && Object.isFrozen(Object.prototype) && Object.isFrozen(Function.prototype),
       }));`,
    );
    const { keys, topThis, frozen } = (await m.invoke('globals', input(), recorder().bridge)) as {
      keys: string[];
      topThis: string;
      frozen: boolean;
    };
    assert.deepEqual(keys, [
      ...['Error', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError'],
      ...[
        'InternalError',
        'AggregateError',
        'Array',
        'Object',
        'Function',
        'Iterator',
        'parseInt',
        'parseFloat',
      ],
      ...[
        'isNaN',
        'isFinite',
        'decodeURI',
        'decodeURIComponent',
        'encodeURI',
        'encodeURIComponent',
        'escape',
      ],
      ...[
        'unescape',
        'Infinity',
        'NaN',
        'undefined',
        'eval',
        'Number',
        'Boolean',
        'String',
        'Math',
        'Reflect',
      ],
      ...[
        'Symbol',
        'globalThis',
        'BigInt',
        'Date',
        'RegExp',
        'JSON',
        'Proxy',
        'Map',
        'Set',
        'WeakMap',
        'WeakSet',
      ],
      ...['ArrayBuffer', 'SharedArrayBuffer', 'Uint8ClampedArray', 'Int8Array', 'Uint8Array', 'Int16Array'],
      ...['Uint16Array', 'Int32Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array', 'Float16Array'],
      ...['Float32Array', 'Float64Array', 'DataView', 'Promise', 'WeakRef', 'FinalizationRegistry'],
      ...['__forgebase_shim__', 'console', 'Symbol(Symbol.toStringTag)'],
    ]);
    assert.equal(topThis, 'undefined');
    assert.equal(frozen, true);
  });

  test('a static import of a file above the root fails the load; a symlink out of the root too', async () => {
    const up = write('isolated/up.ts', "import secret from '../../secret.txt';\nexport const s = secret;\n");
    await assert.rejects(
      loadIsolatedModule(up, { root }),
      /cannot import "\.\.\/\.\.\/secret\.txt": it is outside the functions directory/,
    );
    symlinkSync(join(dir, 'secret.txt'), join(root, 'isolated', 'link.js'));
    const viaLink = write('isolated/via-link.ts', "import s from './link.js';\nexport const x = s;\n");
    await assert.rejects(
      loadIsolatedModule(viaLink, { root }),
      /cannot import ".*\/isolated\/link\.js": no such module inside the functions directory/,
    );
    const bare = write('isolated/bare.ts', "import { Type } from 'typebox';\nexport const t = Type;\n");
    await assert.rejects(
      loadIsolatedModule(bare, { root }),
      /cannot import "typebox": isolated functions may import only/,
    );
  });

  test('polluting Object.prototype fails, and neither the next call nor the host sees it', async () => {
    const m = await load(
      'isolated/pollute.ts',
      `import { query } from '@forgebase/server/functions';
       export const pollute = query((ctx, body) => {
         const tries = [];
         const t = (f) => { try { f(); tries.push('ok'); } catch (e) { tries.push(e.name); } };
         t(() => { Object.prototype.polluted = 'yes'; });
         const merge = (a, b) => { for (const k in b) { if (typeof b[k] === 'object') merge(a[k], b[k]); else a[k] = b[k]; } };
         t(() => merge({}, JSON.parse(body.json))); // the classic: a caller's JSON merged naively
         t(() => { Array.prototype.push = () => 0; });
         t(() => { Object.defineProperty(Object.prototype, 'polluted3', { value: 1 }); });
         t(() => { Function('Object.prototype.polluted4 = 1')(); });
         t(() => { globalThis.leak = 'from call 1'; });
         t(() => { (async () => {}).constructor.prototype.polluted5 = 1; });
         t(() => { (function* () {}).constructor.shared = 1; });
         return tries;
       });
       export const look = query(() => ({
         polluted: ({}).polluted ?? null, polluted2: ({}).polluted2 ?? null, polluted3: ({}).polluted3 ?? null,
         polluted4: ({}).polluted4 ?? null, push: [1].push(2), leak: globalThis.leak ?? null,
       }));`,
    );
    const { bridge } = recorder();
    assert.deepEqual(
      await m.invoke('pollute', input({ json: '{"__proto__": {"polluted2": "yes"}}' }), bridge),
      [
        'TypeError',
        'TypeError',
        'TypeError',
        'TypeError',
        'ok', // sloppy-mode assignment to a frozen object fails silently
        'TypeError',
        'TypeError',
        'TypeError',
      ],
    );
    assert.deepEqual(await m.invoke('look', input(), bridge), {
      polluted: null,
      polluted2: null,
      polluted3: null,
      polluted4: null,
      push: 2,
      leak: null,
    });
    const probe: Record<string, unknown> = {};
    assert.equal(probe.polluted, undefined);
    assert.equal(probe.polluted4, undefined);
  });

  test('the usual patterns still work under the frozen intrinsics', async () => {
    const m = await load(
      'isolated/patterns.ts',
      `import { query } from '@forgebase/server/functions';
       class MyError extends Error { constructor(m) { super(m); this.name = 'MyError'; } }
       function Legacy() {}
       Legacy.prototype.toString = function () { return 'legacy'; };
       export const run = query(() => {
         const e = new MyError('x');
         const o = { a: 1 }; o.toString = () => 'own';
         return { name: e.name, legacy: String(new Legacy()), own: String(o), spread: { ...o, b: 2 }.b,
                  sorted: [3, 1, 2].sort(), json: JSON.stringify({ d: new Date(0) }) };
       });`,
    );
    assert.deepEqual(await m.invoke('run', input(), recorder().bridge), {
      name: 'MyError',
      legacy: 'legacy',
      own: 'own',
      spread: 2,
      sorted: [1, 2, 3],
      json: '{"d":"1970-01-01T00:00:00.000Z"}',
    });
  });
});
