import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { assertInvalid, PUBLIC_RULES, REQUIRED } from '../support/expect.ts';

// Validation of the text-like field types (text, editor, email, url, password), through the
// records API, against PocketBase's codes and messages (core/field_text.go, field_editor.go, ...).

const PATH = '/api/collections/texts/records';

for (const dialect of DIALECTS) {
  describe(`text-like fields (${dialect})`, () => {
    let t: TestApp;
    const post = (body: unknown) => t.request('POST', PATH, { body });

    before(async () => {
      t = await startTestApp(dialect);
      await t.createCollection({
        name: 'texts',
        ...PUBLIC_RULES,
        fields: [
          { name: 'title', type: 'text', required: true, min: 3, max: 10, pattern: '^[a-z ]+$' },
          { name: 'free', type: 'text' },
          { name: 'short', type: 'text', max: 3 },
          { name: 'slug', type: 'text', autogeneratePattern: '[a-z]{8}' },
          { name: 'body', type: 'editor', maxSize: 20 },
          { name: 'mail', type: 'email' },
          { name: 'onlyMail', type: 'email', onlyDomains: ['example.com'] },
          { name: 'exceptMail', type: 'email', exceptDomains: ['spam.com'] },
          { name: 'site', type: 'url' },
          { name: 'onlySite', type: 'url', onlyDomains: ['example.com'] },
          { name: 'exceptSite', type: 'url', exceptDomains: ['spam.com'] },
          { name: 'secret', type: 'password', min: 4 },
        ],
      });
    });
    after(() => t.close());

    test('a required text that is missing or empty is blank', async () => {
      const blank = { title: REQUIRED };
      assertInvalid(await post({}), blank);
      assertInvalid(await post({ title: '' }), blank);
    });

    test('text shorter than min reports the min with its param', async () => {
      assertInvalid(await post({ title: 'ab' }), {
        title: {
          code: 'validation_min_text_constraint',
          message: 'Must be at least 3 character(s).',
          params: { min: 3 },
        },
      });
    });

    test('text longer than max reports the max with its param', async () => {
      assertInvalid(await post({ title: 'abcdefghijk' }), {
        title: {
          code: 'validation_max_text_constraint',
          message: 'Must be no more than 10 character(s).',
          params: { max: 10 },
        },
      });
    });

    test('text without max is capped at 5000 characters', async () => {
      assertInvalid(await post({ title: 'abc', free: 'x'.repeat(5001) }), {
        free: {
          code: 'validation_max_text_constraint',
          message: 'Must be no more than 5000 character(s).',
          params: { max: 5000 },
        },
      });
      const ok = await post({ title: 'abc', free: 'x'.repeat(5000) });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.free.length, 5000);
    });

    test('text length counts characters, not bytes', async () => {
      const ok = await post({ title: 'abc', short: 'äöü' });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.short, 'äöü');
      assertInvalid(await post({ title: 'abc', short: 'äöüß' }), {
        short: {
          code: 'validation_max_text_constraint',
          message: 'Must be no more than 3 character(s).',
          params: { max: 3 },
        },
      });
    });

    test('text not matching the pattern is an invalid format', async () => {
      assertInvalid(await post({ title: 'ABC' }), {
        title: { code: 'validation_invalid_format', message: 'Invalid value format.' },
      });
    });

    test('every field reports only its first error, all fields at once', async () => {
      assertInvalid(await post({ title: 'A', mail: 'nope', site: 'nope' }), {
        title: {
          code: 'validation_min_text_constraint',
          message: 'Must be at least 3 character(s).',
          params: { min: 3 },
        },
        mail: { code: 'validation_is_email', message: 'Must be a valid email address.' },
        site: { code: 'validation_invalid_url', message: 'Must be a valid url.' },
      });
    });

    test('non-string input to a text field is stored as its text', async () => {
      const res = await post({ title: 'abc', free: 42 });
      assert.equal(res.status, 200);
      assert.equal(res.body.free, '42');
    });

    test('autogeneratePattern fills an empty text on create only', async () => {
      const created = await post({ title: 'abc' });
      assert.equal(created.status, 200);
      assert.match(created.body.slug, /^[a-z]{8}$/);
      const given = await post({ title: 'abc', slug: 'mine' });
      assert.equal(given.body.slug, 'mine');
      const cleared = await t.request('PATCH', `${PATH}/${created.body.id}`, { body: { slug: '' } });
      assert.equal(cleared.status, 200);
      assert.equal(cleared.body.slug, '');
    });

    test('editor content over maxSize bytes is refused', async () => {
      // 11 two-byte characters are 22 bytes
      assertInvalid(await post({ title: 'abc', body: 'é'.repeat(11) }), {
        body: {
          code: 'validation_content_size_limit',
          message: 'The maximum allowed content size is 20 bytes.',
          params: { maxSize: 20 },
        },
      });
      const ok = await post({ title: 'abc', body: '<p>hi</p>' });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.body, '<p>hi</p>');
    });

    test('email must be well formed', async () => {
      for (const mail of ['plain', 'a@', '@b.com', 'a b@c.com']) {
        assertInvalid(await post({ title: 'abc', mail }), {
          mail: { code: 'validation_is_email', message: 'Must be a valid email address.' },
        });
      }
      const ok = await post({ title: 'abc', mail: 'someone@example.org' });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.mail, 'someone@example.org');
    });

    test('email onlyDomains and exceptDomains restrict the domain', async () => {
      const denied = { code: 'validation_email_domain_not_allowed', message: 'Email domain is not allowed.' };
      assertInvalid(await post({ title: 'abc', onlyMail: 'a@other.com' }), { onlyMail: denied });
      assertInvalid(await post({ title: 'abc', exceptMail: 'a@spam.com' }), { exceptMail: denied });
      const ok = await post({ title: 'abc', onlyMail: 'a@example.com', exceptMail: 'a@other.com' });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.onlyMail, 'a@example.com');
      assert.equal(ok.body.exceptMail, 'a@other.com');
    });

    test('url must be well formed', async () => {
      for (const site of ['not a url', 'http://', 'https://exa mple.com']) {
        assertInvalid(await post({ title: 'abc', site }), {
          site: { code: 'validation_invalid_url', message: 'Must be a valid url.' },
        });
      }
      const ok = await post({ title: 'abc', site: 'https://example.com/a?b=1' });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.site, 'https://example.com/a?b=1');
    });

    test('url onlyDomains and exceptDomains check the host', async () => {
      const denied = { code: 'validation_url_domain_not_allowed', message: 'Url domain is not allowed.' };
      assertInvalid(await post({ title: 'abc', onlySite: 'https://other.com/x' }), { onlySite: denied });
      assertInvalid(await post({ title: 'abc', exceptSite: 'https://spam.com' }), { exceptSite: denied });
      const ok = await post({
        title: 'abc',
        onlySite: 'https://example.com/x',
        exceptSite: 'https://fine.com',
      });
      assert.equal(ok.status, 200);
    });

    test('a password is validated but never returned', async () => {
      assertInvalid(await post({ title: 'abc', secret: 'abc' }), {
        secret: { code: 'validation_min_text_constraint', message: 'Must be at least 4 character(s).' },
      });
      const created = await post({ title: 'abc', secret: 'long enough' });
      assert.equal(created.status, 200);
      assert.equal('secret' in created.body, false);
      const viewed = await t.request('GET', `${PATH}/${created.body.id}`, { token: 'superuser' });
      assert.equal(viewed.status, 200);
      assert.equal('secret' in viewed.body, false);
      const listed = await t.request('GET', `${PATH}?perPage=1000`, { token: 'superuser' });
      assert.equal(
        listed.body.items.some((r: Record<string, unknown>) => 'secret' in r),
        false,
      );
    });

    test('an update is validated like a create, with its own message', async () => {
      const created = await post({ title: 'abc' });
      const res = await t.request('PATCH', `${PATH}/${created.body.id}`, {
        body: { title: 'x', mail: 'bad' },
      });
      assertInvalid(
        res,
        {
          title: {
            code: 'validation_min_text_constraint',
            message: 'Must be at least 3 character(s).',
            params: { min: 3 },
          },
          mail: { code: 'validation_is_email', message: 'Must be a valid email address.' },
        },
        'Failed to update record.',
      );
      const ok = await t.request('PATCH', `${PATH}/${created.body.id}`, {
        body: { title: 'new title', mail: 'a@b.co' },
      });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.title, 'new title');
      assert.equal(ok.body.mail, 'a@b.co');
    });
  });
}
