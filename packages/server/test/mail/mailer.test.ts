import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { createMailer } from '../../src/mail/mailer.ts';
import { renderTemplate } from '../../src/mail/templates.ts';
import { ensureSystemFields, scaffold } from '../../src/schema/collection.ts';
import { captureLogger } from '../support/log-capture.ts';
import { type SmtpCatcher, startSmtpCatcher } from '../support/smtp.ts';

/** This machine's first non-loopback IPv4 address (a "remote" SMTP host for the tests). */
const remoteAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

const users = () => {
  const c = scaffold('auth', 'users');
  c.id = 'pbc_users';
  ensureSystemFields(c);
  c.fields.push({
    id: 'text1',
    name: 'name',
    type: 'text',
    hidden: false,
    system: false,
    presentable: false,
  } as never);
  return c;
};

describe('mail', () => {
  let smtp: SmtpCatcher;
  before(async () => {
    smtp = await startSmtpCatcher();
  });
  after(() => smtp.close());

  test('templates fill app, token and visible record fields; hidden fields never', () => {
    const out = renderTemplate(
      {
        subject: 'Hi {RECORD:name} from {APP_NAME}',
        body: '<a href="{APP_URL}/x/{TOKEN}">{RECORD:email}</a> {RECORD:password}{RECORD:tokenKey}',
      },
      { appName: 'Acme', appUrl: 'https://acme.test/' },
      users(),
      {
        id: 'r1',
        name: '<b>Ann</b>',
        email: 'ann@example.com',
        password: { hash: 'h', plain: 'secret' },
        tokenKey: 'tk',
      },
      { '{TOKEN}': 'abc.def.ghi' },
    );
    assert.equal(out.subject, 'Hi &lt;b&gt;Ann&lt;/b&gt; from Acme');
    assert.equal(
      out.body,
      '<a href="https://acme.test/x/abc.def.ghi">ann@example.com</a> {RECORD:password}{RECORD:tokenKey}',
    );
  });

  // security #14: the link or code of a mail is a secret; only `--dev` prints it
  for (const dev of [false, true]) {
    test(`without smtp_host the log says the mail was not sent${dev ? ', with its text under --dev' : ', never its link'}`, async () => {
      const { logger, lines } = captureLogger();
      const mailer = createMailer({ config: loadConfig(dev ? { dev: true } : {}, {}), logger });
      assert.equal(mailer.enabled, false);
      await mailer.send({
        to: 'a@example.com',
        subject: 'Verify',
        html: '<p>Go <a href="https://x.test/v/tok">here</a> <strong>123456</strong></p>',
      });
      logger.flush();
      await new Promise((r) => setImmediate(r));
      const entry = lines.find((l) => l.mail);
      assert.deepEqual(
        entry?.mail,
        dev
          ? { to: 'a@example.com', subject: 'Verify', text: 'Go here (https://x.test/v/tok) 123456' }
          : { to: 'a@example.com', subject: 'Verify' },
      );
      if (!dev) {
        assert.equal(entry?.msg, 'mail not sent: SMTP is not configured');
        assert.doesNotMatch(JSON.stringify(lines), /tok|123456/);
      }
    });
  }

  test('with smtp_host the mail goes to the SMTP server, with html and text parts', async () => {
    const { logger } = captureLogger();
    const config = loadConfig(
      {},
      {
        FORGEBASE_SMTP_HOST: '127.0.0.1',
        FORGEBASE_SMTP_PORT: String(smtp.port),
        FORGEBASE_APP_NAME: 'Acme',
        FORGEBASE_MAIL_FROM: 'app@acme.test',
      },
    );
    const mailer = createMailer({ config, logger });
    await mailer.send({ to: 'b@example.com', subject: 'Héllo', html: '<p>Code <strong>123456</strong></p>' });
    const mail = await smtp.waitForMail('b@example.com');
    assert.equal(mail.subject, 'Héllo');
    assert.equal(mail.from, 'app@acme.test');
    assert.match(mail.raw, /^From: Acme <app@acme\.test>/m);
    assert.match(mail.text, /Code <strong>123456<\/strong>/);
    assert.match(mail.text, /Code 123456/);
    await mailer.close();
  });

  describe('transport security (security #5)', () => {
    const mailerFor = (peer: SmtpCatcher, extra: Record<string, string> = {}) =>
      createMailer({
        config: loadConfig(
          {},
          {
            FORGEBASE_SMTP_HOST: peer.config.smtpHost,
            FORGEBASE_SMTP_PORT: String(peer.port),
            FORGEBASE_SMTP_USER: 'mailer',
            FORGEBASE_SMTP_PASSWORD: 'smtp-secret',
            ...extra,
          },
        ),
        logger: captureLogger().logger,
      });
    const resetMail = {
      to: 'victim@example.com',
      subject: 'Reset',
      html: '<a href="https://x.test/reset/tok.en.sig">reset</a>',
    };

    test('a server with a self-signed certificate gets neither the password nor the mail', async () => {
      const peer = await startSmtpCatcher({ starttls: true });
      const mailer = mailerFor(peer);
      try {
        await assert.rejects(mailer.send(resetMail), /certificate/i);
        assert.deepEqual(peer.logins, []);
        assert.deepEqual(peer.messages, []);
      } finally {
        await mailer.close();
        await peer.close();
      }
    });

    test('credentials are never sent in clear to a remote server without STARTTLS', {
      skip: remoteAddress ? false : 'no non-loopback IPv4 interface',
    }, async () => {
      const peer = await startSmtpCatcher({ host: remoteAddress! });
      const mailer = mailerFor(peer);
      try {
        await assert.rejects(mailer.send(resetMail), /STARTTLS/i);
        assert.deepEqual(peer.logins, []);
        assert.deepEqual(peer.messages, []);
      } finally {
        await mailer.close();
        await peer.close();
      }
    });

    test('a loopback server may take credentials without TLS', async () => {
      const peer = await startSmtpCatcher();
      const mailer = mailerFor(peer);
      try {
        await mailer.send(resetMail);
        await peer.waitForMail('victim@example.com');
        assert.deepEqual(peer.logins, [{ username: 'mailer', password: 'smtp-secret', secure: false }]);
      } finally {
        await mailer.close();
        await peer.close();
      }
    });

    test('smtp_insecure is the explicit opt-out: the self-signed server is accepted', async () => {
      const peer = await startSmtpCatcher({ starttls: true });
      const mailer = mailerFor(peer, { FORGEBASE_SMTP_INSECURE: 'true' });
      try {
        await mailer.send(resetMail);
        await peer.waitForMail('victim@example.com');
        assert.deepEqual(peer.logins, [{ username: 'mailer', password: 'smtp-secret', secure: true }]);
      } finally {
        await mailer.close();
        await peer.close();
      }
    });
  });
});
