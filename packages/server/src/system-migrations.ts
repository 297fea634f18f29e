import { AUDIT_MIGRATIONS } from './audit/migrations.ts';
import { AUTH_MIGRATIONS } from './auth/migrations.ts';
import { CHANGES_MIGRATIONS } from './changes/migrations.ts';
import { CRONS_MIGRATIONS } from './crons/migrations.ts';
import { DATABASES_MIGRATIONS } from './databases/migrations.ts';
import type { SystemMigration } from './db/system-migrations.ts';
import { WEBHOOKS_MIGRATIONS } from './jobs/webhooks/migrations.ts';
import { S3_MIGRATIONS } from './s3/migrations.ts';
import { CORE_MIGRATIONS } from './schema/migrations.ts';
import { SECRETS_MIGRATIONS } from './secrets/migrations.ts';
import { STORAGE_MIGRATIONS } from './storage/migrations.ts';

/**
 * Every capability's system migrations, for `openDatabase` (db/ runs them, in name order,
 * without importing upward). A capability with new tables adds its list here.
 */
export const SYSTEM_MIGRATIONS: readonly SystemMigration[] = [
  ...CORE_MIGRATIONS,
  ...AUTH_MIGRATIONS,
  ...STORAGE_MIGRATIONS,
  ...S3_MIGRATIONS,
  ...CHANGES_MIGRATIONS,
  ...CRONS_MIGRATIONS,
  ...AUDIT_MIGRATIONS,
  ...SECRETS_MIGRATIONS,
  ...DATABASES_MIGRATIONS,
  ...WEBHOOKS_MIGRATIONS,
];
