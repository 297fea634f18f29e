import type { SystemMigration } from '../db/system-migrations.ts';

const USER_SECRETS = `
  CREATE TABLE _user_secrets (
    name TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL);`;

/** The vault's table: user secrets for functions, sealed (AES-256-GCM). Append only. */
export const SECRETS_MIGRATIONS: readonly SystemMigration[] = [
  { name: '0021_user_secrets', sqlite: USER_SECRETS, postgres: USER_SECRETS },
];
