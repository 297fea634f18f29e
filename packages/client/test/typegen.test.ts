import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { watchTypes, writeTypes } from '../../server/src/commands/typegen.ts';
import { DIALECTS, startTestApp, type TestApp, Waiter } from './support/server.ts';

const run = promisify(execFile);
const FIXTURES = join(import.meta.dirname, 'types/fixtures');
const TSC = join(import.meta.dirname, '../../../node_modules/typescript/bin/tsc');

/** A copy of the fixture project (functions, fixtures, tsconfig) inside the repo, so packages resolve. */
function project(name: string): string {
  const dir = join(import.meta.dirname, 'types', `.out-${name}-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(FIXTURES, dir, { recursive: true });
  return dir;
}

/** tsc on a project: answers its diagnostics ('' when it compiles). */
async function tsc(dir: string): Promise<string> {
  try {
    await run(process.execPath, [TSC, '-p', dir], { timeout: 120_000 });
    return '';
  } catch (e) {
    return String((e as { stdout?: string }).stdout ?? e);
  }
}

/** What each dialect generated for the same schema (compared, then type-checked once). */
const generated = new Map<string, string>();

for (const dialect of DIALECTS) {
  describe(`typegen (${dialect})`, () => {
    let t: TestApp;
    let dir: string;
    let out: string;
    before(async () => {
      dir = project(dialect);
      out = join(dir, 'forgebase.d.ts');
      t = await startTestApp(dialect, { functionsDir: join(dir, 'fb_functions') });
      const users = await t.createCollection({
        name: 'users',
        type: 'auth',
        fields: [{ name: 'name', type: 'text' }],
      });
      await t.createCollection({
        name: 'todos',
        type: 'base',
        fields: [
          { name: 'title', type: 'text', required: true },
          { name: 'done', type: 'bool' },
          { name: 'status', type: 'select', values: ['open', 'closed'], maxSelect: 1 },
          { name: 'tags', type: 'select', values: ['a', 'b'], maxSelect: 2 },
          { name: 'owner', type: 'relation', collectionId: users.id, maxSelect: 1 },
          { name: 'files', type: 'file', maxSelect: 3 },
          { name: 'created', type: 'autodate', onCreate: true },
        ],
      });
    });
    after(async () => {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    });

    test('writes record, create and function types from the live schema and fb_functions/', () => {
      assert.equal(writeTypes(t.app, join(dir, 'fb_functions'), out), true);
      const text = readFileSync(out, 'utf8');
      assert.match(text, /export interface TodosRecord \{/);
      assert.match(text, / {2}status: "open" \| "closed" \| '';/);
      assert.match(text, / {2}tags: \("a" \| "b"\)\[\];/);
      assert.match(text, / {2}expand\?: \{\n {4}owner\?: UsersRecord;\n {2}\};/);
      assert.match(text, / {2}files\?: \(File \| Blob\)\[\];/);
      assert.match(
        text,
        /users: \{ record: UsersRecord; create: UsersCreate; update: Partial<UsersCreate>; auth: true \}/,
      );
      assert.match(text, /_superusers: \{ record: SuperusersRecord;/);
      assert.match(text, /import type \* as fn0_todos from "\.\/fb_functions\/todos\.ts";/);
      assert.match(text, /openTodos: FunctionRef<'query', ArgsOf<typeof fn0_todos\.openTodos>/);
      assert.match(text, /rename: FunctionRef<'mutation'/);
      assert.match(text, /ping: FunctionRef<'action'/);
      assert.doesNotMatch(text, /password: string;\n {2}tokenKey/, 'no password in a record type');
      assert.equal(writeTypes(t.app, join(dir, 'fb_functions'), out), false, 'unchanged: not rewritten');
      generated.set(dialect, text);
    });

    test('--watch regenerates on a schema change and on a function file change', {
      timeout: 30_000,
    }, async () => {
      writeTypes(t.app, join(dir, 'fb_functions'), out);
      const updates = new Waiter<string>();
      const stop = watchTypes(t.app, join(dir, 'fb_functions'), out, updates.push);
      try {
        await t.createCollection({ name: 'notes', type: 'base', fields: [{ name: 'body', type: 'editor' }] });
        assert.match(await updates.next(), /updated \(schema\)/);
        assert.match(readFileSync(out, 'utf8'), /export interface NotesRecord/);
        writeFileSync(
          join(dir, 'fb_functions/extra.ts'),
          "import { query } from '@forgebase/server/functions';\nexport const count = query(async () => 3);\n",
        );
        assert.match(await updates.next(), /updated \(functions\)/);
        assert.match(readFileSync(out, 'utf8'), /count: FunctionRef<'query'/);
      } finally {
        stop();
      }
    });
  });
}

test('both dialects generate the same types, and tsc holds the fixtures to them', {
  timeout: 180_000,
}, async () => {
  const [a, b] = DIALECTS.map((d) => generated.get(d));
  assert.ok(a);
  assert.equal(b, a);
  const dir = project('tsc');
  try {
    writeFileSync(join(dir, 'forgebase.d.ts'), a);
    assert.equal(await tsc(dir), '');
    // without its expectations the wrong fixture must fail line by line, so the check above can fail too
    const wrong = readFileSync(join(dir, 'fail.ts'), 'utf8').replaceAll('// @ts-expect-error', '//');
    writeFileSync(join(dir, 'fail.ts'), wrong);
    const errors = await tsc(dir);
    assert.equal((errors.match(/fail\.ts\(\d+,\d+\): error/g) ?? []).length, 10, errors);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the forgebase typegen command writes the file', { timeout: 60_000 }, async () => {
  const dir = project('cli');
  try {
    const main = join(import.meta.dirname, '../../server/src/main.ts');
    const out = join(dir, 'src/forgebase.d.ts');
    const res = await run(process.execPath, [
      main,
      '--dir',
      join(dir, 'fb_data'),
      '--functions-dir',
      join(dir, 'fb_functions'),
      'typegen',
      '--out',
      out,
    ]);
    assert.match(res.stdout, /typegen: wrote .*forgebase\.d\.ts/);
    const text = readFileSync(out, 'utf8');
    assert.match(text, /export interface SuperusersRecord/);
    assert.match(text, /import type \* as fn0_todos from "\.\.\/fb_functions\/todos\.ts";/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
