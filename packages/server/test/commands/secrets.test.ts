import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { keyId } from '../../src/tools/secret-box.ts';
import { DIALECTS } from '../support/app.ts';
import { type CliTarget, cliTarget, runForgebase } from '../support/cli.ts';

for (const dialect of DIALECTS) {
  describe(`forgebase secrets rotate (${dialect})`, () => {
    let cli: CliTarget;
    const key = randomBytes(32).toString('hex');
    const kid = keyId(Buffer.from(key, 'hex'));
    before(async () => {
      cli = cliTarget(dialect);
      // a secret sealed with the data directory's default key file
      await cli.withApp((app) =>
        app.collections.create({
          name: 'social',
          type: 'auth',
          oauth2: {
            enabled: true,
            providers: [
              { name: 'oidc', clientId: 'id', clientSecret: 'cs-123', issuer: 'http://127.0.0.1:9' },
            ],
          },
        }),
      );
    });
    after(() => cli.close());

    const run = (env: Record<string, string>, ...args: string[]) =>
      runForgebase([...cli.flags, ...args], cli.cwd, env);

    test('--encryptionEnv NAME re-seals every secret with the key NAME holds', async () => {
      const res = await run({ MY_KEY: key }, '--encryptionEnv', 'MY_KEY', 'secrets', 'rotate');
      assert.deepEqual(res, {
        code: 0,
        stdout: `Every stored secret is sealed with key ${kid}.\n`,
        stderr: '',
      });
    });

    test('without that key the start is refused with a message that says what to do', async () => {
      const res = await run({}, 'secrets', 'rotate');
      assert.equal(res.code, 1);
      assert.match(
        res.stderr,
        new RegExp(`^forgebase: a secret was sealed with encryption key ${kid}, which is not configured`),
      );
      assert.match(res.stderr, /FORGEBASE_ENCRYPTION_KEY_PREVIOUS/);
      assert.ok(!res.stderr.includes(key));
      const unset = await run({}, '--encryptionEnv', 'NOT_SET_ANYWHERE', 'secrets', 'rotate');
      assert.equal(unset.code, 1);
      assert.match(unset.stderr, /encryptionEnv: the environment variable NOT_SET_ANYWHERE is not set/);
      const bad = await run({ MY_KEY: 'short' }, '--encryptionEnv', 'MY_KEY', 'secrets', 'rotate');
      assert.match(bad.stderr, /MY_KEY: an encryption key must be 32 bytes/);
    });

    test('the new key and the old one as NAME_PREVIOUS rotate again', async () => {
      const next = randomBytes(32).toString('base64');
      const res = await run(
        { MY_KEY: next, MY_KEY_PREVIOUS: key },
        '--encryptionEnv',
        'MY_KEY',
        'secrets',
        'rotate',
      );
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, new RegExp(keyId(Buffer.from(next, 'base64'))));
      const old = await run({ MY_KEY: key }, '--encryptionEnv', 'MY_KEY', 'secrets', 'rotate');
      assert.equal(old.code, 1);
    });
  });
}
