import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { keyId } from '../../src/tools/secret-box.ts';
import { DIALECTS, silentLogger } from '../support/app.ts';
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

for (const dialect of DIALECTS) {
  describe(`forgebase secrets set|list|delete (${dialect})`, () => {
    let cli: CliTarget;
    before(() => {
      cli = cliTarget(dialect);
    });
    after(() => cli.close());

    const run = (input: string, ...args: string[]) =>
      runForgebase([...cli.flags, ...args], cli.cwd, {}, input);

    test('set reads the value from stdin, seals it, and list shows only names', async () => {
      const set = await run('sk_live_123456\n', 'secrets', 'set', 'STRIPE_KEY');
      assert.deepEqual(set, { code: 0, stdout: 'Secret STRIPE_KEY set.\n', stderr: '' });
      assert.equal((await run('second-value', 'secrets', 'set', 'OTHER')).code, 0);
      const list = await run('', 'secrets', 'list');
      assert.deepEqual(list, { code: 0, stdout: 'OTHER\nSTRIPE_KEY\n', stderr: '' });
      assert.deepEqual(JSON.parse((await run('', 'secrets', 'list', '--json')).stdout), [
        'OTHER',
        'STRIPE_KEY',
      ]);
      await cli.withApp(async (app) => {
        const rows = await app.db.all(app.db.sys.selectFrom('_user_secrets').selectAll());
        assert.equal(rows.length, 2);
        assert.ok(!JSON.stringify(rows).includes('sk_live_123456'), 'the raw table holds no plaintext');
        for (const r of rows) assert.match(r.value, /^fbenc:v1:[0-9a-f]{8}:/);
        assert.deepEqual(await app.userSecrets.values(), {
          OTHER: 'second-value',
          STRIPE_KEY: 'sk_live_123456',
        });
        const audit = (await app.audit.list({ filter: "action ~ 'secret.'" })).items;
        assert.deepEqual(
          audit.map((e) => [e.action, e.target, e.actor.type]),
          [
            ['secret.set', 'STRIPE_KEY', 'system'],
            ['secret.set', 'OTHER', 'system'],
          ],
        );
        assert.ok(!JSON.stringify(audit).includes('sk_live_123456'));
      });
    });

    test('a bad name, an empty value and an unknown name are refused', async () => {
      const bad = await run('v', 'secrets', 'set', '1-bad');
      assert.deepEqual(
        [bad.code, bad.stderr],
        [
          1,
          'forgebase: Invalid secret name. name: A secret name is a letter or _ then letters, digits or _ (at most 100).\n',
        ],
      );
      const empty = await run('', 'secrets', 'set', 'EMPTY');
      assert.deepEqual([empty.code, empty.stderr], [1, 'forgebase: no value on stdin\n']);
      const missing = await run('', 'secrets', 'delete', 'NOPE');
      assert.deepEqual([missing.code, missing.stderr], [1, 'forgebase: no secret named NOPE\n']);
    });

    test('delete removes a secret; rotate-key re-seals the rest under a new key, still readable', async () => {
      assert.deepEqual(await run('', 'secrets', 'delete', 'OTHER'), {
        code: 0,
        stdout: 'Secret OTHER deleted.\n',
        stderr: '',
      });
      const key = randomBytes(32).toString('hex');
      const kid = keyId(Buffer.from(key, 'hex'));
      const res = await runForgebase([...cli.flags, 'secrets', 'rotate-key'], cli.cwd, {
        FORGEBASE_ENCRYPTION_KEY: key,
      });
      assert.equal(res.code, 0, res.stderr);
      // opening the app re-sealed them already: the command reports the state
      assert.equal(res.stdout, `Every stored secret is sealed with key ${kid}.\n`);
      // the next start with only the new key reads them
      const [, dataDir, , db] = cli.flags;
      const app = await createApp(loadConfig({ dataDir, db }, { FORGEBASE_ENCRYPTION_KEY: key }, cli.cwd), {
        logger: silentLogger(),
      });
      const rows = await (async () => {
        try {
          return {
            raw: await app.db.all(app.db.sys.selectFrom('_user_secrets').select('value')),
            values: await app.userSecrets.values(),
          };
        } finally {
          await app.stop();
        }
      })();
      assert.deepEqual(rows.values, { STRIPE_KEY: 'sk_live_123456' });
      assert.match(rows.raw[0]!.value, new RegExp(`^fbenc:v1:${kid}:`));
    });
  });
}
