import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { USER_PASSWORD } from '../support/auth-users.ts';
import type { CaughtMail } from '../support/smtp.ts';
import { type SmtpCatcher, startSmtpCatcher } from '../support/smtp.ts';

/** The sign-in link of a magic-link mail (HTML-unescaped). */
function linkFromMail(mail: CaughtMail): URL {
  const m = /href="([^"]*magic-link[^"]*)"/.exec(mail.text);
  if (!m?.[1]) throw new Error(`no magic link in mail: ${mail.text}`);
  return new URL(m[1].replaceAll('&amp;', '&'));
}

// ForgeBase's magic link: the OTP mailed as a link, spent through auth-with-otp
for (const dialect of DIALECTS) {
  describe(`magic link (${dialect})`, () => {
    let t: TestApp;
    let smtp: SmtpCatcher;
    before(async () => {
      smtp = await startSmtpCatcher();
      t = await startTestApp(dialect, {
        ...smtp.config,
        appName: 'Acme',
        appUrl: 'https://app.example.com/',
      });
      await t.createCollection({ name: 'members', type: 'auth', otp: { enabled: true } });
      await t.createCollection({
        name: 'custom',
        type: 'auth',
        otp: {
          enabled: true,
          magicLinkTemplate: {
            subject: 'Your {APP_NAME} link',
            body: '<a href="https://shop.example.com/magic-link?otpId={OTP_ID}&code={OTP}">go</a>',
          },
        },
      });
      await t.createCollection({ name: 'nootp', type: 'auth' });
    });
    after(async () => {
      await t.close();
      await smtp.close();
    });

    const post = (c: string, path: string, body: unknown) =>
      t.request('POST', `/api/collections/${c}/${path}`, { body });
    const createMember = async (c: string, email: string) => {
      const res = await t.request('POST', `/api/collections/${c}/records`, {
        token: 'superuser',
        body: { email, password: USER_PASSWORD, passwordConfirm: USER_PASSWORD },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.id as string;
    };

    test('the mailed link signs in once through auth-with-otp and verifies the email', async () => {
      const id = await createMember('members', 'link@example.com');
      const res = await post('members', 'request-magic-link', { email: 'link@example.com' });
      assert.equal(res.status, 200);
      const mail = await smtp.waitForMail('link@example.com');
      assert.equal(mail.subject, 'Sign in to Acme');
      const link = linkFromMail(mail);
      assert.equal(`${link.origin}${link.pathname}`, 'https://app.example.com/_/');
      const params = new URLSearchParams(link.hash.split('?')[1]);
      assert.equal(link.hash.split('?')[0], '#/auth/magic-link');
      assert.equal(params.get('collection'), 'members');
      assert.equal(params.get('otpId'), res.body.otpId);
      const code = params.get('code') ?? '';
      assert.match(code, /^[a-z0-9]{32}$/);
      const ok = await post('members', 'auth-with-otp', { otpId: params.get('otpId'), password: code });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.record.id, id);
      assert.equal(ok.body.record.verified, true);
      const again = await post('members', 'auth-with-otp', { otpId: params.get('otpId'), password: code });
      assert.deepEqual(again.body, { status: 400, message: 'Invalid or expired OTP.', data: {} });
    });

    test('a collection template shapes the link; unknown emails and disabled OTP', async () => {
      await createMember('custom', 'shop@example.com');
      const res = await post('custom', 'request-magic-link', { email: 'shop@example.com' });
      const mail = await smtp.waitForMail('shop@example.com');
      assert.equal(mail.subject, 'Your Acme link');
      const link = linkFromMail(mail);
      assert.equal(`${link.origin}${link.pathname}`, 'https://shop.example.com/magic-link');
      assert.equal(link.searchParams.get('otpId'), res.body.otpId);
      const ok = await post('custom', 'auth-with-otp', {
        otpId: link.searchParams.get('otpId'),
        password: link.searchParams.get('code'),
      });
      assert.equal(ok.status, 200);

      const ghost = await post('members', 'request-magic-link', { email: 'ghost@example.com' });
      assert.equal(ghost.status, 200);
      assert.match(ghost.body.otpId, /^[a-z0-9]{15}$/);
      await assert.rejects(smtp.waitForMail('ghost@example.com', 200));
      const bad = await post('members', 'request-magic-link', { email: 'nope' });
      assert.equal(bad.status, 400);
      const off = await post('nootp', 'request-magic-link', { email: 'x@example.com' });
      assert.deepEqual(off.body, {
        status: 403,
        message: 'The collection is not configured to allow OTP authentication.',
        data: {},
      });
    });
  });
}
