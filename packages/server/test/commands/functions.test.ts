import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS } from '../support/app.ts';
import { type CliTarget, cliTarget } from '../support/cli.ts';
import { functionsDir } from '../support/functions.ts';

for (const dialect of DIALECTS) {
  describe(`forgebase functions list (${dialect})`, () => {
    let cli: CliTarget;
    const fns = functionsDir({
      'todos.ts': `import { hook, mutation, query, route } from '@forgebase/server/functions';
import { Type } from 'typebox';
export const open = query({ args: Type.Object({ owner: Type.String() }), handler: () => [] });
export const complete = mutation(() => null);
export const hello = route('GET', '/hello/{name}', () => 'hi');
export const stamp = hook('todos', 'beforeCreate', () => {});
`,
      'billing/invoices.ts': `import { action } from '@forgebase/server/functions';\nexport const send = action(() => null);\n`,
    });
    before(() => {
      cli = cliTarget(dialect);
    });
    after(async () => {
      await cli.close();
      fns.remove();
    });

    test('prints every export with its kind and binding', async () => {
      const res = await cli.run('--functions-dir', fns.dir, 'functions', 'list');
      assert.deepEqual(res, {
        code: 0,
        stdout: [
          // modules by path, exports by name
          'action   billing/invoices/send',
          'mutation todos/complete',
          'route    todos/hello            GET /hello/{name}',
          'query    todos/open             args',
          'hook     todos/stamp            todos beforeCreate',
          '',
        ].join('\n'),
        stderr: '',
      });
      const json = await cli.run('--functions-dir', fns.dir, 'functions', 'list', '--json');
      assert.equal(json.code, 0);
      assert.deepEqual(
        JSON.parse(json.stdout).map((f: any) => `${f.kind} ${f.module}/${f.name}`),
        [
          'action billing/invoices/send',
          'mutation todos/complete',
          'route todos/hello',
          'query todos/open',
          'hook todos/stamp',
        ],
      );
    });

    test('a file that fails is an error with its file:line; no dir is said so', async () => {
      fns.write('broken.ts', 'export const x = (;\n');
      const res = await cli.run('--functions-dir', fns.dir, 'functions', 'list');
      assert.equal(res.code, 1);
      assert.ok(res.stderr.includes(`${fns.dir}/broken.ts:1: SyntaxError`), res.stderr);
      const none = await cli.run('--functions-dir', `${fns.dir}-missing`, 'functions', 'list');
      assert.deepEqual(none, { code: 0, stdout: `No functions in ${fns.dir}-missing.\n`, stderr: '' });
    });
  });
}
