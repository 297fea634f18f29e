import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS } from '../support/app.ts';
import { type CliTarget, cliTarget, runForgebase } from '../support/cli.ts';

for (const dialect of DIALECTS) {
  describe(`forgebase db (${dialect})`, () => {
    let cli: CliTarget;
    before(() => {
      cli = cliTarget(dialect);
    });
    after(() => cli.close());

    // one CLI start per step: each test stays well inside the per-test timeout on a loaded machine
    test('db create makes a database and refuses a duplicate', async () => {
      const made = await cli.run('db', 'create', 'shop');
      assert.deepEqual({ code: made.code, out: made.stdout }, { code: 0, out: 'Database shop created.\n' });
      const dup = await cli.run('db', 'create', 'shop');
      assert.deepEqual(
        { code: dup.code, err: dup.stderr },
        { code: 1, err: 'forgebase: A database named "shop" exists.\n' },
      );
    });

    test('db shell runs piped statements and prints rows and errors', async () => {
      const shell = await runForgebase(
        [...cli.flags, 'db', 'shell', 'shop'],
        cli.cwd,
        {},
        "CREATE TABLE t (a INTEGER, b TEXT);\nINSERT INTO t VALUES (1, 'x'),\n  (22, NULL);\nSELECT * FROM t;\nSELECT nope;\n.tables\n",
      );
      assert.equal(shell.code, 0, shell.stderr);
      assert.equal(
        shell.stdout,
        [
          '0 row(s) changed',
          '2 row(s) changed',
          '+----+------+',
          '| a  | b    |',
          '+----+------+',
          '| 1  | x    |',
          '| 22 | NULL |',
          '+----+------+',
          '2 row(s)',
          'Error: no such column: nope (SQLITE_ERROR)',
          't',
          '',
        ].join('\n'),
      );
    });

    test('db list shows it; db delete removes it', async () => {
      const list = await cli.run('db', 'list');
      assert.equal(list.code, 0);
      assert.match(list.stdout, /^shop\t\d+ bytes\tcreated \d{4}-\d\d-\d\d [\d:.]+Z\n$/);
      const del = await cli.run('db', 'delete', 'shop');
      assert.deepEqual({ code: del.code, out: del.stdout }, { code: 0, out: 'Database shop deleted.\n' });
      assert.equal((await cli.run('db', 'list')).stdout, '');
      const missing = await cli.run('db', 'shell', 'shop');
      assert.deepEqual(
        { code: missing.code, err: missing.stderr },
        { code: 1, err: 'forgebase: The database "shop" does not exist.\n' },
      );
    });
  });
}
