// The server of `npm run bench:live`: ForgeBase as `serve` builds it, with the live query
// engine's options from argv (the naive baseline is a benchmark-only option, not a config key).
// Usage: node bench/live-server.ts <dataDir> <host:port> <shared|naive>
import { createApp } from '../packages/server/src/app.ts';
import { loadConfig } from '../packages/server/src/config.ts';
import { SUPERUSER } from './targets.ts';

const [dataDir, http, mode] = process.argv.slice(2);
if (!dataDir || !http || (mode !== 'shared' && mode !== 'naive'))
  throw new Error('usage: live-server.ts <dataDir> <host:port> <shared|naive>');
const config = loadConfig({ dataDir, http, migrationsDir: `${dataDir}/../fb_migrations` });
const app = await createApp(config, { applyMigrations: true, live: { naive: mode === 'naive' } });
await app.start();
await app.records.asSystem().create('_superusers', {
  email: SUPERUSER.email,
  password: SUPERUSER.password,
  passwordConfirm: SUPERUSER.password,
});
const stop = () => app.stop().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
