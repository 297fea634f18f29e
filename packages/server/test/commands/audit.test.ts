import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createChainWalker } from '../../src/audit/audit-chain.ts';
import { SUPERUSERS } from '../../src/schema/collection.ts';
import { DIALECTS } from '../support/app.ts';
import { type CliTarget, cliTarget } from '../support/cli.ts';

const EMAIL = 'ops@example.com';

for (const dialect of DIALECTS) {
  describe(`forgebase audit and superuser roles (${dialect})`, () => {
    let cli: CliTarget;
    before(() => {
      cli = cliTarget(dialect);
    });
    after(() => cli.close());

    test('superuser upsert --role and superuser role set the operator role', async () => {
      const made = await cli.run('superuser', 'upsert', EMAIL, 'ops-password-1', '--role', 'developer');
      assert.deepEqual(made, { code: 0, stdout: `Superuser ${EMAIL} created.\n`, stderr: '' });
      const set = await cli.run('superuser', 'role', EMAIL, 'viewer');
      assert.deepEqual(set, { code: 0, stdout: `Superuser ${EMAIL} is now viewer.\n`, stderr: '' });
      const role = await cli.withApp(
        async (app) => (await app.records.findByField(app.collections.get(SUPERUSERS), 'email', EMAIL))?.role,
      );
      assert.equal(role, 'viewer');
      const bad = await cli.run('superuser', 'role', EMAIL, 'root');
      assert.deepEqual(bad, {
        code: 1,
        stdout: '',
        stderr: 'forgebase: unknown role "root": one of owner, admin, developer, viewer\n',
      });
    });

    test('audit verify reports an intact chain, then names a tampered entry and exits 2', async () => {
      const ok = await cli.run('audit', 'verify');
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /^The audit chain is intact: \d+ entries, head \d+ [0-9a-f]{64}\.\n$/);
      const json = JSON.parse((await cli.run('audit', 'verify', '--json')).stdout);
      assert.equal(json.ok, true);
      // the superuser's creation is entry 3 or later (the system collections come first)
      const seq = await cli.withApp(async (app) => {
        const e = (await app.audit.list({ filter: "action = 'superuser.create'" })).items[0]!;
        await app.db.run(app.db.sys.updateTable('_audit').set({ ip: '6.6.6.6' }).where('seq', '=', e.seq));
        return e.seq;
      });
      const broken = await cli.run('audit', 'verify');
      assert.deepEqual(broken, {
        code: 2,
        stdout: `The audit chain is broken at entry ${seq}: entry ${seq} was altered: its hash does not match its content.\n`,
        stderr: '',
      });
      await cli.withApp((app) =>
        app.db.run(app.db.sys.updateTable('_audit').set({ ip: '' }).where('seq', '=', seq)),
      );
    });

    test('audit export --format json carries the head; the copy verifies offline', async () => {
      const file = join(cli.cwd, 'audit.json');
      const res = await cli.run('audit', 'export', file, '--format', 'json');
      assert.equal(res.code, 0, res.stderr);
      const doc = JSON.parse(readFileSync(file, 'utf8'));
      assert.match(res.stderr, new RegExp(`^head: ${doc.head.seq} ${doc.head.hash}\n$`));
      const walker = createChainWalker(doc.start);
      for (const e of doc.entries) assert.equal(walker.push(e), true);
      const r = walker.result();
      assert.deepEqual(r.ok && r.head, doc.head);
      assert.deepEqual(doc.start, { seq: 0, hash: '0'.repeat(64) });
      // the same check by the CLI, without the database; then on a tampered copy
      const offline = await cli.run('audit', 'verify', '--file', file);
      assert.deepEqual(offline, {
        code: 0,
        stdout: `The export is intact: ${doc.entries.length} entries up to head ${doc.head.seq} ${doc.head.hash}.\n`,
        stderr: '',
      });
      doc.entries[1].target = 'forged';
      writeFileSync(file, JSON.stringify(doc));
      const tampered = await cli.run('audit', 'verify', '--file', file);
      assert.deepEqual(
        [tampered.code, tampered.stdout],
        [
          2,
          `The export is broken at entry ${doc.entries[1].seq}: entry ${doc.entries[1].seq} was altered: its hash does not match its content.\n`,
        ],
      );
    });

    test('audit export --format csv --since writes a header and the entries from that date', async () => {
      const all = await cli.run('audit', 'export', '--format', 'csv');
      const lines = all.stdout.trimEnd().split('\n');
      assert.equal(
        lines[0],
        'seq,created,actorType,actorId,actorCollection,action,target,ip,data,prevHash,hash',
      );
      assert.ok(lines.length > 3);
      const future = await cli.run('audit', 'export', '--format', 'csv', '--since', '2999-01-01');
      assert.deepEqual(future, {
        code: 0,
        stdout: 'seq,created,actorType,actorId,actorCollection,action,target,ip,data,prevHash,hash\n',
        stderr: 'head: no entries\n',
      });
      const wrong = await cli.run('audit', 'export', '--format', 'xml');
      assert.deepEqual([wrong.code, wrong.stderr], [1, 'forgebase: --format: json or csv\n']);
    });

    test('audit sign without a signing key says what to configure', async () => {
      const res = await cli.run('audit', 'sign');
      assert.deepEqual(res, {
        code: 1,
        stdout: '',
        stderr: 'forgebase: no audit signing key is configured (audit_signing_key_file)\n',
      });
    });
  });
}
