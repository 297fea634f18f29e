import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import PocketBase from 'pocketbase';
import { type App, createApp } from '../../src/app.ts';
import { DIALECTS, silentLogger, startTestApp, type TestApp } from '../support/app.ts';
import { sdkFailure } from '../support/expect.ts';
import { startTestS3, type TestS3 } from '../support/s3.ts';

for (const dialect of DIALECTS) {
  describe(`settings sections through the SDK (${dialect})`, () => {
    let t: TestApp;
    let s3: TestS3;
    let pb: PocketBase;
    before(async () => {
      s3 = await startTestS3('fb-settings');
      t = await startTestApp(dialect);
      pb = new PocketBase(t.url);
      pb.autoCancellation(false);
      pb.authStore.save(t.superuserToken);
    });
    after(async () => {
      await t.close();
      await s3.close();
    });
    /** Settings `s3` / `backups.s3` for the test S3 server. */
    const bucketSettings = () => ({
      enabled: true,
      bucket: s3.bucket,
      region: 'us-east-1',
      endpoint: s3.endpoint,
      accessKey: 'S3RVER',
      secret: 'S3RVER',
      forcePathStyle: true,
    });

    test('every PocketBase section is answered, with PocketBase defaults and no secrets', async () => {
      const s = await pb.settings.getAll();
      assert.deepEqual(Object.keys(s).sort(), [
        'backups',
        'batch',
        'logs',
        'meta',
        'rateLimits',
        's3',
        'smtp',
        'superuserIPs',
        'trustedProxy',
      ]);
      assert.deepEqual(s.logs, { maxDays: 5, minLevel: 0, logIP: true, logAuthId: false });
      assert.deepEqual(s.batch, { enabled: true, maxRequests: 50, timeout: 3, maxBodySize: 0 });
      assert.equal(s.backups.cron, '');
      assert.equal(s.backups.cronMaxKeep, 3);
      assert.equal(s.backups.s3.enabled, false);
      assert.deepEqual(Object.keys(s.smtp).sort(), [
        'authMethod',
        'enabled',
        'host',
        'localName',
        'password',
        'port',
        'tls',
        'username',
      ]);
      assert.equal(s.s3.enabled, false);
      assert.equal(s.s3.secret, '');
      // the suite runs with rate limits off (test/support/app.ts); the rules are PocketBase's
      assert.deepEqual(
        s.rateLimits.rules.map((r: { label: string }) => r.label),
        ['*:auth', '*:create', '/api/batch', '/api/'],
      );
      assert.deepEqual(s.superuserIPs, []);
    });

    test('a PATCH merges per section; secrets are write-only and kept when sent empty', async () => {
      const updated = await pb.settings.update({
        logs: { maxDays: 9, logAuthId: true },
        smtp: { password: 'smtp-secret', authMethod: 'LOGIN', localName: 'mail.example.com' },
        s3: { secret: 's3-secret', region: 'eu-west-1' },
        backups: { cron: '0 3 * * *', cronMaxKeep: 5, s3: { secret: 'backup-secret', bucket: 'b' } },
        batch: { maxRequests: 20 },
        rateLimits: { excludedIPs: ['10.0.0.0/8'] },
      });
      assert.deepEqual(updated.logs, { maxDays: 9, minLevel: 0, logIP: true, logAuthId: true });
      assert.equal(updated.smtp.password, '');
      assert.equal(updated.smtp.authMethod, 'LOGIN');
      assert.equal(updated.s3.secret, '');
      assert.equal(updated.s3.region, 'eu-west-1');
      assert.equal(updated.backups.s3.secret, '');
      assert.equal(updated.backups.s3.bucket, 'b');
      assert.equal(updated.backups.cron, '0 3 * * *');
      assert.equal(updated.batch.maxRequests, 20);
      assert.equal(updated.batch.timeout, 3);
      assert.deepEqual(updated.rateLimits.excludedIPs, ['10.0.0.0/8']);
      // the effective values carry the secrets; an empty one in a later PATCH keeps them
      await pb.settings.update({
        smtp: { password: '' },
        s3: { secret: '' },
        backups: { s3: { secret: '' } },
      });
      assert.equal(t.app.config.smtpPassword, 'smtp-secret');
      assert.equal(t.app.config.s3Secret, 's3-secret');
      assert.equal(t.app.config.backupsS3.secret, 'backup-secret');
      assert.equal(t.app.config.logsMaxDays, 9);
      assert.equal(t.app.config.backupsCronMaxKeep, 5);
      const raw = JSON.stringify(await pb.settings.getAll());
      for (const secret of ['smtp-secret', 's3-secret', 'backup-secret']) assert.ok(!raw.includes(secret));
    });

    test('unknown sections or keys, wrong types and out-of-range values are 400s per field', async () => {
      const before = await pb.settings.getAll();
      const e = await sdkFailure(
        pb.settings.update({
          nope: { a: 1 },
          smtp: { port: 70000, bogus: true },
          logs: { maxDays: -1 },
          batch: { timeout: 0 },
          rateLimits: {
            rules: [
              { label: 'not a label!', duration: 0, maxRequests: 1 },
              { label: '/api/', audience: '@who', duration: 1, maxRequests: 1 },
            ],
          },
          superuserIPs: ['999.1.1.1'],
          backups: { cron: 'every day', s3: { bogus: 1 } },
        }),
      );
      assert.equal(e.status, 400);
      const data = e.response.data;
      assert.equal(data.nope.code, 'validation_invalid_value');
      assert.equal(data.smtp.port.code, 'validation_invalid_port');
      assert.equal(data.smtp.bogus.code, 'validation_invalid_value');
      assert.equal(data.logs.maxDays.code, 'validation_min_greater_equal_than_required');
      assert.equal(data.batch.timeout.code, 'validation_min_greater_equal_than_required');
      assert.equal(data.rateLimits.rules[0].label.code, 'validation_match_invalid');
      assert.equal(data.rateLimits.rules[0].duration.code, 'validation_required');
      assert.equal(data.rateLimits.rules[1].audience.code, 'validation_in_invalid');
      assert.equal(data.superuserIPs.code, 'validation_invalid_value');
      assert.equal(data.backups.cron.code, 'validation_invalid_value');
      assert.equal(data.backups.s3.bogus.code, 'validation_invalid_value');
      // wrong JSON types are caught by the route schema first, nested the same way
      const typed = await sdkFailure(
        pb.settings.update({ smtp: { port: 'x' }, backups: { s3: { forcePathStyle: 'yes' } } }),
      );
      assert.equal(typed.status, 400);
      assert.ok(typed.response.data.smtp.port.code);
      assert.equal(typed.response.data.backups.s3.forcePathStyle.code, 'validation_invalid_bool');
      // conflicting rules (one label a prefix of another, same audience)
      const conflict = await sdkFailure(
        pb.settings.update({
          rateLimits: {
            rules: [
              { label: '/api/a', duration: 1, maxRequests: 1 },
              { label: '/api/a', duration: 2, maxRequests: 1 },
            ],
          },
        }),
      );
      assert.equal(
        conflict.response.data.rateLimits.rules[1].label.code,
        'validation_conflicting_rate_limit_rule',
      );
      // enabled sections need their connection
      const enabled = await sdkFailure(
        pb.settings.update({ backups: { s3: { enabled: true, bucket: '' } } }),
      );
      assert.equal(enabled.response.data.backups.s3.bucket.code, 'validation_required');
      assert.deepEqual(await pb.settings.getAll(), before);
    });

    test('testEmail through the SDK: an unreachable SMTP server is a 400 with its error', async () => {
      await pb.settings.update({ smtp: { enabled: true, host: '127.0.0.1', port: 9, tls: false } });
      try {
        const e = await sdkFailure(pb.settings.testEmail('users', 'someone@example.com', 'verification'));
        assert.equal(e.status, 400);
        assert.match(e.message, /^Failed to send the test email\. Raw error:/);
      } finally {
        await pb.settings.update({ smtp: { enabled: false } });
      }
    });

    test('testS3 writes to the real S3 server; an unreachable or disabled bucket is a 400', async () => {
      const off = await sdkFailure(pb.settings.testS3('storage'));
      assert.equal(off.status, 400);
      assert.match(off.message, /not enabled/);
      const bad = await sdkFailure(pb.settings.testS3('elsewhere'));
      assert.equal(bad.response.data.filesystem.code, 'validation_in_invalid');
      await pb.settings.update({
        backups: {
          s3: bucketSettings(),
        },
      });
      assert.equal(await pb.settings.testS3('backups'), true);
      await pb.settings.update({ backups: { s3: { bucket: 'no-such-bucket' } } });
      const missing = await sdkFailure(pb.settings.testS3('backups'));
      assert.equal(missing.status, 400);
      assert.match(missing.message, /^Failed to test the S3 filesystem/);
    });

    test('s3 switches record-file storage at runtime; files already stored stay where they were', async () => {
      await t.createCollection({
        name: 'docs',
        listRule: '',
        viewRule: '',
        createRule: '',
        fields: [{ name: 'file', type: 'file', maxSelect: 1, maxSize: 1000 }],
      });
      const upload = async (name: string) => {
        const form = new FormData();
        form.append('file', new Blob([`content of ${name}`], { type: 'text/plain' }), name);
        return pb.collection('docs').create(form);
      };
      const local = await upload('local.txt');
      await pb.settings.update({
        s3: bucketSettings(),
      });
      assert.equal(await pb.settings.testS3('storage'), true);
      const remote = await upload('remote.txt');
      const bucketKeys = await listBucket(s3);
      assert.ok(bucketKeys.some((k) => k.endsWith(remote.file)));
      assert.ok(!bucketKeys.some((k) => k.endsWith(local.file)));
      const served = await fetch(pb.files.getURL(remote, remote.file));
      assert.equal(await served.text(), 'content of remote.txt');
      // back to the local directory: the first file is served again
      await pb.settings.update({ s3: { enabled: false } });
      const again = await fetch(pb.files.getURL(local, local.file));
      assert.equal(await again.text(), 'content of local.txt');
    });

    if (dialect === 'postgres') {
      test('another node picks a change up (NOTIFY) without a restart', async () => {
        const nodeB: App = await createApp(structuredClone(t.config), { logger: silentLogger() });
        await nodeB.start();
        try {
          // 127.0.0.1 stays listed: this suite's superuser calls come from it
          await pb.settings.update({ batch: { enabled: false }, superuserIPs: ['127.0.0.1', '10.1.2.3'] });
          const deadline = Date.now() + 2000;
          while (nodeB.config.batchEnabled && Date.now() < deadline)
            await new Promise((r) => setTimeout(r, 20));
          assert.equal(nodeB.config.batchEnabled, false);
          assert.deepEqual(nodeB.config.superuserIps, ['127.0.0.1', '10.1.2.3']);
        } finally {
          await nodeB.stop();
          await t.request('PATCH', '/api/settings', { body: { batch: { enabled: true }, superuserIPs: [] } });
        }
      });
    }
  });
}

/** Every key in the test bucket (s3rver's ListObjectsV2). */
async function listBucket(s3: TestS3): Promise<string[]> {
  const res = await fetch(`${s3.endpoint}/${s3.bucket}?list-type=2`);
  const xml = await res.text();
  return [...xml.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]!);
}
