import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { Secret, TOTP } from 'otpauth';
import { type App, createApp } from '../../src/app.ts';
import { KEY_FILE } from '../../src/secrets/encryption-key.ts';
import { keyId } from '../../src/tools/secret-box.ts';
import { DIALECTS, makeRequester, silentLogger, startTestApp, type TestApp } from '../support/app.ts';
import { USER_PASSWORD } from '../support/auth-users.ts';
import { type OidcProvider, startOidcProvider } from '../support/oidc-provider.ts';
import { s3Client } from '../support/s3-client.ts';
import { type SmtpCatcher, startSmtpCatcher } from '../support/smtp.ts';

const REDIRECT = 'http://127.0.0.1:9/oauth2-redirect';
const SMTP_PASSWORD = 'smtp-secret-pass-1234';
const SEALED = /^fbenc:v1:[0-9a-f]{8}:/;
const codeOf = (secret: string) => new TOTP({ secret: Secret.fromBase32(secret) }).generate();
const hexKey = () => randomBytes(32).toString('hex');
const kidOf = (hex: string) => keyId(Buffer.from(hex, 'hex'));

// issue 12 "Also": OAuth2 client secrets, the SMTP password, TOTP secrets and S3 key
// secrets are sealed in the database, keep working, rotate, and a wrong key stops the start
for (const dialect of DIALECTS) {
  describe(`secrets at rest (${dialect})`, () => {
    let t: TestApp;
    let idp: OidcProvider;
    let smtp: SmtpCatcher;
    /** The app serving now (t.app, then the restarted ones) and its requester. */
    let app: App;
    let request: TestApp['request'];
    let totpSecret = '';
    let totpRecord = '';
    let s3Key = { accessKeyId: '', secretAccessKey: '' };
    let s3Url = '';

    before(async () => {
      idp = await startOidcProvider();
      smtp = await startSmtpCatcher();
      t = await startTestApp(dialect);
      app = t.app;
      request = t.request;
      s3Url = t.url;
    });
    after(async () => {
      await app.stop();
      await t.close();
      await idp.close();
      await smtp.close();
    });

    /** Stops the serving app and starts another on the same data with other keys. */
    const restart = async (keys: { encryptionKey?: string; encryptionKeyPrevious?: string }) => {
      await app.stop();
      const { encryptionKey: _k, encryptionKeyPrevious: _p, ...rest } = t.config;
      app = await createApp({ ...rest, ...keys }, { logger: silentLogger() });
      const url = await app.start();
      request = makeRequester(url, () => t.superuserToken);
      s3Url = url;
    };
    /** The raw stored values that hold secrets, read from the tables directly. */
    const raw = async () => {
      const q = app.db.sys;
      const params = await app.db.first<{ value: string }>(
        q.selectFrom('_params').select('value').where('id', '=', 'settings'),
      );
      const col = await app.db.first<{ data: string }>(
        q.selectFrom('_collections').select('data').where('name', '=', 'social'),
      );
      const totp = await app.db.first<{ secret: string }>(
        q.selectFrom('_totps').select('secret').where('record_ref', '=', totpRecord),
      );
      const key = await app.db.first<{ secret: string }>(
        q.selectFrom('_s3_keys').select('secret').where('accessKeyId', '=', s3Key.accessKeyId),
      );
      const provider = JSON.parse(String(col?.data)).oauth2.providers[0];
      return {
        smtpPassword: JSON.parse(String(params?.value)).smtpPassword as string,
        paramsRow: String(params?.value),
        collectionRow: String(col?.data),
        clientSecret: provider.clientSecret as string,
        totp: String(totp?.secret),
        s3: String(key?.secret),
      };
    };
    /** Every feature that needs a stored secret, end to end. */
    const everythingWorks = async () => {
      // SMTP: the password reaches the server's AUTH
      const sent = await request('POST', '/api/settings/test/email', {
        token: 'superuser',
        body: { email: 'admin@example.com' },
      });
      assert.equal(sent.status, 204, JSON.stringify(sent.body));
      await smtp.waitForMail('admin@example.com');
      assert.equal(smtp.logins.at(-1)?.password, SMTP_PASSWORD);
      // OAuth2: the token exchange authenticates with the client secret
      const methods = await request('GET', '/api/collections/social/auth-methods');
      const p = methods.body.oauth2.providers[0];
      const back = await idp.authorize(p.authURL + encodeURIComponent(REDIRECT), {
        sub: 'sub-1',
        email: 'oauth@example.com',
        email_verified: true,
      });
      const signed = await request('POST', '/api/collections/social/auth-with-oauth2', {
        body: { provider: p.name, code: back.code, codeVerifier: p.codeVerifier, redirectURL: REDIRECT },
      });
      assert.equal(signed.status, 200, JSON.stringify(signed.body));
      // TOTP: a code of the enrolled secret completes an MFA sign-in
      await app.db.run(
        app.db.sys.updateTable('_totps').set({ last_step: 0 }).where('record_ref', '=', totpRecord),
      );
      const first = await request('POST', '/api/collections/members/auth-with-password', {
        body: { identity: 'totp@example.com', password: USER_PASSWORD },
      });
      assert.equal(first.status, 401, JSON.stringify(first.body));
      const second = await request('POST', '/api/collections/members/auth-with-totp', {
        body: { mfaId: first.body.mfaId, code: codeOf(totpSecret) },
      });
      assert.equal(second.status, 200, JSON.stringify(second.body));
      // S3: a SigV4 request signed with the key's secret is verified
      const s3 = s3Client({ url: s3Url } as TestApp, s3Key);
      try {
        const out = await s3.send(new ListBucketsCommand({}));
        assert.equal(out.$metadata.httpStatusCode, 200);
      } finally {
        s3.destroy();
      }
    };

    test('with no key configured, a random key file (0600) seals every secret; all still works', async () => {
      const keyFile = join(t.config.dataDir, KEY_FILE);
      assert.equal(statSync(keyFile).mode & 0o777, 0o600);
      const saved = await request('PATCH', '/api/settings', {
        token: 'superuser',
        body: {
          smtp: {
            enabled: true,
            host: '127.0.0.1',
            port: smtp.port,
            username: 'mailer',
            password: SMTP_PASSWORD,
          },
        },
      });
      assert.equal(saved.status, 200, JSON.stringify(saved.body));
      assert.equal(saved.body.smtp.password, '');
      await t.createCollection({ name: 'members', type: 'auth', mfa: { enabled: true } });
      await t.createCollection({
        name: 'social',
        type: 'auth',
        createRule: '',
        oauth2: {
          enabled: true,
          providers: [
            { name: 'oidc', clientId: idp.clientId, clientSecret: idp.clientSecret, issuer: idp.issuer },
          ],
        },
      });
      const rec = await request('POST', '/api/collections/members/records', {
        token: 'superuser',
        body: { email: 'totp@example.com', password: USER_PASSWORD, passwordConfirm: USER_PASSWORD },
      });
      assert.equal(rec.status, 200, JSON.stringify(rec.body));
      totpRecord = rec.body.id;
      const imp = await request('POST', `/api/collections/members/impersonate/${totpRecord}`, {
        token: 'superuser',
        body: {},
      });
      const enrol = await request('POST', '/api/collections/members/totp/enroll', {
        token: imp.body.token,
        body: {},
      });
      assert.equal(enrol.status, 200, JSON.stringify(enrol.body));
      totpSecret = enrol.body.secret;
      const confirm = await request('POST', '/api/collections/members/totp/confirm', {
        token: imp.body.token,
        body: { code: codeOf(totpSecret) },
      });
      assert.equal(confirm.status, 204, JSON.stringify(confirm.body));
      const key = await request('POST', '/api/storage/s3-keys', { token: 'superuser', body: { name: 'k' } });
      assert.equal(key.status, 200);
      s3Key = { accessKeyId: key.body.accessKeyId, secretAccessKey: key.body.secretAccessKey };

      const r = await raw();
      for (const v of [r.smtpPassword, r.clientSecret, r.totp, r.s3]) assert.match(v, SEALED);
      assert.ok(!r.paramsRow.includes(SMTP_PASSWORD));
      assert.ok(!r.collectionRow.includes(idp.clientSecret));
      assert.ok(!r.totp.includes(totpSecret));
      assert.ok(!r.s3.includes(s3Key.secretAccessKey));
      // never returned by the API either
      const col = await request('GET', '/api/collections/social', { token: 'superuser' });
      assert.ok(!JSON.stringify(col.body).includes(idp.clientSecret));
      assert.ok(!JSON.stringify(col.body).includes('fbenc:'));
      const keys = await request('GET', '/api/storage/s3-keys', { token: 'superuser' });
      assert.ok(!JSON.stringify(keys.body).includes(s3Key.secretAccessKey));
      assert.ok(!JSON.stringify(keys.body).includes('fbenc:'));
      const settings = await request('GET', '/api/settings', { token: 'superuser' });
      assert.ok(!JSON.stringify(settings.body).includes(SMTP_PASSWORD));
      await everythingWorks();
    });

    test('a value stored in clear before encryption is read as-is, and sealed at the next start', async () => {
      // as an older ForgeBase left it
      const legacy = 'legacy-clear-s3-secret-value-0123456789';
      await app.db.run(
        app.db.sys
          .updateTable('_s3_keys')
          .set({ secret: legacy })
          .where('accessKeyId', '=', s3Key.accessKeyId),
      );
      s3Key = { ...s3Key, secretAccessKey: legacy };
      await everythingWorks();
      await restart({});
      assert.match((await raw()).s3, SEALED);
      await everythingWorks();
    });

    test('rotation: a new key re-seals everything at start, old-key values still open', async () => {
      const before = await raw();
      const fileKid = before.totp.split(':')[2];
      // a configured key: the key file's key is now a previous key
      const k2 = hexKey();
      await restart({ encryptionKey: k2 });
      let r = await raw();
      for (const v of [r.smtpPassword, r.clientSecret, r.totp, r.s3])
        assert.equal(v.split(':')[2], kidOf(k2));
      assert.notEqual(kidOf(k2), fileKid);
      await everythingWorks();
      // then K3 with K2 as the explicit previous key
      const k3 = hexKey();
      await restart({ encryptionKey: k3, encryptionKeyPrevious: k2 });
      r = await raw();
      for (const v of [r.smtpPassword, r.clientSecret, r.totp, r.s3])
        assert.equal(v.split(':')[2], kidOf(k3));
      await everythingWorks();
      // rotateSecrets finds nothing left to do
      assert.deepEqual(
        (await app.rotateSecrets()).map((x) => x.resealed),
        [0, 0, 0, 0, 0, 0],
      );

      // a wrong key (nor the previous one) is refused at start, with a clear message
      await app.stop();
      const { encryptionKey: _k, encryptionKeyPrevious: _p, ...rest } = t.config;
      await assert.rejects(createApp({ ...rest, encryptionKey: hexKey() }, { logger: silentLogger() }), {
        name: 'SecretKeyError',
        message: new RegExp(
          `sealed with encryption key ${kidOf(k3)}, which is not configured .*in the OAuth2 provider secrets.*FORGEBASE_ENCRYPTION_KEY_PREVIOUS`,
        ),
      });
      await assert.rejects(createApp({ ...rest, encryptionKey: 'too-short' }, { logger: silentLogger() }), {
        message: /FORGEBASE_ENCRYPTION_KEY: an encryption key must be 32 bytes/,
      });
      // the right key still starts
      await restart({ encryptionKey: k3 });
      await everythingWorks();
    });
  });
}

describe('the encryption key file', () => {
  test('a data directory where the key file cannot be made is a clear start-up error', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { testConfig } = await import('../support/app.ts');
    const dir = mkdtempSync(join(tmpdir(), 'fb-key-'));
    try {
      // a file where the data directory should be
      writeFileSync(join(dir, 'fb_data'), '');
      await assert.rejects(createApp(testConfig('sqlite', dir, 'unused'), { logger: silentLogger() }), {
        name: 'SecretKeyError',
        message:
          /no encryption key is configured and .*\.encryption_key cannot be written .*set FORGEBASE_ENCRYPTION_KEY/,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
