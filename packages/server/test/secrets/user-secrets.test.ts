import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type App, createApp } from '../../src/app.ts';
import { keyId } from '../../src/tools/secret-box.ts';
import { DIALECTS, silentLogger, testConfig } from '../support/app.ts';
import { captureLogger } from '../support/log-capture.ts';
import { testStorage } from '../support/storage.ts';

for (const dialect of DIALECTS) {
  describe(`user secrets for functions (${dialect})`, () => {
    const storage = testStorage(dialect, 'fb-usersecrets-');
    const key1 = randomBytes(32).toString('hex');
    let app: App;
    const open = (overrides: Record<string, string> = {}) =>
      createApp(testConfig(dialect, storage.dir, storage.schema, { encryptionKey: key1, ...overrides }), {
        logger: silentLogger(),
      });
    before(async () => {
      app = await open();
    });
    after(async () => {
      await app.stop();
      await storage.remove();
    });

    const raw = () => app.db.all(app.db.sys.selectFrom('_user_secrets').selectAll().orderBy('name'));

    test('set seals the value; names lists, values opens; the raw table holds no plaintext', async () => {
      await app.userSecrets.set('API_TOKEN', 'tok-abc-123');
      await app.userSecrets.set('WEBHOOK_SECRET', 'whsec-987');
      await app.userSecrets.set('API_TOKEN', 'tok-abc-456');
      assert.deepEqual(await app.userSecrets.names(), ['API_TOKEN', 'WEBHOOK_SECRET']);
      assert.deepEqual(await app.userSecrets.values(), {
        API_TOKEN: 'tok-abc-456',
        WEBHOOK_SECRET: 'whsec-987',
      });
      const rows = await raw();
      const text = JSON.stringify(rows);
      for (const plain of ['tok-abc-123', 'tok-abc-456', 'whsec-987']) assert.ok(!text.includes(plain));
      for (const r of rows) assert.ok(r.value.startsWith(`fbenc:v1:${keyId(Buffer.from(key1, 'hex'))}:`));
    });

    test('a name that is not an identifier is a 400-shaped validation error', async () => {
      await assert.rejects(app.userSecrets.set('has-dash', 'v'), {
        status: 400,
        message: 'Invalid secret name.',
      });
      assert.equal(await app.userSecrets.delete('NOT_THERE'), false);
    });

    test('key rotation re-seals user secrets with the new key; they stay readable', async () => {
      await app.stop();
      const key2 = randomBytes(32).toString('hex');
      app = await open({ encryptionKey: key2, encryptionKeyPrevious: key1 });
      for (const r of await raw())
        assert.ok(r.value.startsWith(`fbenc:v1:${keyId(Buffer.from(key2, 'hex'))}:`));
      await app.stop();
      app = await open({ encryptionKey: key2 });
      assert.deepEqual(await app.userSecrets.values(), {
        API_TOKEN: 'tok-abc-456',
        WEBHOOK_SECRET: 'whsec-987',
      });
      assert.equal(await app.userSecrets.delete('API_TOKEN'), true);
      assert.deepEqual(await app.userSecrets.names(), ['WEBHOOK_SECRET']);
    });
  });
}

describe('the start-up warning about the encryption key', () => {
  test('without a configured key a serving app warns once, naming the key file; with one it does not', async () => {
    for (const configured of [false, true]) {
      const storage = testStorage('sqlite', 'fb-keywarn-');
      const { logger, lines } = captureLogger();
      const app = await createApp(
        testConfig(
          'sqlite',
          storage.dir,
          storage.schema,
          configured ? { encryptionKey: randomBytes(32).toString('hex') } : {},
        ),
        { logger },
      );
      try {
        await app.start();
        const warnings = lines.filter((l) => String(l.msg).startsWith('no encryption key is configured'));
        if (configured) assert.deepEqual(warnings, []);
        else {
          assert.equal(warnings.length, 1);
          assert.equal(warnings[0]!.keyFile, `${app.config.dataDir}/.encryption_key`);
          assert.equal(warnings[0]!.level, 40);
        }
      } finally {
        await app.stop();
        await storage.remove();
      }
    }
  });
});
