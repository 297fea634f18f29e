import type { Command } from 'commander';
import { type App, createApp } from '../app.ts';
import { type Config, loadConfig } from '../config.ts';
import { createLogger } from '../observability/logger.ts';

/** The Config the global flags and a command's own flags describe. */
export function configFrom(cmd: Command, extra: Partial<Config> = {}): Config {
  const g = cmd.optsWithGlobals() as { dir?: string; db?: string; migrationsDir?: string };
  return loadConfig({ dataDir: g.dir, db: g.db, migrationsDir: g.migrationsDir, ...extra });
}

/** Runs a one-shot command against an App that is not listening, then closes it. */
export async function withApp<T>(config: Config, fn: (app: App) => Promise<T>): Promise<T> {
  const app = await createApp(config, { logger: createLogger('warn') });
  try {
    return await fn(app);
  } finally {
    await app.stop();
  }
}
