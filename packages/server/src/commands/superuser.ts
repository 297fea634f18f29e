import type { Command } from 'commander';
import { SUPERUSERS } from '../schema/collection.ts';
import { configFrom, withApp } from './common.ts';
import { registerSuperuserIpsCommand } from './superuser-ips.ts';

/** `forgebase superuser upsert|delete`: manage superusers without the API. */
export function registerSuperuserCommand(program: Command): void {
  const cmd = program.command('superuser').description('manage superusers');
  cmd
    .command('upsert <email> <password>')
    .description('create a superuser, or set the password of an existing one')
    .action(async (email: string, password: string, _o: unknown, c: Command) => {
      await withApp(configFrom(c), async (app) => {
        const su = app.collections.get(SUPERUSERS);
        const existing = await app.records.findByField(su, 'email', email);
        const body = { email, password, passwordConfirm: password };
        if (existing) await app.records.asSystem().update(SUPERUSERS, String(existing.id), body);
        else await app.records.asSystem().create(SUPERUSERS, body);
        process.stdout.write(`Superuser ${email} ${existing ? 'updated' : 'created'}.\n`);
      });
    });

  cmd
    .command('delete <email>')
    .description('delete a superuser')
    .action(async (email: string, _o: unknown, c: Command) => {
      await withApp(configFrom(c), async (app) => {
        const su = app.collections.get(SUPERUSERS);
        const existing = await app.records.findByField(su, 'email', email);
        if (!existing) throw new Error(`no superuser with email ${email}`);
        await app.records.asSystem().delete(SUPERUSERS, String(existing.id));
        process.stdout.write(`Superuser ${email} deleted.\n`);
      });
    });

  registerSuperuserIpsCommand(cmd);
}
