import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { bundleClient } from '../scripts/build.ts';

const SRC = join(import.meta.dirname, '../src');
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );

/** Every module specifier a source file imports (static, dynamic, re-exports). */
const specifiers = (text: string) =>
  [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);

describe('@forgebase/client package', () => {
  test('src imports no Node module and no package: fetch and WebSocket only', () => {
    const builtins = new Set(builtinModules);
    const offenders: string[] = [];
    for (const f of files(SRC)) {
      for (const s of specifiers(readFileSync(f, 'utf8'))) {
        if (s.startsWith('.')) continue;
        if (s.startsWith('node:') || builtins.has(s) || !s.startsWith('.'))
          offenders.push(`${relative(SRC, f)}: ${s}`);
      }
    }
    assert.deepEqual(offenders, []);
  });

  test('src names no Node global (process, Buffer, require, __dirname)', () => {
    const offenders = files(SRC).filter((f) =>
      /\b(process\.|Buffer\.|require\(|__dirname|__filename)/.test(readFileSync(f, 'utf8')),
    );
    assert.deepEqual(
      offenders.map((f) => relative(SRC, f)),
      [],
    );
  });

  test('the whole client bundles to one minified ESM file under 15 KB min+gz', async () => {
    const { code, gzipBytes } = await bundleClient();
    assert.ok(gzipBytes < 15 * 1024, `the client is ${gzipBytes} bytes min+gz (budget 15360)`);
    assert.match(code, /export\{/);
    assert.doesNotMatch(code, /from"node:|require\(/);
  });

  test('the bundle loads as a module and exports the client', async () => {
    const { code } = await bundleClient();
    const mod = await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
    const fb = new mod.ForgeBase('http://127.0.0.1:1');
    assert.equal(fb.baseUrl, 'http://127.0.0.1:1');
    assert.equal(typeof fb.collection('todos').getList, 'function');
    assert.equal(mod.filter('a = {:x}', { x: "it's" }), "a = 'it\\'s'");
  });
});

describe('ClientError codes', () => {
  test("follow the server's catalog: the same code for every status the server defaults", async () => {
    const { ApiError } = await import('../../server/src/errors/api-error.ts');
    const { codeOfStatus } = await import('../src/errors.ts');
    for (let status = 400; status < 600; status++) {
      // 503 is sent with the catalog's `unavailable` code (a restore in progress); the SDK names it so
      if (status === 503) continue;
      assert.equal(codeOfStatus(status), new ApiError(status, 'x').code, `status ${status}`);
    }
    assert.equal(codeOfStatus(503), 'unavailable');
  });
});
