import type { Command } from 'commander';
import { configFrom, withApp } from './common.ts';

/**
 * `forgebase gen-jwt --collection users --id ID [--duration S]`: prints an auth token of a
 * record (FerriteDB's `gen-jwt`), for scripts, tests and support sessions. It is an
 * impersonation token (not refreshable), made by the same service call as
 * `POST /api/collections/{c}/impersonate/{id}`.
 */
export function registerGenJwtCommand(program: Command): void {
  program
    .command('gen-jwt')
    .description('print an auth token for a record of an auth collection (not refreshable)')
    .requiredOption('--collection <name>', 'the auth collection (name or id)')
    .requiredOption('--id <id>', 'the record id')
    .option('--duration <seconds>', "the token's lifetime (default: the collection's auth token duration)")
    .option('--json', 'print {"token", "record"} as JSON')
    .action(async (o: { collection: string; id: string; duration?: string; json?: boolean }, c: Command) => {
      // 0: the collection's auth token duration
      const duration = o.duration === undefined ? 0 : Number(o.duration);
      if (o.duration !== undefined && (!Number.isSafeInteger(duration) || duration <= 0))
        throw new Error('--duration: expected a positive whole number of seconds');
      await withApp(configFrom(c), async (app) => {
        const res = await app.auth.impersonate(o.collection, o.id, { duration });
        process.stdout.write(o.json ? `${JSON.stringify(res)}\n` : `${res.token}\n`);
      });
    });
}
