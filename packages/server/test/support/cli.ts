import { execFile } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type App, createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { type Dialect, silentLogger } from './app.ts';
import { schemaUrl } from './pg.ts';
import { testStorage } from './storage.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const BIN = fileURLToPath(new URL('../../../../node_modules/.bin', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node packages/server/src/main.ts <args>` as a child process in `cwd`, with the
 * repo's Node 24 first on PATH and no FORGEBASE_* variables from the parent (`extraEnv` added).
 */
export function runForgebase(
  args: string[],
  cwd: string,
  extraEnv: Record<string, string> = {},
  /** Written to the command's stdin (then closed). */
  input?: string,
): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...extraEnv };
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FORGEBASE_')) env[k] = v;
  env.PATH = `${BIN}${delimiter}${process.env.PATH ?? ''}`;
  return new Promise((resolve) => {
    const child = execFile('node', [MAIN, ...args], { cwd, env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** A working directory and database for CLI runs: a temp dir plus a SQLite file or a PostgreSQL schema. */
export interface CliTarget {
  cwd: string;
  /** The global flags that point the CLI at this target (`--dir`, `--db`). */
  flags: string[];
  /** Runs `forgebase <flags> <args>` in `cwd`. */
  run(...args: string[]): Promise<CliResult>;
  /** Opens the same database in this process (not listening), runs `fn`, closes it. */
  withApp<T>(fn: (app: App) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A fresh CLI target for a dialect; migrations live in `<cwd>/fb_migrations` (the default). */
export function cliTarget(dialect: Dialect): CliTarget {
  const storage = testStorage(dialect, 'fb-cli-');
  const { dir: cwd, schema } = storage;
  const dataDir = join(cwd, 'data');
  const db = dialect === 'postgres' ? schemaUrl(schema) : join(cwd, 'db', 'main.db');
  const flags = ['--dir', dataDir, '--db', db];
  return {
    cwd,
    flags,
    run: (...args) => runForgebase([...flags, ...args], cwd),
    async withApp(fn) {
      const config = loadConfig({ dataDir, db, migrationsDir: join(cwd, 'fb_migrations') }, {}, cwd);
      const app = await createApp(config, { logger: silentLogger() });
      try {
        return await fn(app);
      } finally {
        await app.stop();
      }
    },
    close: () => storage.remove(),
  };
}
