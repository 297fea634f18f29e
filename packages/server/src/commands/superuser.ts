import type { Command } from 'commander';
import { OPERATOR_ROLES, type OperatorRole } from '../auth/operator-roles.ts';
import { SUPERUSERS } from '../schema/collection.ts';
import { configFrom, withApp } from './common.ts';
import { registerSuperuserIpsCommand } from './superuser-ips.ts';

/** Loose email shape check for command arguments (the record lookup does the rest). */
const EMAIL_RE = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** `forgebase superuser upsert|otp|delete`: manage superusers without the API. */
export function registerSuperuserCommand(program: Command): void {
  const cmd = program.command('superuser').description('manage superusers');
  cmd
    .command('upsert <email> <password>')
    .description('create a superuser, or set the password of an existing one')
    .option('--role <role>', `the operator role: ${OPERATOR_ROLES.join(', ')} (new superusers: owner)`)
    .action(async (email: string, password: string, o: { role?: string }, c: Command) => {
      const role = o.role === undefined ? undefined : checkedRole(o.role);
      await withApp(configFrom(c), async (app) => {
        const su = app.collections.get(SUPERUSERS);
        const existing = await app.records.findByField(su, 'email', email);
        const body = { email, password, passwordConfirm: password, ...(role ? { role } : {}) };
        if (existing) await app.records.asSystem().update(SUPERUSERS, String(existing.id), body);
        else await app.records.asSystem().create(SUPERUSERS, body);
        process.stdout.write(`Superuser ${email} ${existing ? 'updated' : 'created'}.\n`);
      });
    });

  cmd
    .command('otp <email>')
    .description('create a new OTP for a superuser and print it (OTP auth must be enabled on _superusers)')
    .action(async (email: string, _o: unknown, c: Command) => {
      if (!EMAIL_RE.test(email)) throw new Error('invalid or missing email address');
      await withApp(configFrom(c), async (app) => {
        const su = app.collections.get(SUPERUSERS);
        const existing = await app.records.findByField(su, 'email', email);
        if (!existing) throw new Error(`superuser with email "${email}" doesn't exist`);
        const otp = await app.auth.createOtp(su, String(existing.id));
        process.stdout.write(
          `Successfully created OTP for superuser "${email}":\n├─ Id:    ${otp.id}\n├─ Pass:  ${otp.password}\n└─ Valid: ${otp.duration}s\n\n`,
        );
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

  cmd
    .command('role <email> <role>')
    .description(`set a superuser's operator role (${OPERATOR_ROLES.join(', ')})`)
    .action(async (email: string, roleText: string, _o: unknown, c: Command) => {
      const role = checkedRole(roleText);
      await withApp(configFrom(c), async (app) => {
        const su = app.collections.get(SUPERUSERS);
        const existing = await app.records.findByField(su, 'email', email);
        if (!existing) throw new Error(`no superuser with email ${email}`);
        await app.records.asSystem().update(SUPERUSERS, String(existing.id), { role });
        process.stdout.write(`Superuser ${email} is now ${role}.\n`);
      });
    });

  registerSuperuserIpsCommand(cmd);
}

/** A role given on the command line, or an error that lists the roles. */
function checkedRole(text: string): OperatorRole {
  if (!(OPERATOR_ROLES as readonly string[]).includes(text))
    throw new Error(`unknown role "${text}": one of ${OPERATOR_ROLES.join(', ')}`);
  return text as OperatorRole;
}
