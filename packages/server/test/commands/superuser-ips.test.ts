import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS } from '../support/app.ts';
import { type CliTarget, cliTarget } from '../support/cli.ts';

for (const dialect of DIALECTS) {
  describe(`forgebase superuser ips (${dialect})`, () => {
    let cli: CliTarget;
    before(() => {
      cli = cliTarget(dialect);
    });
    after(() => cli.close());

    test('list, add, remove and clear the superuserIPs setting', async () => {
      const empty = await cli.run('superuser', 'ips');
      assert.deepEqual(empty, {
        code: 0,
        stdout: 'Superuser IPs: none (superusers are allowed from any IP).\n',
        stderr: '',
      });
      const added = await cli.run('superuser', 'ips', 'add', '10.0.0.0/8', '203.0.113.7');
      assert.equal(added.code, 0, added.stderr);
      assert.equal(added.stdout, 'Superuser IPs:\n  10.0.0.0/8\n  203.0.113.7\n');
      // stored in the settings row: a server started later enforces it
      const stored = await cli.withApp(async (app) => app.config.superuserIps);
      assert.deepEqual(stored, ['10.0.0.0/8', '203.0.113.7']);
      const removed = await cli.run('superuser', 'ips', 'remove', '10.0.0.0/8');
      assert.equal(removed.stdout, 'Superuser IPs:\n  203.0.113.7\n');
      assert.equal((await cli.run('superuser', 'ips', 'list')).stdout, 'Superuser IPs:\n  203.0.113.7\n');
      const cleared = await cli.run('superuser', 'ips', 'clear');
      assert.equal(cleared.stdout, 'Superuser IPs: none (superusers are allowed from any IP).\n');
    });

    test('a malformed address or an unknown one to remove fails with a message', async () => {
      const bad = await cli.run('superuser', 'ips', 'add', '10.0.0.300');
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /invalid IP address or CIDR "10\.0\.0\.300"/);
      const missing = await cli.run('superuser', 'ips', 'remove', '192.0.2.1');
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /not in the list: 192\.0\.2\.1/);
    });
  });
}
