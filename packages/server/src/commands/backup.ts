import type { Command } from 'commander';
import { configFrom, withApp } from './common.ts';
import { progressBar } from './progress.ts';

/**
 * `forgebase backup create [NAME] | list | restore NAME`: the backups API from the shell,
 * on the same backups store (`<dataDir>/backups` or the `backups_s3` bucket). A restore
 * from the CLI is meant for a stopped server: a running one keeps its cached schema.
 */
export function registerBackupCommand(program: Command): void {
  const cmd = program.command('backup').description('create, list and restore backups');
  cmd
    .command('create [name]')
    .description('back up the database and the stored files (name: a-z 0-9 _ - and .zip)')
    .action(async (name: string | undefined, _o: unknown, c: Command) => {
      await withApp(configFrom(c), async (app) => {
        const bar = progressBar('backup');
        try {
          const key = await app.backups.create(name ?? '', bar.update);
          bar.stop();
          const info = (await app.backups.list()).find((b) => b.key === key);
          process.stdout.write(`Backup ${key} created (${info?.size ?? 0} bytes).\n`);
        } finally {
          bar.stop();
        }
      });
    });

  cmd
    .command('list')
    .description('list the backups, newest first')
    .action(async (_o: unknown, c: Command) => {
      await withApp(configFrom(c), async (app) => {
        for (const b of await app.backups.list())
          process.stdout.write(`${b.key}\t${b.size}\t${b.modified}\n`);
      });
    });

  cmd
    .command('restore <name>')
    .description('replace the data with a backup (stop the server first)')
    .action(async (name: string, _o: unknown, c: Command) => {
      await withApp(configFrom(c), async (app) => {
        const bar = progressBar('restore');
        try {
          const { done } = await app.backups.restore(name, bar.update);
          await done;
          bar.stop();
          process.stdout.write(`Backup ${name} restored.\n`);
        } finally {
          bar.stop();
        }
      });
    });
}
