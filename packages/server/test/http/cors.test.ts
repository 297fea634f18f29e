import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

const APP_ORIGIN = 'http://app.localhost:5173';

/** A browser's preflight for a JSON POST with an Authorization header. */
function preflight(t: TestApp, path: string, origin = APP_ORIGIN) {
  return fetch(t.url + path, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type,x-custom',
    },
  });
}

for (const dialect of DIALECTS) {
  describe(`CORS, every origin allowed by default (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
      await t.createCollection({ name: 'notes', listRule: '', fields: [{ name: 'title', type: 'text' }] });
    });
    after(() => t.close());

    test('a preflight from another origin is answered 204 with the methods and the requested headers', async () => {
      const res = await preflight(t, '/api/collections/notes/records');
      assert.equal(res.status, 204);
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      assert.equal(res.headers.get('access-control-allow-methods'), 'GET,HEAD,PUT,PATCH,POST,DELETE');
      assert.equal(res.headers.get('access-control-allow-headers'), 'authorization,content-type,x-custom');
      assert.equal(
        res.headers.get('vary'),
        'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
      );
      assert.equal(await res.text(), '');
    });

    test('an OPTIONS request without an Origin is a 204 without CORS headers (PocketBase)', async () => {
      const res = await fetch(`${t.url}/api/collections/notes/records`, { method: 'OPTIONS' });
      assert.equal(res.status, 204);
      assert.equal(res.headers.get('access-control-allow-origin'), null);
    });

    test('answers, errors and 404s carry the allow-origin header and the exposed headers', async () => {
      const headers = { origin: APP_ORIGIN };
      const ok = await fetch(`${t.url}/api/collections/notes/records`, { headers });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get('access-control-allow-origin'), '*');
      assert.equal(
        ok.headers.get('access-control-expose-headers'),
        'Content-Disposition, Content-Range, Accept-Ranges, ETag, X-Request-Id',
      );
      // JSON answers also vary on Accept-Encoding (compression)
      assert.equal(ok.headers.get('vary'), 'Origin, Accept-Encoding');
      const bad = await fetch(`${t.url}/api/collections/notes/records?filter=${encodeURIComponent('(')}`, {
        headers,
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.headers.get('access-control-allow-origin'), '*');
      const denied = await fetch(`${t.url}/api/collections`, { headers });
      assert.equal(denied.status, 401);
      assert.equal(denied.headers.get('access-control-allow-origin'), '*');
      const missing = await fetch(`${t.url}/api/nothing/here`, { headers });
      assert.equal(missing.status, 404);
      assert.equal(missing.headers.get('access-control-allow-origin'), '*');
      assert.deepEqual(await missing.json(), {
        data: {},
        message: "The requested resource wasn't found.",
        status: 404,
      });
      const noOrigin = await fetch(`${t.url}/api/collections/notes/records`);
      assert.equal(noOrigin.headers.get('access-control-allow-origin'), null);
      assert.equal(noOrigin.headers.get('vary'), 'Origin, Accept-Encoding');
    });

    test('the realtime stream (written by hand) carries the allow-origin header', async () => {
      const ac = new AbortController();
      const res = await fetch(`${t.url}/api/realtime`, {
        headers: { origin: APP_ORIGIN },
        signal: ac.signal,
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'text/event-stream');
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      ac.abort();
      await res.body?.cancel().catch(() => {});
    });

    test('tus keeps its own OPTIONS answer; a browser preflight to it is answered by CORS', async () => {
      const tus = '/api/storage/upload/resumable';
      const discovery = await fetch(t.url + tus, { method: 'OPTIONS' });
      assert.equal(discovery.status, 204);
      assert.equal(discovery.headers.get('tus-version'), '1.0.0');
      const pre = await fetch(t.url + tus, {
        method: 'OPTIONS',
        headers: {
          origin: APP_ORIGIN,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'tus-resumable,upload-length,upload-metadata',
        },
      });
      assert.equal(pre.status, 204);
      assert.equal(pre.headers.get('access-control-allow-origin'), '*');
      assert.equal(
        pre.headers.get('access-control-allow-headers'),
        'tus-resumable,upload-length,upload-metadata',
      );
    });

    test('the S3 API answers unchanged, with the allow-origin header for a browser', async () => {
      const res = await fetch(`${t.url}/s3`, { headers: { origin: APP_ORIGIN } });
      assert.equal(res.status, 403);
      assert.match(res.headers.get('content-type') ?? '', /xml/);
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      const pre = await preflight(t, '/s3/bucket/some/key');
      assert.equal(pre.status, 204);
      assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    });
  });

  describe(`CORS restricted by origins (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect, { origins: [APP_ORIGIN, 'https://*.example.com'] });
    });
    after(() => t.close());

    test('a listed origin and a wildcard match are echoed back', async () => {
      for (const origin of [APP_ORIGIN, 'https://shop.example.com']) {
        const res = await fetch(`${t.url}/api/health`, { headers: { origin } });
        assert.equal(res.headers.get('access-control-allow-origin'), origin);
        const pre = await preflight(t, '/api/health', origin);
        assert.equal(pre.status, 204);
        assert.equal(pre.headers.get('access-control-allow-origin'), origin);
      }
    });

    test('another origin gets no allow headers, on answers and on preflights', async () => {
      for (const origin of ['https://evil.test', 'http://example.com', 'https://example.com.evil.test']) {
        const res = await fetch(`${t.url}/api/health`, { headers: { origin } });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('access-control-allow-origin'), null);
        const pre = await preflight(t, '/api/health', origin);
        assert.equal(pre.status, 204);
        assert.equal(pre.headers.get('access-control-allow-origin'), null);
        assert.equal(pre.headers.get('access-control-allow-methods'), null);
      }
    });
  });
}
