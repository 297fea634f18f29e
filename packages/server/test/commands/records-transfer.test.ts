import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { App } from '../../src/app.ts';
import { importRecords } from '../../src/records/record-transfer.ts';
import { asSystem } from '../../src/rules/viewer.ts';
import { DIALECTS } from '../support/app.ts';
import { type CliTarget, cliTarget } from '../support/cli.ts';

const ITEMS = {
  name: 'items',
  type: 'base',
  fields: [
    { name: 'title', type: 'text', required: true },
    { name: 'n', type: 'number' },
    { name: 'ok', type: 'bool' },
    { name: 'tags', type: 'select', values: ['a', 'b', 'c'], maxSelect: 3 },
    { name: 'kind', type: 'select', values: ['x', 'y'], maxSelect: 1 },
    { name: 'meta', type: 'json' },
    { name: 'when', type: 'date' },
    { name: 'created', type: 'autodate', onCreate: true },
  ],
};

/** Values that CSV and JSON must carry unchanged: quotes, commas, line breaks, unicode. */
function item(i: number): Record<string, unknown> {
  return {
    id: `item${String(i).padStart(11, '0')}`,
    title: i % 3 === 0 ? `say "hi", ${i}\nsecond line` : `ünïcödé ✓ ${i}`,
    n: i % 2 ? i * 1.5 : -i,
    ok: i % 2 === 0,
    tags: i % 4 === 0 ? [] : ['a', 'c'],
    kind: i % 5 === 0 ? '' : 'y',
    meta: i % 6 === 0 ? null : { i, nested: { list: [1, 'two'] }, s: 'x,"y"' },
    when: i % 7 === 0 ? '' : '2026-01-02 03:04:05.678Z',
  };
}

async function itemsOf(app: App): Promise<Record<string, unknown>[]> {
  const page = await app.records.list('items', { sort: 'id', perPage: 1000 }, asSystem());
  return page.items.map(({ created: _c, collectionId: _i, collectionName: _n, ...rest }) => rest);
}

/** True when the planner has statistics of `items` (ANALYZE ran on it). */
async function analyzed(app: App): Promise<boolean> {
  const q =
    app.db.dialect === 'sqlite'
      ? "SELECT count(*) AS n FROM sqlite_stat1 WHERE tbl = 'items'"
      : // reltuples is -1 until the table's first ANALYZE
        "SELECT reltuples AS n FROM pg_class WHERE oid = to_regclass('items')";
  const row = await app.db.first<{ n: number | string }>({ sql: q, parameters: [] });
  return Number(row?.n) > 0;
}

async function changeCount(app: App): Promise<number> {
  const rows = await app.db.all(app.db.sys.selectFrom('_changes').select('seq'));
  return rows.length;
}

