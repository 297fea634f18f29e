import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { createMailer } from '../../src/mail/mailer.ts';
import { renderTemplate } from '../../src/mail/templates.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { ensureSystemFields, scaffold } from '../../src/schema/collection.ts';
import { type SmtpCatcher, startSmtpCatcher } from '../support/smtp.ts';

/** A logger whose JSON lines land in `lines`. */
function captureLogger() {
  const lines: Record<string, any>[] = [];
  const logger = createLogger(
    'info',
    new Writable({
      write(chunk, _e, cb) {
        for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
        cb();
      },
    }),
  );
  return { logger, lines };
}

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

  test('without smtp_host the mail is logged (recipient, subject, link), not sent', async () => {
    const { logger, lines } = captureLogger();
    const mailer = createMailer({ config: loadConfig({}, {}), logger });
    assert.equal(mailer.enabled, false);
    await mailer.send({
      to: 'a@example.com',
      subject: 'Verify',
      html: '<p>Go <a href="https://x.test/v/tok">here</a></p>',
    });
    logger.flush();
    await new Promise((r) => setImmediate(r));
    const entry = lines.find((l) => l.mail);
    assert.deepEqual(entry?.mail, {
      to: 'a@example.com',
      subject: 'Verify',
      text: 'Go here (https://x.test/v/tok)',
    });
  });

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
});
