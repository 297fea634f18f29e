import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { App } from '../../src/app.ts';
import { DIALECTS } from '../support/app.ts';
import { type CliTarget, cliTarget, runForgebase } from '../support/cli.ts';

const EMAIL = 'cli-admin@example.com';

/** Signs in as a superuser; returns the record id, or the error message. */
async function signIn(app: App, password: string): Promise<string> {
  try {
    const res = await app.auth.authWithPassword('_superusers', { identity: EMAIL, password });
    return 'record' in res ? String(res.record.id) : `mfa ${res.mfaId}`;
  } catch (e) {
    return (e as Error).message;
  }
}

for (const dialect of DIALECTS) {
  describe(`forgebase superuser (${dialect})`, () => {
    let cli: CliTarget;
    let firstId = '';

    before(() => {
      cli = cliTarget(dialect);
    });
    after(() => cli.close());

    test('upsert creates a superuser that can sign in', async () => {
      const res = await cli.run('superuser', 'upsert', EMAIL, 'first-password-1');
      assert.deepEqual(res, { code: 0, stdout: `Superuser ${EMAIL} created.\n`, stderr: '' });
      if (dialect === 'sqlite') {
        // --db wins over the default <dir>/data.db
        assert.equal(existsSync(join(cli.cwd, 'db', 'main.db')), true);
        assert.equal(existsSync(join(cli.cwd, 'data', 'data.db')), false);
      }
      firstId = await cli.withApp((app) => signIn(app, 'first-password-1'));
      assert.match(firstId, /^[a-z0-9]{15}$/);
    });

    test('upsert on an existing email sets the new password on the same record', async () => {
      const res = await cli.run('superuser', 'upsert', EMAIL, 'second-password-2');
      assert.deepEqual(res, { code: 0, stdout: `Superuser ${EMAIL} updated.\n`, stderr: '' });
      await cli.withApp(async (app) => {
        assert.equal(await signIn(app, 'second-password-2'), firstId);
        assert.equal(await signIn(app, 'first-password-1'), 'Failed to authenticate.');
        const all = await app.records.list('_superusers', {}, { superuser: true });
        assert.equal(all.totalItems, 1);
      });
    });

    test('upsert refuses an invalid password and exits 1', async () => {
      const res = await cli.run('superuser', 'upsert', 'other@example.com', 'short');
      assert.deepEqual(res, {
        code: 1,
        stdout: '',
        stderr: 'forgebase: Failed to create record. password: Must be at least 8 character(s).\n',
      });
      await cli.withApp(async (app) => {
        const all = await app.records.list('_superusers', {}, { superuser: true });
        assert.equal(all.totalItems, 1);
      });
    });

    test('otp prints a new OTP for the superuser, which signs in once', async () => {
      const off = await cli.run('superuser', 'otp', EMAIL);
      assert.deepEqual(off, {
        code: 1,
        stdout: '',
        stderr: 'forgebase: OTP auth is not enabled for the _superusers collection\n',
      });
      await cli.withApp(async (app) => {
        await app.collections.update('_superusers', { otp: { enabled: true, duration: 300, length: 6 } });
      });
      const res = await cli.run('superuser', 'otp', EMAIL);
      assert.equal(res.code, 0, res.stderr);
      const m =
        /^Successfully created OTP for superuser "(.+)":\n├─ Id: {4}(\w{15})\n├─ Pass: {2}(\d{6})\n└─ Valid: 300s\n\n$/.exec(
          res.stdout,
        );
      assert.ok(m, res.stdout);
      assert.equal(m[1], EMAIL);
      await cli.withApp(async (app) => {
        const ctx = { viewer: { superuser: false }, ip: '127.0.0.1' } as never;
        const body = { otpId: m[2], password: m[3] };
        const auth = await app.auth.authWithOtp('_superusers', body, ctx);
        assert.equal('record' in auth && auth.record.email, EMAIL);
        await assert.rejects(app.auth.authWithOtp('_superusers', body, ctx), /Invalid or expired OTP/);
      });
      for (const bad of ['not-an-email', 'nobody@example.com']) {
        const r = await cli.run('superuser', 'otp', bad);
        assert.equal(r.code, 1);
        assert.equal(
          r.stderr,
          bad === 'not-an-email'
            ? 'forgebase: invalid or missing email address\n'
            : `forgebase: superuser with email "${bad}" doesn't exist\n`,
        );
      }
    });

    test('delete removes the superuser; deleting an unknown email exits 1', async () => {
      const res = await cli.run('superuser', 'delete', EMAIL);
      assert.deepEqual(res, { code: 0, stdout: `Superuser ${EMAIL} deleted.\n`, stderr: '' });
      await cli.withApp(async (app) => {
        assert.equal(await signIn(app, 'second-password-2'), 'Failed to authenticate.');
      });
      const again = await cli.run('superuser', 'delete', EMAIL);
      assert.deepEqual(again, {
        code: 1,
        stdout: '',
        stderr: `forgebase: no superuser with email ${EMAIL}\n`,
      });
    });
  });
}

test('without --db the CLI uses <dir>/data.db', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'fb-cli-'));
  try {
    const res = await runForgebase(['--dir', 'here', 'superuser', 'upsert', EMAIL, 'first-password-1'], cwd);
    assert.deepEqual(res, { code: 0, stdout: `Superuser ${EMAIL} created.\n`, stderr: '' });
    assert.equal(existsSync(join(cwd, 'here', 'data.db')), true);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});