for (const dialect of DIALECTS) {
  describe(`forgebase import and export (${dialect})`, () => {
    let source: CliTarget;
    let target: CliTarget;
    before(async () => {
      source = cliTarget(dialect);
      target = cliTarget(dialect);
      for (const cli of [source, target])
        await cli.withApp(async (app) => {
          await app.collections.create(ITEMS);
          await app.collections.create({
            name: 'people',
            type: 'auth',
            fields: [{ name: 'nick', type: 'text' }],
          });
        });
      await source.withApp(async (app) => {
        for (let i = 1; i <= 60; i++) await app.records.create('items', item(i), asSystem());
      });
    });
    after(async () => {
      await source.close();
      await target.close();
    });

    for (const format of ['json', 'ndjson', 'csv'] as const) {
      test(`a ${format} export imports back into another database unchanged`, async () => {
        const file = join(source.cwd, `items.${format}`);
        const out = await source.run('export', 'items', file);
        assert.equal(out.code, 0, out.stderr);
        assert.match(out.stderr, /Exported 60 record\(s\) of items/);
        await target.withApp((app) => app.records.truncate('items'));
        const res = await target.run('import', 'items', file);
        assert.equal(res.code, 0, res.stderr);
        assert.equal(res.stdout, 'Imported 60 record(s) into items.\n');
        const [want, got] = [await source.withApp(itemsOf), await target.withApp(itemsOf)];
        assert.equal(got.length, 60);
        assert.deepEqual(got, want);
        // the import refreshed the planner's statistics of the table
        assert.ok(await target.withApp(analyzed), 'ANALYZE ran after the import');
      });
    }

    test('export to stdout, with a filter, and NDJSON by --format', async () => {
      const res = await source.run('export', 'items', '--format', 'ndjson', '--filter', 'n > 80');
      assert.equal(res.code, 0, res.stderr);
      const lines = res.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.deepEqual(
        lines.map((r) => r.id),
        [55, 57, 59].map((i) => `item${String(i).padStart(11, '0')}`),
      );
      assert.equal((await source.run('export', 'items', '--format', 'xml')).code, 1);
    });

    test('one refused row imports nothing and names its line and field', async () => {
      const file = join(target.cwd, 'bad.ndjson');
      const rows = [item(101), item(102), { ...item(103), title: '' }, item(104)].map((r) =>
        JSON.stringify(r),
      );
      writeFileSync(file, `${rows.slice(0, 2).join('\n')}\n\n${rows.slice(2).join('\n')}\n`);
      await target.withApp((app) => app.records.truncate('items'));
      const before = await target.withApp(changeCount);
      const res = await target.run('import', 'items', file);
      assert.equal(res.code, 1);
      assert.match(res.stderr, /bad\.ndjson line 4: .*title: Cannot be blank\..*Nothing was imported\./);
      assert.deepEqual(await target.withApp(itemsOf), []);
      assert.equal(await target.withApp(changeCount), before);
    });

    test('--skip-invalid imports the rest, through the record service and its change log', async () => {
      const file = join(target.cwd, 'mixed.csv');
      writeFileSync(
        file,
        'id,title,n,tags\r\nskip00000000001,first,1,"[""a""]"\r\nskip00000000002,,2,[]\r\nskip00000000003,third,3,"[""zz""]"\r\nskip00000000004,"fourth, quoted",x,b\r\n',
      );
      await target.withApp((app) => app.records.truncate('items'));
      const before = await target.withApp(changeCount);
      const res = await target.run('import', 'items', file, '--skip-invalid', '--batch', '2', '--json');
      assert.equal(res.code, 0, res.stderr);
      const result = JSON.parse(res.stdout);
      assert.equal(result.imported, 2);
      assert.equal(result.skipped, 2);
      assert.deepEqual(
        result.problems.map((p: { line: number }) => p.line),
        [3, 4],
      );
      assert.match(result.problems[0].message, /title/);
      assert.match(result.problems[1].message, /tags/);
      const got = await target.withApp(itemsOf);
      assert.deepEqual(
        got.map((r) => [r.id, r.title, r.n, r.tags]),
        [
          ['skip00000000001', 'first', 1, ['a']],
          ['skip00000000004', 'fourth, quoted', 0, ['b']],
        ],
      );
      assert.equal((await target.withApp(changeCount)) - before, 2);
    });

    test('auth rows import with their password; an export never holds password hashes or token keys', async () => {
      const file = join(target.cwd, 'people.json');
      writeFileSync(
        file,
        JSON.stringify([
          { email: 'ann@example.com', password: 'ann-password-1', nick: 'ann' },
          { email: 'bob@example.com', password: 'bob-password-1', nick: 'bob', verified: true },
        ]),
      );
      const res = await target.run('import', 'people', file);
      assert.equal(res.code, 0, res.stderr);
      await target.withApp(async (app) => {
        const ok = await app.auth.authWithPassword('people', {
          identity: 'bob@example.com',
          password: 'bob-password-1',
        });
        assert.ok('token' in ok);
      });
      const out = await target.run('export', 'people', '--format', 'ndjson');
      assert.equal(out.code, 0, out.stderr);
      const people = out.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.deepEqual(people.map((p) => p.nick).sort(), ['ann', 'bob']);
      for (const p of people) {
        assert.equal(p.email.endsWith('@example.com'), true);
        assert.equal('password' in p || 'tokenKey' in p, false, JSON.stringify(p));
      }
      const csv = await target.run('export', 'people', '--format', 'csv');
      assert.doesNotMatch(csv.stdout.split('\r\n')[0] ?? '', /password|tokenKey/);
    });

    test('a malformed file is refused with its line; a view collection or an unknown one too', async () => {
      const file = join(target.cwd, 'broken.json');
      writeFileSync(file, '[\n{"title":"a"},\n{"title": nope}\n]');
      const res = await target.run('import', 'items', file);
      assert.equal(res.code, 1);
      assert.match(res.stderr, /broken\.json line 3: invalid JSON/);
      const csv = join(target.cwd, 'broken.csv');
      writeFileSync(csv, 'title\n"ok"\n"open\n');
      assert.match(
        (await target.run('import', 'items', csv)).stderr,
        /broken\.csv line 3: a quoted cell is not closed/,
      );
      assert.equal((await target.run('import', 'nope', file)).code, 1);
    });

    test('an import holds no memory per row: the heap stays flat over 22,000 rows in one transaction', async () => {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      await target.withApp(async (app) => {
        await app.records.truncate('items');
        const collection = app.collections.get('items');
        const heap: number[] = [];
        async function* rows() {
          for (let i = 1; i <= 22_000; i++)
            yield { line: i, values: { title: `row ${i}`, n: i, meta: { i } } };
        }
        const result = await importRecords(app.records, collection, rows(), {
          onRow(n) {
            if (n === 2_000 || n === 22_000) {
              gc();
              gc();
              heap.push(process.memoryUsage().heapUsed);
            }
          },
        });
        assert.equal(result.imported, 22_000);
        const [at2k = 0, at22k = 0] = heap;
        // 20,000 rows kept alive at even 300 bytes each would add 6 MB (a per-row callback
        // added 11 MB); the app's background work (queues, consumers) moves it by a few MB
        assert.ok(
          at22k - at2k < 6 * 1024 * 1024,
          `heap grew ${((at22k - at2k) / 1024 / 1024).toFixed(1)} MB`,
        );
      });
    });
  });
}

