import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { seedDemo } from '../../src/commands/seed.ts';
import { DIALECTS } from '../support/app.ts';
import { type CliTarget, cliTarget } from '../support/cli.ts';

/** The claims of a JWT, unverified. */
const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));

for (const dialect of DIALECTS) {
  describe(`forgebase gen-jwt (${dialect})`, () => {
    let cli: CliTarget;
    let aliceId = '';
    before(async () => {
      cli = cliTarget(dialect);
      aliceId = await cli.withApp(async (app) => {
        await seedDemo(app);
        const users = app.collections.get('users');
        return String((await app.records.findByField(users, 'email', 'alice@example.com'))!.id);
      });
    });
    after(() => cli.close());

    test("prints a token the server accepts as the record's", async () => {
      const res = await cli.run('gen-jwt', '--collection', 'users', '--id', aliceId, '--duration', '600');
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stderr, '');
      const token = res.stdout.trim();
      const c = claims(token);
      assert.deepEqual([c.id, c.type, c.refreshable], [aliceId, 'auth', false]);
      assert.ok(Math.abs(c.exp - Math.floor(Date.now() / 1000) - 600) <= 60);
      const viewer = await cli.withApp((app) => app.auth.viewerFromToken(token));
      assert.equal(String(viewer.auth?.record.id), aliceId);
      assert.equal(viewer.auth?.collection.name, 'users');
    });

    test('--json prints the token with the record', async () => {
      const res = await cli.run('gen-jwt', '--collection', 'users', '--id', aliceId, '--json');
      assert.equal(res.code, 0, res.stderr);
      const body = JSON.parse(res.stdout);
      assert.equal(body.record.id, aliceId);
      assert.equal(body.record.email, 'alice@example.com');
      assert.equal(claims(body.token).id, aliceId);
    });

    test('an unknown record, a non-auth collection or a bad duration fails with a message', async () => {
      const missing = await cli.run('gen-jwt', '--collection', 'users', '--id', 'nosuchrecord123');
      assert.deepEqual([missing.code, missing.stdout], [1, '']);
      assert.match(missing.stderr, /^forgebase: The requested resource wasn't found\./);
      const base = await cli.run('gen-jwt', '--collection', 'posts', '--id', aliceId);
      assert.equal(base.code, 1);
      assert.match(base.stderr, /^forgebase: /);
      const bad = await cli.run('gen-jwt', '--collection', 'users', '--id', aliceId, '--duration', '1.5');
      assert.deepEqual(bad, {
        code: 1,
        stdout: '',
        stderr: 'forgebase: --duration: expected a positive whole number of seconds\n',
      });
    });
  });
}
