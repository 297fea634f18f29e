import type { Command } from 'commander';
import { configFrom, withApp } from './common.ts';

/** `forgebase migrate up|down [n]|create NAME|collections|history-sync`. */
export function registerMigrateCommand(program: Command): void {
  const cmd = program.command('migrate').description('apply, revert and write schema migrations');
  const print = (lines: string[], empty: string) =>
    process.stdout.write(`${lines.length ? lines.join('\n') : empty}\n`);

  cmd
    .command('up')
    .description('apply all pending migrations')
    .action(async (_o: unknown, c: Command) => {
      await withApp(configFrom(c), async (app) =>
        print(
          (await app.migrations.up()).map((f) => `applied ${f}`),
          'nothing to apply',
        ),
      );
    });

  cmd
    .command('down [count]')
    .description('revert the last applied migration(s)')
    .action(async (count: string | undefined, _o: unknown, c: Command) => {
      const n = count === undefined ? 1 : Number(count);
      if (!Number.isInteger(n) || n < 1) throw new Error('count must be a positive integer');
      await withApp(configFrom(c), async (app) =>
        print(
          (await app.migrations.down(n)).map((f) => `reverted ${f}`),
          'nothing to revert',
        ),
      );
    });

  cmd
    .command('create <name>')
    .description('write an empty migration file')
    .action(async (name: string, _o: unknown, c: Command) => {
      await withApp(configFrom(c), async (app) => print([`created ${app.migrations.create(name)}`], ''));
    });

  cmd
    .command('collections')
    .description('write a snapshot of all collections as a migration')
    .action(async (_o: unknown, c: Command) => {
      await withApp(configFrom(c), async (app) => print([`created ${await app.migrations.snapshot()}`], ''));
    });

  cmd
    .command('history-sync')
    .description('forget applied migrations whose files were deleted')
    .action(async (_o: unknown, c: Command) => {
      await withApp(configFrom(c), async (app) =>
        print(
          (await app.migrations.historySync()).map((f) => `forgot ${f}`),
          'history is in sync',
        ),
      );
    });
}
