import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

const NOT_FOUND = { data: {}, message: "The requested resource wasn't found.", status: 404 };
const INDEX = '<!doctype html><title>home</title>';

/** A GET with the path exactly as given (fetch would normalise `..` away). */
function rawGet(url: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Lays out a site in `dir`, plus a secret next to it that must never be served. */
function writeSite(dir: string, outside: string): void {
  mkdirSync(join(dir, 'sub'), { recursive: true });
  mkdirSync(join(dir, 'api'), { recursive: true });
  mkdirSync(join(dir, '_'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'app.js'), 'console.log("hi");');
  writeFileSync(join(dir, 'style.css'), 'body{}');
  writeFileSync(join(dir, 'data.json'), JSON.stringify({ big: 'x'.repeat(4000) }));
  writeFileSync(join(dir, 'sub', 'index.html'), '<p>sub</p>');
  writeFileSync(join(dir, 'api', 'health'), 'shadow');
  writeFileSync(join(dir, 'api', 'secret.txt'), 'shadow');
  writeFileSync(join(dir, '_', 'x.txt'), 'shadow');
  writeFileSync(outside, 'SECRET');
  symlinkSync(outside, join(dir, 'link.txt'));
}

for (const dialect of DIALECTS) {
  describe(`the public dir at / (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
      // the default: fb_public beside the data dir
      assert.equal(t.config.publicDir, join(t.dir, 'fb_public'));
      writeSite(t.config.publicDir, join(t.dir, 'outside.txt'));
    });
    after(() => t.close());

    test('serves index.html at / and files with their content types and validators', async () => {
      const home = await fetch(`${t.url}/`);
      assert.equal(home.status, 200);
      assert.equal(home.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(await home.text(), INDEX);
      const etag = home.headers.get('etag');
      const modified = home.headers.get('last-modified');
      assert.match(etag ?? '', /^"[0-9a-f]+-[0-9a-f]+"$/);
      assert.ok(modified && !Number.isNaN(Date.parse(modified)));
      for (const [path, type] of [
        ['/app.js', 'text/javascript; charset=utf-8'],
        ['/style.css', 'text/css; charset=utf-8'],
        ['/data.json', 'application/json'],
        ['/sub/', 'text/html; charset=utf-8'],
      ]) {
        const res = await fetch(t.url + path!);
        assert.equal(res.status, 200, path);
        assert.equal(res.headers.get('content-type'), type, path);
        assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
        await res.arrayBuffer();
      }
      assert.equal((await fetch(`${t.url}/`, { headers: { 'if-none-match': etag! } })).status, 304);
      assert.equal((await fetch(`${t.url}/`, { headers: { 'if-modified-since': modified! } })).status, 304);
      const range = await fetch(`${t.url}/app.js`, { headers: { range: 'bytes=0-6' } });
      assert.equal(range.status, 206);
      assert.equal(await range.text(), 'console');
      const head = await fetch(`${t.url}/app.js`, { method: 'HEAD' });
      assert.equal(head.headers.get('content-length'), '18');
    });

    test('canonical URLs: a directory gets its slash, a file and index.html lose it', async () => {
      const cases: [string, string][] = [
        ['/sub', '/sub/'],
        ['/app.js/', '/app.js'],
        ['/index.html', '/'],
        ['/sub/index.html', '/sub/'],
      ];
      for (const [from, to] of cases) {
        const res = await fetch(t.url + from, { redirect: 'manual' });
        assert.equal(res.status, 301, from);
        assert.equal(res.headers.get('location'), to, from);
      }
    });

    test('a missing file is the JSON 404; /api/ and /_/ are never answered from the dir', async () => {
      for (const path of ['/missing.html', '/api/secret.txt', '/api/']) {
        const res = await fetch(t.url + path);
        assert.equal(res.status, 404, path);
        assert.deepEqual(await res.json(), NOT_FOUND, path);
      }
      // `/_/` is the dashboard's (docs/dashboard.md): the public dir's `_/x.txt` never shows
      for (const path of ['/_/x.txt', '/_/']) {
        const res = await fetch(t.url + path);
        assert.notEqual(await res.text(), 'shadow', path);
      }
      const health = await fetch(`${t.url}/api/health`);
      assert.equal(((await health.json()) as { message: string }).message, 'API is healthy.');
    });

    test('paths out of the dir are refused: dot segments, encoded slashes, symlinks out', async () => {
      for (const path of [
        '/../outside.txt',
        '/%2e%2e/outside.txt',
        '/..%2foutside.txt',
        '/sub/..%2f..%2foutside.txt',
        '/sub/%2e%2e/%2e%2e/outside.txt',
        '/..%5coutside.txt',
        '/app.js%00.html',
        '/link.txt',
        '/../fb_data/data.db',
      ]) {
        const res = await rawGet(t.url, path);
        assert.equal(res.status, 404, path);
        assert.ok(!res.body.includes('SECRET'), path);
      }
      // malformed percent-encoding is refused by the router itself
      assert.equal((await rawGet(t.url, '/%E0%A4%A')).status, 400);
    });
  });

  describe(`the public dir with --publicDir and --indexFallback (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect, { publicDir: 'site', indexFallback: true });
      writeSite(t.config.publicDir, join(t.dir, 'outside.txt'));
    });
    after(() => t.close());

    test('a path with no file gets the root index.html; the API still gets its 404', async () => {
      assert.equal(t.config.publicDir, join(t.dir, 'site'));
      for (const path of ['/some/client/route', '/missing.js', '/../outside.txt']) {
        const res = await rawGet(t.url, path);
        assert.equal(res.status, 200, path);
        assert.equal(res.body, INDEX, path);
      }
      const api = await fetch(`${t.url}/api/nothing`);
      assert.equal(api.status, 404);
      assert.deepEqual(await api.json(), NOT_FOUND);
    });
  });
}
