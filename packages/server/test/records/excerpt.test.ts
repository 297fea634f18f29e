import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EXCERPT_SCAN_LIMIT, excerpt } from '../../src/records/excerpt.ts';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

const MiB = 1024 * 1024;
/** Units that made the old regex passes quadratic: each opens something never closed. */
const ADVERSARIAL = ['<script>', '<!--', '<a', '<div ', '<script></scripta', '<style><!--', '</script'];
const repeat = (unit: string, size: number) => unit.repeat(Math.ceil(size / unit.length));
// Not a timing test of the fast path: the bound is generous (2 s for up to 5 MiB), while
// the old quadratic passes took 1.5 s on 256 kB and minutes on 1 MiB and up.
const BOUND_MS = 2000;

describe('excerpt', () => {
  test('turns HTML into plain text like PocketBase', () => {
    const html = '<p>Hel<b>lo</b>   <i>big</i>\n world</p><p>Second paragraph here</p>';
    assert.equal(excerpt(html, 100, false), 'Hello big world Second paragraph here');
    assert.equal(excerpt(html, 9, true), 'Hello big...');
    assert.equal(excerpt(html, 10, true), 'Hello big...');
    assert.equal(
      excerpt('a<script type="x">bad</script >b<!-- c -->d <style>x</style> <img src=x> e <a', 100, false),
      'abd e <a',
    );
    // an unclosed comment or element stays text or is dropped, as before
    assert.equal(excerpt('x <!-- y', 100, false), 'x <!-- y');
    assert.equal(excerpt('x <script> y', 100, false), 'x y');
  });

  test('reads at most EXCERPT_SCAN_LIMIT of the input', () => {
    const text = `${'<br>'.repeat(EXCERPT_SCAN_LIMIT / 4)}after the limit`;
    assert.equal(excerpt(text, 100, false), '');
  });

  for (const size of [1 * MiB, 5 * MiB]) {
    test(`adversarial inputs of ${size / MiB} MiB stay linear`, () => {
      for (const unit of ADVERSARIAL) {
        const input = repeat(unit, size);
        const started = performance.now();
        excerpt(input, 100, true);
        const ms = performance.now() - started;
        assert.ok(ms < BOUND_MS, `${unit} x ${size}: ${ms} ms`);
      }
    });
  }
});

for (const dialect of DIALECTS) {
  describe(`fields=body:excerpt(N) over HTTP (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
      await t.createCollection({ name: 'pages', listRule: '', fields: [{ name: 'body', type: 'editor' }] });
      // 16 + 8k units: the scan limit falls between two tags
      const body = `<p>intro</p>    ${repeat('<script>', 5 * MiB - 16)}`;
      const res = await t.request('POST', '/api/collections/pages/records', {
        token: 'superuser',
        body: { body },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 300));
    });
    after(() => t.close());

    test('a 5 MiB editor value of unclosed <script> tags excerpts without stalling', async () => {
      const started = performance.now();
      const res = await t.request('GET', '/api/collections/pages/records?fields=body:excerpt(50,true)');
      const ms = performance.now() - started;
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.items, [{ body: 'intro' }]);
      assert.ok(ms < BOUND_MS, `${ms} ms`);
    });
  });
}
