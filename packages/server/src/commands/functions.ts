import type { Command } from 'commander';
import type { FunctionInfo } from '../functions/function-service.ts';
import { configFrom, withApp } from './common.ts';

/** One line per export: kind, `module/export`, then what it is bound to (route, hook, isolation). */
export function functionLines(list: FunctionInfo[]): string[] {
  const width = Math.max(0, ...list.map((f) => f.module.length + f.name.length + 1));
  return list.map((f) => {
    const what =
      f.kind === 'route'
        ? `${f.method} ${f.path}`
        : f.kind === 'hook'
          ? `${f.collection} ${f.event}`
          : f.args !== undefined
            ? 'args'
            : '';
    const line = `${f.kind.padEnd(8)} ${`${f.module}/${f.name}`.padEnd(width)}  ${what}${f.isolated ? ' (isolated)' : ''}`;
    return line.trimEnd();
  });
}

/**
 * `forgebase functions list`: loads `functions_dir` as `serve` does (a file that fails is
 * an error with its file:line) and prints every registered export; `--json` prints
 * `GET /api/functions`'s items.
 */
export function registerFunctionsCommand(program: Command): void {
  const cmd = program.command('functions').description('server functions (fb_functions/)');
  cmd
    .command('list')
    .description('print the registered queries, mutations, actions, routes and hooks')
    .option('--json', 'print JSON (the items of GET /api/functions)')
    .action(async (opts: { json?: boolean }, c: Command) => {
      const config = configFrom(c);
      await withApp(config, async (app) => {
        const list = app.functions?.list() ?? [];
        if (opts.json) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        else if (!list.length) process.stdout.write(`No functions in ${config.functionsDir}.\n`);
        else process.stdout.write(`${functionLines(list).join('\n')}\n`);
      });
    });
}
