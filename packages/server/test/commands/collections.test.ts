import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DIALECTS } from '../support/app.ts';
import { type CliTarget, cliTarget } from '../support/cli.ts';

for (const dialect of DIALECTS) {
  describe(`forgebase collections (${dialect})`, () => {
    let cli: CliTarget;
    let other: CliTarget;
    before(async () => {
      cli = cliTarget(dialect);
      other = cliTarget(dialect);
      await cli.withApp(async (app) => {
        const tags = await app.collections.create({
          name: 'tags',
          type: 'base',
          fields: [{ name: 'label', type: 'text' }],
        });
        await app.collections.create({
          name: 'notes',
          type: 'base',
          listRule: '',
          fields: [
            { name: 'body', type: 'text', required: true },
            { name: 'tags', type: 'relation', collectionId: tags.id, maxSelect: 3 },
          ],
        });
      });
    });
    after(async () => {
      await cli.close();
      await other.close();
    });

    test('list names each collection with its type and field count', async () => {
      const res = await cli.run('collections', 'list');
      assert.equal(res.code, 0, res.stderr);
      const lines = res.stdout.trimEnd().split('\n');
      assert.ok(
        lines.some((l) => /^notes\s+base\s+3 fields$/.test(l)),
        res.stdout,
      );
      assert.ok(
        lines.some((l) => /^tags\s+base\s+2 fields$/.test(l)),
        res.stdout,
      );
      assert.ok(
        lines.some((l) => /^_superusers\s+auth\s+\d+ fields\s+\(system\)$/.test(l)),
        res.stdout,
      );
      const json = JSON.parse((await cli.run('collections', 'list', '--json')).stdout);
      assert.deepEqual(
        json.filter((c: any) => !c.system).map((c: any) => [c.name, c.type, c.fields]),
        [
          ['notes', 'base', 3],
          ['tags', 'base', 2],
        ],
      );
    });

    test('export then import into another database gives the same collections', async () => {
      const file = join(cli.cwd, 'schema.json');
      const res = await cli.run('collections', 'export', file);
      assert.deepEqual(res, { code: 0, stdout: '', stderr: `Exported 2 collection(s) to ${file}.\n` });
      const exported = JSON.parse(readFileSync(file, 'utf8'));
      assert.deepEqual(exported.map((c: any) => c.name).sort(), ['notes', 'tags']);
      // stdout by default, the same document
      assert.deepEqual(JSON.parse((await cli.run('collections', 'export')).stdout), exported);
      const imported = await other.run('collections', 'import', file);
      assert.deepEqual(imported, { code: 0, stdout: 'Imported 2 collection(s).\n', stderr: '' });
      // the same ids, fields, rules and indexes; only the timestamps are the import's
      const stamps = ({ created: _c, updated: _u, ...rest }: Record<string, unknown>) => rest;
      const again = JSON.parse((await other.run('collections', 'export')).stdout);
      assert.deepEqual(again.map(stamps), exported.map(stamps));
    });

    test('a malformed file or an invalid collection fails and changes nothing', async () => {
      const bad = join(cli.cwd, 'bad.json');
      writeFileSync(bad, '{"collections": []}');
      const empty = await other.run('collections', 'import', bad);
      assert.deepEqual(
        [empty.code, empty.stderr],
        [
          1,
          `forgebase: ${bad}: expected a non-empty JSON array of collections (or {"collections": [...]})\n`,
        ],
      );
      writeFileSync(
        bad,
        JSON.stringify([
          { name: 'fine', type: 'base' },
          { name: 'broken', type: 'nope' },
        ]),
      );
      const invalid = await other.run('collections', 'import', bad);
      assert.equal(invalid.code, 1);
      assert.match(invalid.stderr, /^forgebase: Failed to import collections\./);
      const names = await other.withApp(async (app) => app.collections.all().map((c) => c.name));
      assert.ok(!names.includes('fine'), 'the import is one transaction');
    });
  });
}
