import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createApp } from '../../src/app.ts';
import { DIALECTS, silentLogger, startTestApp, testConfig } from '../support/app.ts';
import { functionsDir } from '../support/functions.ts';
import { testStorage } from '../support/storage.ts';

const DEFINE = `import { query, route } from '@forgebase/server/functions';\n`;

for (const dialect of DIALECTS) {
  describe(`loading fb_functions (${dialect})`, () => {
    const dirs: { remove(): void }[] = [];
    after(() => {
      for (const d of dirs) d.remove();
    });

    /** createApp's rejection for a functions dir of these files. */
    async function startError(files: Record<string, string>): Promise<Error> {
      const fns = functionsDir(files);
      dirs.push(fns);
      const storage = testStorage(dialect);
      try {
        const config = testConfig(dialect, storage.dir, storage.schema, { functionsDir: fns.dir });
        const app = await createApp(config, { logger: silentLogger() }).catch((e: Error) => e);
        if (!(app instanceof Error)) {
          await app.stop();
          throw new Error('the app started');
        }
        return Object.assign(app, { dir: fns.dir });
      } finally {
        await storage.remove();
      }
    }

    test('a file that does not parse stops the start with its file:line', async () => {
      const e = (await startError({
        'ok.ts': `${DEFINE}export const a = query(() => 1);\n`,
        'bad.ts': `${DEFINE}export const b = query(() => 1);\nexport const c = (;\n`,
      })) as Error & { dir: string };
      assert.match(e.message, /^functions failed to load:\n/);
      assert.ok(e.message.includes(`${e.dir}/bad.ts:3: SyntaxError`), e.message);
      assert.ok(!e.message.includes('ok.ts'));
    });

    test('a file that throws while loading names the line that threw', async () => {
      const e = (await startError({
        'boom.ts': `${DEFINE}\nthrow new Error('boom at load');\n`,
      })) as Error & { dir: string };
      assert.ok(e.message.includes(`${e.dir}/boom.ts:3: Error: boom at load`), e.message);
    });

    test('a user route that clashes with a built-in route is refused at load', async () => {
      const e = await startError({
        'r.ts': `${DEFINE}export const health = route('GET', '/api/health', () => 'mine');\n`,
      });
      assert.equal(
        e.message,
        'functions: route GET /api/health of r/health clashes with the built-in route GET /api/health',
      );
      const param = await startError({
        'deep/r.ts': `${DEFINE}export const view = route('GET', '/api/collections/{name}/records/{id}', () => 1);\n`,
      });
      assert.equal(
        param.message,
        'functions: route GET /api/collections/{name}/records/{id} of deep/r/view clashes with the built-in route GET /api/collections/:c/records/:id',
      );
    });

    test('two user routes on one method and path are refused', async () => {
      const e = await startError({
        'a.ts': `${DEFINE}export const one = route('GET', '/x/{id}', () => 1);\n`,
        'b.ts': `${DEFINE}export const two = route('GET', '/x/{key}', () => 2);\n`,
      });
      assert.equal(e.message, 'functions: route GET /x/{key} of b/two is also defined by a/one');
    });

    test('user routes meet the same rate limits as the built-in API', async () => {
      const fns = functionsDir({
        'r.ts': `${DEFINE}export const hi = route('GET', '/hi/{name}', (_c, req) => req.params.name);\n`,
      });
      dirs.push(fns);
      const t = await startTestApp(dialect, {
        functionsDir: fns.dir,
        rateLimitsEnabled: true,
        rateLimitsRules: [{ label: '/hi/', audience: '', duration: 60, maxRequests: 2 }],
      });
      try {
        assert.equal((await t.request('GET', '/hi/a')).body, 'a');
        assert.equal((await t.request('GET', '/hi/b')).body, 'b');
        const limited = await t.request('GET', '/hi/c');
        assert.equal(limited.status, 429);
      } finally {
        await t.close();
      }
    });

    test('without a functions dir there is no functions service and calls are 404', async () => {
      const t = await startTestApp(dialect);
      try {
        assert.equal(t.app.functions, undefined);
        const res = await t.request('POST', '/api/functions/todos/list');
        assert.deepEqual(res.body, { data: {}, message: 'The function was not found.', status: 404 });
        const listed = await t.request('GET', '/api/functions', { token: 'superuser' });
        assert.deepEqual(listed.body, { items: [] });
      } finally {
        await t.close();
      }
    });
  });
}

describe('start-up cost', () => {
  test('an app without a functions dir never loads the functions runtime', async () => {
    // a child process: this one has loaded the runtime already (the suites above)
    const app = fileURLToPath(new URL('../../src/app.ts', import.meta.url));
    const support = fileURLToPath(new URL('../support/app.ts', import.meta.url));
    const script = `
      import { registerHooks } from 'node:module';
      const seen = [];
      registerHooks({ resolve(s, c, next) { const r = next(s, c); seen.push(r.url); return r; } });
      const { createApp } = await import(${JSON.stringify(app)});
      const { testConfig, silentLogger } = await import(${JSON.stringify(support)});
      const { mkdtempSync, rmSync } = await import('node:fs');
      const dir = mkdtempSync('/tmp/fb-startup-');
      const a = await createApp(testConfig('sqlite', dir, 'unused'), { logger: silentLogger() });
      await a.start();
      await a.stop();
      rmSync(dir, { recursive: true, force: true });
      console.log(JSON.stringify(seen.filter((u) => u.includes('/src/functions/'))));
    `;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ['--input-type=module', '-e', script],
        { timeout: 60_000 },
        (err, stdout, stderr) => (err ? reject(new Error(stderr || String(err))) : resolve(stdout)),
      ),
    );
    assert.deepEqual(JSON.parse(out.trim().split('\n').at(-1)!), []);
  });
});
