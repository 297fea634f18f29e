import type { Command } from 'commander';
import { type App, createApp } from '../app.ts';
import { type Config, loadConfig } from '../config.ts';
import { ApiError, type ErrorData } from '../errors/api-error.ts';
import { createLogger } from '../observability/logger.ts';

/** The Config the global flags and a command's own flags describe. */
export function configFrom(cmd: Command, extra: Partial<Config> = {}): Config {
  const g = cmd.optsWithGlobals() as {
    dir?: string;
    db?: string;
    migrationsDir?: string;
    functionsDir?: string;
    encryptionEnv?: string;
    queryTimeout?: string;
  };
  return loadConfig({
    dataDir: g.dir,
    db: g.db,
    migrationsDir: g.migrationsDir,
    functionsDir: g.functionsDir,
    encryptionEnv: g.encryptionEnv,
    // the config checks it (a positive number of seconds)
    queryTimeoutSeconds: g.queryTimeout as unknown as number | undefined,
    ...extra,
  });
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

/**
 * One line for a failed command: the message plus each field error, e.g.
 * `Failed to create record. password: Must be at least 8 character(s).`
 */
export function errorText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  if (!(e instanceof ApiError)) return e.message;
  const parts: string[] = [];
  const walk = (data: ErrorData, path: string) => {
    for (const [key, v] of Object.entries(data)) {
      const at = path ? `${path}.${key}` : key;
      if (typeof v.message === 'string' && typeof v.code === 'string') parts.push(`${at}: ${v.message}`);
      else walk(v as ErrorData, at);
    }
  };
  walk(e.data, '');
  return [e.message, ...parts].join(' ');
}
