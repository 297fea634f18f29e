import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';

export const DEFAULT_HTTP = '127.0.0.1:8090';
export const DEFAULT_DATA_DIR = './fb_data';
export const DEFAULT_MIGRATIONS_DIR = './fb_migrations';
export const DEFAULT_BODY_LIMIT = 32 * 1024 * 1024;

/** Everything ForgeBase reads at start-up, from flags, then env (FORGEBASE_*), then forgebase.toml. */
export interface Config {
  /** host:port to listen on. */
  http: string;
  /** The data directory (SQLite file, storage, backups, logs). */
  dataDir: string;
  /** A SQLite file path or a postgres:// URL; default `<dataDir>/data.db`. */
  db?: string;
  /** Where schema migration files are written and read. */
  migrationsDir: string;
  /** Write a migration file for every schema change made through the API. */
  automigrate: boolean;
  /** SQLite durability: NORMAL survives a process crash, FULL also a power loss. */
  sqliteSync: 'NORMAL' | 'FULL';
  logLevel: string;
  /** Log one line per request. */
  logRequests: boolean;
  bodyLimit: number;
}

type Partial_ = { [K in keyof Config]?: Config[K] | undefined };

const ENV: Record<string, keyof Config> = {
  FORGEBASE_HTTP: 'http',
  FORGEBASE_DIR: 'dataDir',
  FORGEBASE_DB: 'db',
  FORGEBASE_MIGRATIONS_DIR: 'migrationsDir',
  FORGEBASE_AUTOMIGRATE: 'automigrate',
  FORGEBASE_SQLITE_SYNC: 'sqliteSync',
  FORGEBASE_LOG_LEVEL: 'logLevel',
  FORGEBASE_LOG_REQUESTS: 'logRequests',
  FORGEBASE_BODY_LIMIT: 'bodyLimit',
};

const TOML: Record<string, keyof Config> = {
  http: 'http',
  dir: 'dataDir',
  db: 'db',
  migrations_dir: 'migrationsDir',
  automigrate: 'automigrate',
  sqlite_sync: 'sqliteSync',
  log_level: 'logLevel',
  log_requests: 'logRequests',
  body_limit: 'bodyLimit',
};

function coerce(key: keyof Config, v: unknown): unknown {
  if (key === 'automigrate' || key === 'logRequests')
    return v === true || /^(1|true|yes|on)$/i.test(String(v));
  if (key === 'bodyLimit') {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`invalid ${key}: ${String(v)}`);
    return n;
  }
  if (key === 'sqliteSync') {
    const s = String(v).toUpperCase();
    if (s !== 'NORMAL' && s !== 'FULL') throw new Error(`invalid sqlite sync mode: ${String(v)}`);
    return s;
  }
  return String(v);
}

/**
 * Builds the Config. Precedence: explicit flags, then FORGEBASE_* env, then
 * `forgebase.toml` in the working directory (or the file FORGEBASE_CONFIG names).
 */
export function loadConfig(
  flags: Partial_ = {},
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): Config {
  const out: Record<string, unknown> = {};
  const tomlPath = env.FORGEBASE_CONFIG ? resolve(cwd, env.FORGEBASE_CONFIG) : resolve(cwd, 'forgebase.toml');
  if (existsSync(tomlPath)) {
    const doc = parseToml(readFileSync(tomlPath, 'utf8')) as Record<string, unknown>;
    for (const [k, v] of Object.entries(doc)) {
      const key = TOML[k];
      if (!key) throw new Error(`${tomlPath}: unknown setting "${k}"`);
      out[key] = coerce(key, v);
    }
  }
  for (const [name, key] of Object.entries(ENV)) {
    if (env[name] !== undefined && env[name] !== '') out[key] = coerce(key, env[name]);
  }
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) out[k] = coerce(k as keyof Config, v);
  const config: Config = {
    http: DEFAULT_HTTP,
    dataDir: DEFAULT_DATA_DIR,
    migrationsDir: DEFAULT_MIGRATIONS_DIR,
    automigrate: true,
    sqliteSync: 'NORMAL',
    logLevel: 'info',
    logRequests: true,
    bodyLimit: DEFAULT_BODY_LIMIT,
    ...(out as Partial<Config>),
  };
  config.dataDir = resolve(cwd, config.dataDir);
  config.migrationsDir = resolve(cwd, config.migrationsDir);
  if (config.db && !/^postgres(ql)?:\/\//.test(config.db)) config.db = resolve(cwd, config.db);
  parseHostPort(config.http);
  return config;
}

/** Splits `host:port` (IPv6 in brackets); throws on a malformed value. */
export function parseHostPort(http: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(http);
  if (!m) throw new Error(`invalid --http address "${http}", expected host:port`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`invalid port ${port}`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}
