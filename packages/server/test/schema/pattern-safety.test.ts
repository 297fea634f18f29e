import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { patternMismatch } from '../../src/schema/fields/text.ts';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

// security #7: a field pattern must not be a ReDoS (`^(a+)+$` doubled its time per character)
const EVIL = '^(a+)+$';

test('a stored unsafe pattern fails the value without running it', () => {
  // 40 a's and a "!" would take days to backtrack through
  const error = patternMismatch(EVIL, `${'a'.repeat(40)}!`);
  assert.equal(error?.code, 'validation_invalid_regex');
  assert.equal(patternMismatch('^a+$', 'aaa'), undefined);
  assert.equal(patternMismatch('^a+$', 'aab')?.code, 'validation_invalid_format');
});

for (const dialect of DIALECTS) {
  describe(`field pattern safety (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
    });
    after(() => t.close());

    const create = (name: string, field: Record<string, unknown>, type = 'base') =>
      t.request('POST', '/api/collections', {
        token: 'superuser',
        // fields[0] is the id field
        body: { name, type, fields: [field] },
      });

    test('a text or password pattern with nested quantifiers is refused when saved', async () => {
      const text = await create('evil_text', { name: 'code', type: 'text', pattern: EVIL });
      assert.equal(text.status, 400, JSON.stringify(text.body));
      assert.equal(text.body.data.fields['1'].pattern.code, 'validation_invalid_regex');
      const pass = await create('evil_pass', { name: 'pin', type: 'password', pattern: '^(\\d|\\d\\d)+$' });
      assert.equal(pass.status, 400, JSON.stringify(pass.body));
      assert.equal(pass.body.data.fields['1'].pattern.code, 'validation_invalid_regex');
      // and when a safe pattern is changed into one
      const ok = await create('codes', { name: 'code', type: 'text', pattern: '^[a-z]+(-[a-z0-9]+)?$' });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      const changed = await t.request('PATCH', '/api/collections/codes', {
        token: 'superuser',
        body: {
          fields: [{ ...ok.body.fields.find((f: any) => f.name === 'code'), pattern: '(\\w+\\s?)*$' }],
        },
      });
      assert.equal(changed.status, 400, JSON.stringify(changed.body));
    });

    test('safe patterns still validate records', async () => {
      const good = await t.request('POST', '/api/collections/codes/records', {
        token: 'superuser',
        body: { code: 'abc-1' },
      });
      assert.equal(good.status, 200, JSON.stringify(good.body));
      const bad = await t.request('POST', '/api/collections/codes/records', {
        token: 'superuser',
        body: { code: 'ABC' },
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.data.code.code, 'validation_invalid_format');
    });
  });
}
