import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DIALECTS } from '../support/app.ts';
import { dropSchema, newSchemaName, schemaUrl } from '../support/pg.ts';
import { killServer, type ServerProcess, spawnServer } from '../support/server-process.ts';

/** The JSON log lines a server printed whose message is `msg`. */
function logLines(output: string, msg: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === msg);
}

for (const dialect of DIALECTS) {
  describe(`serve --dev (${dialect})`, () => {
    let cwd = '';
    const schemas: string[] = [];
    const servers: ServerProcess[] = [];
    const serve = async (name: string, extra: string[]) => {
      const schema = newSchemaName();
      schemas.push(schema);
      const args = [
        '--dir',
        join(cwd, name),
        ...(dialect === 'postgres' ? ['--db', schemaUrl(schema)] : []),
        ...extra,
      ];
      const s = await spawnServer(args, cwd);
      servers.push(s);
      return s;
    };
    before(() => {
      cwd = mkdtempSync(join(tmpdir(), 'fb-dev-'));
    });
    after(async () => {
      for (const s of servers) await killServer(s);
      rmSync(cwd, { recursive: true, force: true });
      if (dialect === 'postgres') for (const s of schemas) await dropSchema(s);
    });

    test('logs at debug level, with every SQL statement and its time', async () => {
      const s = await serve('dev', ['--dev']);
      await s.waitForOutput(/"msg":"sql"/);
      const sql = logLines(s.output(), 'sql');
      assert.ok(sql.length > 0);
      for (const line of sql) {
        assert.equal(line.level, 20);
        assert.equal(typeof line.sql, 'string');
        assert.equal(typeof line.ms, 'number');
      }
      assert.ok(sql.some((l) => /^\s*select/i.test(String(l.sql))));
    });

    test('without --dev no statement is logged', async () => {
      const s = await serve('plain', []);
      await s.waitForOutput(/ForgeBase is serving/);
      const res = await fetch(`${s.url}/api/collections/_superusers/records`);
      assert.equal(res.status, 403);
      assert.deepEqual(logLines(s.output(), 'sql'), []);
    });
  });
}
