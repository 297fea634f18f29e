import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { createUser, createUsersCollection, type TestUser } from '../support/auth-users.ts';
import { type SmtpCatcher, startSmtpCatcher } from '../support/smtp.ts';

for (const dialect of DIALECTS) {
  describe(`settings API (${dialect})`, () => {
    let t: TestApp;
    let smtp: SmtpCatcher;
    let user: TestUser;
    before(async () => {
      smtp = await startSmtpCatcher();
      // SMTP starts unset: mail is only logged until the settings turn it on
      t = await startTestApp(dialect);
      await createUsersCollection(t);
      user = await createUser(t, 'settings-user@example.com');
    });
    after(async () => {
      await t.close();
      await smtp.close();
    });

    test('superusers only; the shape follows PocketBase', async () => {
      assert.equal((await t.request('GET', '/api/settings')).status, 401);
      assert.equal((await t.request('GET', '/api/settings', { token: user.token })).status, 403);
      const res = await t.request('GET', '/api/settings', { token: 'superuser' });
      assert.equal(res.status, 200);
      assert.deepEqual(Object.keys(res.body.meta).sort(), [
        'appName',
        'appURL',
        'hideControls',
        'senderAddress',
        'senderName',
      ]);
      assert.equal(res.body.smtp.enabled, false);
    });

    test('bad values are 400s per field, and nothing is saved', async () => {
      const res = await t.request('PATCH', '/api/settings', {
        token: 'superuser',
        body: { meta: { appURL: 'not a url', senderAddress: 'nope' }, smtp: { port: 70000, enabled: true } },
      });
      assert.equal(res.status, 400);
      assert.deepEqual(Object.keys(res.body.data.meta).sort(), ['appURL', 'senderAddress']);
      assert.deepEqual(Object.keys(res.body.data.smtp).sort(), ['host', 'port']);
      const after = await t.request('GET', '/api/settings', { token: 'superuser' });
      assert.equal(after.body.smtp.enabled, false);
    });

    test('SMTP set at runtime sends real mail; the password is never returned', async () => {
      const res = await t.request('PATCH', '/api/settings', {
        token: 'superuser',
        body: {
          meta: {
            appName: 'Runtime App',
            appURL: 'https://runtime.example.com',
            senderAddress: 'hello@runtime.example.com',
          },
          smtp: {
            enabled: true,
            host: '127.0.0.1',
            port: smtp.port,
            username: '',
            password: 'secret-pass',
            tls: false,
          },
        },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.smtp.enabled, true);
      assert.equal(res.body.smtp.password, '');
      assert.equal(res.body.meta.appName, 'Runtime App');
      const sent = await t.request('POST', '/api/settings/test/email', {
        token: 'superuser',
        body: { email: 'admin@example.com' },
      });
      assert.equal(sent.status, 204);
      const mail = await smtp.waitForMail('admin@example.com');
      assert.match(mail.subject, /Runtime App/);
      assert.match(mail.from, /hello@runtime\.example\.com/);
      // auth mails use the new name too
      await t.request('POST', '/api/collections/users/request-verification', { body: { email: user.email } });
      const verify = await smtp.waitForMail(user.email);
      assert.match(verify.text, /Runtime App|runtime\.example\.com/);
      const bad = await t.request('POST', '/api/settings/test/email', {
        token: 'superuser',
        body: { email: 'x' },
      });
      assert.equal(bad.status, 400);
    });
  });
}
