#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerAuditCommand } from './commands/audit.ts';
import { registerBackupCommand } from './commands/backup.ts';
import { registerCollectionsCommand } from './commands/collections.ts';
import { errorText } from './commands/common.ts';
import { registerDbCommand } from './commands/db.ts';
import { registerFunctionsCommand } from './commands/functions.ts';
import { registerGenJwtCommand } from './commands/gen-jwt.ts';
import { registerLogsCommand } from './commands/logs.ts';
import { registerMigrateCommand } from './commands/migrate.ts';
import { registerRecordsTransferCommands } from './commands/records-transfer.ts';
import { registerSecretsCommand } from './commands/secrets.ts';
import { registerSeedCommand } from './commands/seed.ts';
import { registerServeCommand } from './commands/serve.ts';
import { registerSuperuserCommand } from './commands/superuser.ts';
import { registerTypegenCommand } from './commands/typegen.ts';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** The `forgebase` CLI: parses argv and hands off to one command file per command. */
const program = new Command('forgebase')
  .description('ForgeBase: database, REST API, auth, storage and realtime in one process')
  // PocketBase's (cobra's) wording: `pocketbase version 0.23.0`
  .version(`forgebase version ${version}`, '-v, --version', 'print the version')
  .option('--dir <path>', 'data directory (default ./fb_data)')
  .option('--db <target>', 'SQLite file path or postgres:// URL')
  .option('--migrations-dir <path>', 'migration files directory (default ./fb_migrations)')
  .option('--functions-dir <path>', 'server functions directory (default ./fb_functions)')
  .option('--encryptionEnv <name>', 'environment variable holding the key that seals secrets at rest')
  .option('--queryTimeout <seconds>', 'cancel a read query running longer than this (default 30)')
  .showHelpAfterError();

registerServeCommand(program);
registerSuperuserCommand(program);
registerMigrateCommand(program);
registerBackupCommand(program);
registerSecretsCommand(program);
registerSeedCommand(program);
registerGenJwtCommand(program);
registerCollectionsCommand(program);
registerRecordsTransferCommands(program);
registerLogsCommand(program);
registerFunctionsCommand(program);
registerAuditCommand(program);
registerDbCommand(program);
registerTypegenCommand(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`forgebase: ${errorText(e)}\n`);
  process.exit(1);
});