describe('forgebase import on a terminal', () => {
  let cli: CliTarget;
  before(async () => {
    cli = cliTarget('sqlite');
    await cli.withApp((app) => app.collections.create(ITEMS).then(() => undefined));
  });
  after(() => cli.close());

  test('draws a progress bar on a TTY, and none when stderr is a pipe', async () => {
    const file = join(cli.cwd, 'many.ndjson');
    writeFileSync(
      file,
      `${Array.from({ length: 3000 }, (_, i) => JSON.stringify({ title: `t${i}` })).join('\n')}\n`,
    );
    const main = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
    const bin = fileURLToPath(new URL('../../../../node_modules/.bin', import.meta.url));
    const command = ['node', main, ...cli.flags, 'import', 'items', file].map((a) => `'${a}'`).join(' ');
    // `script` runs the command on a pseudo-terminal and copies what it drew to stdout
    const shown = await new Promise<string>((resolve, reject) =>
      execFile(
        'script',
        ['-qec', command, '/dev/null'],
        {
          cwd: cli.cwd,
          env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH}` },
          timeout: 60_000,
        },
        (err, stdout) => (err ? reject(err) : resolve(stdout)),
      ),
    );
    assert.match(shown, /import \[[█░]+\] \d+\/\d+ \d+ rows/);
    assert.match(shown, /Imported 3000 record\(s\) into items\./);
    const piped = await cli.run('import', 'items', file);
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stderr, '');
    assert.equal(readFileSync(file, 'utf8').split('\n').length, 3001);
  });
});
