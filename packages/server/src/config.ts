import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import {
  type BackupsS3,
  backupsS3,
  cronSetting,
  DEFAULT_BACKUPS_S3,
  DEFAULT_RATE_LIMIT_RULES,
  HEADER_NAME_RE,
  type RateLimitRule,
  rateLimitRules,
} from './config-sections.ts';
import { proxyList } from './tools/client-ip.ts';

export {
  type BackupsS3,
  DEFAULT_BACKUPS_S3,
  DEFAULT_RATE_LIMIT_RULES,
  HEADER_NAME_RE,
  type RateLimitRule,
  type S3Settings,
} from './config-sections.ts';

export const DEFAULT_HTTP = '127.0.0.1:8090';
export const DEFAULT_DATA_DIR = './fb_data';
export const DEFAULT_MIGRATIONS_DIR = './fb_migrations';
export const DEFAULT_FUNCTIONS_DIR = './fb_functions';
export const DEFAULT_BODY_LIMIT = 32 * 1024 * 1024;
export const DEFAULT_CHANGES_RETENTION_HOURS = 168;
export const DEFAULT_BATCH_MAX_REQUESTS = 50;
/** Supabase Storage's default global file size limit (50 MiB). */
export const DEFAULT_STORAGE_MAX_OBJECT_SIZE = 50 * 1024 * 1024;

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
  /** Where the project's server functions live (`fb_functions/`, docs/functions.md). */
  functionsDir: string;
  /**
   * Values functions read as `ctx.env`: forgebase.toml's `[env]` table, then each
   * `FORGEBASE_ENV_<NAME>` variable (as `NAME`).
   */
  env: Record<string, string>;
  /** Write a migration file for every schema change made through the API. */
  automigrate: boolean;
  /** SQLite durability: NORMAL survives a process crash, FULL also a power loss. */
  sqliteSync: 'NORMAL' | 'FULL';
  logLevel: string;
  /** Log one line per request. */
  logRequests: boolean;
  bodyLimit: number;
  /** A request's headers must arrive within this (408). */
  headersTimeoutSeconds: number;
  /** A JSON or form body must arrive within this (408); streamed uploads only obey the idle timeout. */
  requestTimeoutSeconds: number;
  /** A connection with no byte in either direction for this long is closed (uploads included). */
  idleTimeoutSeconds: number;
  /** Most sub-requests one `POST /api/batch` may carry. */
  batchMaxRequests: number;
  /** `POST /api/batch` is served (settings `batch.enabled`); off = 403. */
  batchEnabled: boolean;
  /** A batch's operations must finish within this, or it is rolled back (settings `batch.timeout`). */
  batchTimeoutSeconds: number;
  /** The largest batch body in bytes; 0 = the `bodyLimit` (settings `batch.maxBodySize`). */
  batchMaxBodySize: number;
  /** Rate limits on (settings `rateLimits.enabled`). */
  rateLimitsEnabled: boolean;
  /** Settings `rateLimits.rules`; PocketBase's defaults unless set. */
  rateLimitsRules: RateLimitRule[];
  /** Client IPs/CIDRs never rate limited (settings `rateLimits.excludedIPs`). */
  rateLimitsExcludedIps: string[];
  /** When non-empty, superuser requests from other IPs/CIDRs are refused (settings `superuserIPs`). */
  superuserIps: string[];
  /** How long entries of the `_changes` log are kept, in hours. */
  changesRetentionHours: number;
  /** Most live queries one realtime WebSocket may have open (docs/live-queries.md). */
  liveMaxPerSocket: number;
  /** Webhooks may deliver to private, loopback and link-local addresses (off: SSRF guard). */
  webhooksAllowPrivate: boolean;
  /** Jobs one node runs at once (its worker pool, docs/jobs.md). */
  jobsWorkers: number;
  /** SMTP server for outgoing mail; unset = mail is logged instead of sent (development). */
  smtpHost?: string;
  smtpPort: number;
  smtpUser?: string;
  smtpPassword?: string;
  /** Implicit TLS (port 465); otherwise STARTTLS is used when the server offers it. */
  smtpTls: boolean;
  /**
   * Explicit opt-out of SMTP transport security: accept any certificate and send credentials
   * without TLS. Off by default: certificates are verified, and with credentials TLS is required
   * (except to a loopback host).
   */
  smtpInsecure: boolean;
  /**
   * Development mode (`serve --dev`): with SMTP unset, a mail's text (its link or code) is
   * printed in the log. Otherwise the log only says a mail was not sent.
   */
  dev: boolean;
  /** The From address of outgoing mail. */
  mailFrom: string;
  /** The From name of outgoing mail (settings `meta.senderName`); unset = the app name. */
  mailFromName?: string;
  /** Settings `meta.hideControls` (PocketBase's dashboard flag; kept and returned). */
  hideControls: boolean;
  /** SMTP AUTH mechanism: PLAIN (default) or LOGIN (settings `smtp.authMethod`). */
  smtpAuthMethod: 'PLAIN' | 'LOGIN';
  /** The EHLO name sent to the SMTP server ('' = the machine's host name) (settings `smtp.localName`). */
  smtpLocalName: string;
  /** {APP_NAME} and {APP_URL} in mail templates. */
  appName: string;
  appUrl: string;
  /** Failed sign-ins allowed per identity, and per client IP, within `authFailWindowSeconds`. */
  authFailLimitIdentity: number;
  authFailLimitIp: number;
  authFailWindowSeconds: number;
  /**
   * Once a count reaches its limit, one more attempt is let through after this many
   * seconds, the wait doubling each time (at most the window): a right password gets in.
   */
  authFailBackoffSeconds: number;
  /** Addresses/CIDRs of reverse proxies whose client-address headers are believed. */
  trustedProxies: string[];
  /** Headers naming the client address behind a trusted proxy (settings `trustedProxy.headers`). */
  trustedProxyHeaders: string[];
  /** Use the leftmost address of such a header (settings `trustedProxy.useLeftmostIP`). */
  trustedProxyUseLeftmostIp: boolean;
  /** The largest storage object, whatever its bucket says (a bucket's maxSize may only lower it; tus too). */
  storageMaxObjectSize: number;
  /** How many transformed variants (sizes, formats) of one image are cached; older ones are evicted. */
  storageTransformVariants: number;
  /** S3-compatible file storage: used instead of `<dataDir>/storage` when a bucket is set. */
  s3Bucket?: string;
  /**
   * Record files go to the `s3*` bucket (settings `s3.enabled`); defaults to whether a bucket
   * is configured. Switching it at runtime moves new record files, not existing ones.
   */
  s3Enabled: boolean;
  s3Endpoint?: string;
  s3Region: string;
  s3AccessKey?: string;
  s3Secret?: string;
  s3ForcePathStyle: boolean;
  /** The time zone of cron schedules (IANA name, e.g. `Europe/Berlin`); default UTC. */
  cronTimezone: string;
  /** Schedule of automatic backups (settings `backups.cron`, a cron expression); '' = none. */
  backupsCron: string;
  /** How many automatic backups are kept, newest first (settings `backups.cronMaxKeep`); 0 = all. */
  backupsCronMaxKeep: number;
  /** Where backups go: an S3 bucket when enabled (settings `backups.s3`), else `<dataDir>/backups`. */
  backupsS3: BackupsS3;
  /**
   * The name of an environment variable holding the key that seals secrets at rest
   * (PocketBase's `--encryptionEnv`); `<NAME>_PREVIOUS` may hold the key being rotated out.
   */
  encryptionEnv?: string;
  /** The key that seals secrets at rest (env only); unset: `<dataDir>/.encryption_key`. */
  encryptionKey?: string;
  /** A previous key, still accepted for reading; its values are re-sealed at start. */
  encryptionKeyPrevious?: string;
  /** Request logs are kept this many days (settings `logs.maxDays`); 0 turns request logging off. */
  logsMaxDays: number;
  /** Log entries below this level are not stored: -4 debug, 0 info, 4 warn, 8 error (`logs.minLevel`). */
  logsMinLevel: number;
  /** Store the client's IP addresses (`userIP`, `remoteIP`) with each request (`logs.logIP`). */
  logsLogIp: boolean;
  /** Store the signed-in record's id (`authId`) with each request (`logs.logAuthId`). */
  logsLogAuthId: boolean;
  /** Audit entries are kept this many days, then pruned behind a checkpoint (docs/audit.md); 0 = forever. */
  auditRetentionDays: number;
  /** PEM file of an Ed25519 private key that signs the audit chain's head every 10 minutes. */
  auditSigningKeyFile?: string;
  /**
   * Origins browsers may call the API from (CORS): `*` (default) allows every origin;
   * entries may hold `*` and `?` wildcards (`https://*.example.com`). PocketBase's `--origins`.
   */
  origins: string[];
  /** Static files served at `/` (PocketBase's `pb_public`); default `fb_public` beside the data dir. */
  publicDir: string;
  /** Serve `index.html` of `publicDir` for a path with no file (single-page apps); off by default. */
  indexFallback: boolean;
  /** The admin dashboard's build served at `/_/`; empty (default): the built `@forgebase/dashboard`. */
  dashboardDir: string;
  /** host:port of an HTTPS listener (with `httpsCert` and `httpsKey`); unset = plain HTTP only. */
  https?: string;
  /** PEM certificate chain file for `https`. */
  httpsCert?: string;
  /** PEM private key file for `https`. */
  httpsKey?: string;
  /** A read query running longer than this is cancelled (PocketBase's `--queryTimeout`, default 30). */
  queryTimeoutSeconds: number;
  /** A token that may scrape `GET /metrics` (`Authorization: Bearer <token>`) besides superusers; unset: superusers only. */
  metricsToken?: string;
  /**
   * OpenTelemetry traces go to this OTLP/HTTP endpoint (a collector's base URL such as
   * `http://localhost:4318`, or its full `/v1/traces` URL); unset: tracing is off.
   */
  otelEndpoint?: string;
}

type Partial_ = { [K in keyof Config]?: Config[K] | undefined };

const TOML: Record<string, keyof Config> = {
  http: 'http',
  dir: 'dataDir',
  db: 'db',
  migrations_dir: 'migrationsDir',
  functions_dir: 'functionsDir',
  automigrate: 'automigrate',
  sqlite_sync: 'sqliteSync',
  log_level: 'logLevel',
  log_requests: 'logRequests',
  body_limit: 'bodyLimit',
  headers_timeout_seconds: 'headersTimeoutSeconds',
  request_timeout_seconds: 'requestTimeoutSeconds',
  idle_timeout_seconds: 'idleTimeoutSeconds',
  changes_retention_hours: 'changesRetentionHours',
  live_max_per_socket: 'liveMaxPerSocket',
  webhooks_allow_private: 'webhooksAllowPrivate',
  jobs_workers: 'jobsWorkers',
  batch_max_requests: 'batchMaxRequests',
  batch_enabled: 'batchEnabled',
  batch_timeout_seconds: 'batchTimeoutSeconds',
  batch_max_body_size: 'batchMaxBodySize',
  rate_limits_enabled: 'rateLimitsEnabled',
  rate_limits_rules: 'rateLimitsRules',
  rate_limits_excluded_ips: 'rateLimitsExcludedIps',
  superuser_ips: 'superuserIps',
  backups_cron: 'backupsCron',
  backups_cron_max_keep: 'backupsCronMaxKeep',
  backups_s3: 'backupsS3',
  mail_from_name: 'mailFromName',
  hide_controls: 'hideControls',
  smtp_auth_method: 'smtpAuthMethod',
  smtp_local_name: 'smtpLocalName',
  s3_enabled: 's3Enabled',
  smtp_host: 'smtpHost',
  smtp_port: 'smtpPort',
  smtp_user: 'smtpUser',
  smtp_password: 'smtpPassword',
  smtp_tls: 'smtpTls',
  smtp_insecure: 'smtpInsecure',
  dev: 'dev',
  mail_from: 'mailFrom',
  app_name: 'appName',
  app_url: 'appUrl',
  auth_fail_limit_identity: 'authFailLimitIdentity',
  auth_fail_limit_ip: 'authFailLimitIp',
  auth_fail_window_seconds: 'authFailWindowSeconds',
  auth_fail_backoff_seconds: 'authFailBackoffSeconds',
  trusted_proxies: 'trustedProxies',
  trusted_proxy_headers: 'trustedProxyHeaders',
  trusted_proxy_use_leftmost_ip: 'trustedProxyUseLeftmostIp',
  storage_max_object_size: 'storageMaxObjectSize',
  storage_transform_variants: 'storageTransformVariants',
  s3_bucket: 's3Bucket',
  s3_endpoint: 's3Endpoint',
  s3_region: 's3Region',
  s3_access_key: 's3AccessKey',
  s3_secret: 's3Secret',
  s3_force_path_style: 's3ForcePathStyle',
  cron_timezone: 'cronTimezone',
  // the key itself is not a toml setting: it comes from the environment (or the key file)
  encryption_env: 'encryptionEnv',
  logs_max_days: 'logsMaxDays',
  logs_min_level: 'logsMinLevel',
  logs_log_ip: 'logsLogIp',
  logs_log_auth_id: 'logsLogAuthId',
  audit_retention_days: 'auditRetentionDays',
  audit_signing_key_file: 'auditSigningKeyFile',
  origins: 'origins',
  public_dir: 'publicDir',
  index_fallback: 'indexFallback',
  dashboard_dir: 'dashboardDir',
  https: 'https',
  https_cert: 'httpsCert',
  https_key: 'httpsKey',
  query_timeout_seconds: 'queryTimeoutSeconds',
  metrics_token: 'metricsToken',
  otel_endpoint: 'otelEndpoint',
};

/**
 * The environment variables: `FORGEBASE_` and the forgebase.toml key in upper case
 * (`logs_max_days` → `FORGEBASE_LOGS_MAX_DAYS`), plus the keys only the environment may
 * hold (the keys that seal secrets are never written into a file).
 */
const ENV: Record<string, keyof Config> = {
  ...Object.fromEntries(Object.entries(TOML).map(([name, key]) => [`FORGEBASE_${name.toUpperCase()}`, key])),
  FORGEBASE_ENCRYPTION_KEY: 'encryptionKey',
  FORGEBASE_ENCRYPTION_KEY_PREVIOUS: 'encryptionKeyPrevious',
};

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Turns one raw setting into its typed value; `source` names where it came from, for the error. */
function coerce(key: keyof Config, v: unknown, source: string): unknown {
  const invalid = (expected: string) =>
    new Error(`${source}: invalid value ${JSON.stringify(v)}, expected ${expected}`);
  if (key === 'rateLimitsRules') return rateLimitRules(v, invalid);
  if (
    key === 'trustedProxies' ||
    key === 'trustedProxyHeaders' ||
    key === 'rateLimitsExcludedIps' ||
    key === 'superuserIps'
  ) {
    const list = Array.isArray(v) ? v.map(String) : String(v).split(',');
    const items = list.map((s) => s.trim()).filter(Boolean);
    if (key !== 'trustedProxyHeaders') {
      try {
        proxyList(items);
      } catch {
        throw invalid('IP addresses or CIDRs (10.0.0.0/8)');
      }
    } else if (items.some((h) => !HEADER_NAME_RE.test(h))) throw invalid('a list of header names');
    return items;
  }
  if (key === 'origins') {
    const list = Array.isArray(v) ? v.map(String) : String(v).split(',');
    const items = list.map((s) => s.trim()).filter(Boolean);
    if (!items.length || items.some((o) => /[\s,]/.test(o) || o.length > 300))
      throw invalid('a list of origins (https://example.com, https://*.example.com or *)');
    return items;
  }
  if (
    key === 'automigrate' ||
    key === 'indexFallback' ||
    key === 'logRequests' ||
    key === 'smtpTls' ||
    key === 's3ForcePathStyle' ||
    key === 'trustedProxyUseLeftmostIp' ||
    key === 'smtpInsecure' ||
    key === 'dev' ||
    key === 'batchEnabled' ||
    key === 'rateLimitsEnabled' ||
    key === 'webhooksAllowPrivate' ||
    key === 'logsLogIp' ||
    key === 'logsLogAuthId' ||
    key === 'hideControls' ||
    key === 's3Enabled'
  ) {
    if (typeof v === 'boolean') return v;
    if (/^(1|true|yes|on)$/i.test(String(v))) return true;
    if (/^(0|false|no|off)$/i.test(String(v))) return false;
    throw invalid('true or false');
  }
  if (
    key === 'batchMaxBodySize' ||
    key === 'logsMaxDays' ||
    key === 'logsMinLevel' ||
    key === 'auditRetentionDays'
  ) {
    const n = typeof v === 'number' || (typeof v === 'string' && v.trim() !== '') ? Number(v) : Number.NaN;
    if (!Number.isSafeInteger(n) || (n < 0 && key !== 'logsMinLevel'))
      throw invalid(
        key === 'logsMinLevel'
          ? 'an integer level'
          : key === 'logsMaxDays' || key === 'auditRetentionDays'
            ? 'a number of days (0 or more)'
            : 'a number, 0 or more',
      );
    return n;
  }
  if (key === 'smtpAuthMethod') {
    const s = String(v).toUpperCase();
    if (s !== 'PLAIN' && s !== 'LOGIN') throw invalid('PLAIN or LOGIN');
    return s;
  }
  if (
    key === 'bodyLimit' ||
    key.endsWith('TimeoutSeconds') ||
    key === 'changesRetentionHours' ||
    key === 'liveMaxPerSocket' ||
    key === 'batchMaxRequests' ||
    key === 'jobsWorkers' ||
    key.startsWith('storage') ||
    key === 'smtpPort' ||
    key.startsWith('authFail')
  ) {
    const n = typeof v === 'number' || (typeof v === 'string' && v.trim() !== '') ? Number(v) : Number.NaN;
    if (!Number.isSafeInteger(n) || n <= 0)
      throw invalid(
        key === 'bodyLimit'
          ? 'a positive number of bytes'
          : key === 'changesRetentionHours'
            ? 'a positive number of hours'
            : key.endsWith('TimeoutSeconds')
              ? 'a positive number of seconds'
              : 'a positive number',
      );
    return n;
  }
  if (key === 'backupsCronMaxKeep') {
    const n = typeof v === 'number' || (typeof v === 'string' && v.trim() !== '') ? Number(v) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < 0) throw invalid('a number of backups (0 = keep all)');
    return n;
  }
  if (key === 'backupsS3') return backupsS3(v, invalid);
  if (key === 'cronTimezone' || key === 'backupsCron') return cronSetting(key, String(v).trim(), invalid);
  if (key === 'sqliteSync') {
    const s = String(v).toUpperCase();
    if (s !== 'NORMAL' && s !== 'FULL') throw invalid('NORMAL or FULL');
    return s;
  }
  if (key === 'otelEndpoint') {
    const s = String(v).trim();
    if (!URL.canParse(s) || !/^https?:$/.test(new URL(s).protocol)) throw invalid('an http(s) URL');
    return s;
  }
  if (key === 'metricsToken') {
    const s = String(v);
    if (s.length < 16) throw invalid('a token of 16 characters or more');
    return s;
  }
  if (key === 'logLevel') {
    const s = String(v).toLowerCase();
    if (!LOG_LEVELS.includes(s)) throw invalid(LOG_LEVELS.join(', '));
    return s;
  }
  return String(v);
}

const FLAG_NAMES: Partial<Record<keyof Config, string>> = {
  http: '--http',
  dataDir: '--dir',
  db: '--db',
  migrationsDir: '--migrations-dir',
  functionsDir: '--functions-dir',
  encryptionEnv: '--encryptionEnv',
  origins: '--origins',
  publicDir: '--publicDir',
  https: '--https',
  httpsCert: '--httpsCert',
  httpsKey: '--httpsKey',
  queryTimeoutSeconds: '--queryTimeout',
};

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
    let doc: Record<string, unknown>;
    try {
      doc = parseToml(readFileSync(tomlPath, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`${tomlPath}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    for (const [k, v] of Object.entries(doc)) {
      if (k === 'env') {
        out.env = envTable(v, `${tomlPath}: env`);
        continue;
      }
      const key = TOML[k];
      if (!key) throw new Error(`${tomlPath}: unknown setting "${k}"`);
      out[key] = coerce(key, v, `${tomlPath}: ${k}`);
    }
  }
  for (const [name, key] of Object.entries(ENV)) {
    if (env[name] !== undefined && env[name] !== '') out[key] = coerce(key, env[name], name);
  }
  const fromEnv = Object.entries(env).filter(
    ([name]) => name.startsWith(ENV_PREFIX) && name.length > ENV_PREFIX.length,
  );
  if (fromEnv.length) {
    out.env = {
      ...(out.env as Record<string, string> | undefined),
      ...Object.fromEntries(fromEnv.map(([name, v]) => [name.slice(ENV_PREFIX.length), String(v)])),
    };
  }
  for (const [k, v] of Object.entries(flags)) {
    if (k === 'env' && v && typeof v === 'object') {
      out.env = { ...(out.env as Record<string, string> | undefined), ...(v as Record<string, string>) };
      continue;
    }
    if (v !== undefined) out[k] = coerce(k as keyof Config, v, FLAG_NAMES[k as keyof Config] ?? k);
  }
  const config: Config = {
    http: DEFAULT_HTTP,
    dataDir: DEFAULT_DATA_DIR,
    migrationsDir: DEFAULT_MIGRATIONS_DIR,
    functionsDir: DEFAULT_FUNCTIONS_DIR,
    env: {},
    automigrate: true,
    sqliteSync: 'NORMAL',
    logLevel: 'info',
    logRequests: true,
    bodyLimit: DEFAULT_BODY_LIMIT,
    headersTimeoutSeconds: 20,
    requestTimeoutSeconds: 30,
    idleTimeoutSeconds: 60,
    changesRetentionHours: DEFAULT_CHANGES_RETENTION_HOURS,
    liveMaxPerSocket: 100,
    webhooksAllowPrivate: false,
    jobsWorkers: 4,
    batchMaxRequests: DEFAULT_BATCH_MAX_REQUESTS,
    smtpPort: 587,
    smtpTls: false,
    smtpInsecure: false,
    dev: false,
    mailFrom: 'no-reply@example.com',
    appName: 'ForgeBase',
    appUrl: 'http://localhost:8090',
    authFailLimitIdentity: 5,
    authFailLimitIp: 50,
    authFailWindowSeconds: 900,
    authFailBackoffSeconds: 30,
    trustedProxies: [],
    trustedProxyHeaders: [],
    trustedProxyUseLeftmostIp: false,
    storageMaxObjectSize: DEFAULT_STORAGE_MAX_OBJECT_SIZE,
    storageTransformVariants: 20,
    s3Region: 'us-east-1',
    s3ForcePathStyle: false,
    batchEnabled: true,
    batchTimeoutSeconds: 3,
    batchMaxBodySize: 0,
    rateLimitsEnabled: true,
    rateLimitsRules: DEFAULT_RATE_LIMIT_RULES.map((r) => ({ ...r })),
    rateLimitsExcludedIps: [],
    superuserIps: [],
    logsMaxDays: 5,
    logsMinLevel: 0,
    logsLogIp: true,
    logsLogAuthId: false,
    auditRetentionDays: 0,
    cronTimezone: 'UTC',
    backupsCron: '',
    backupsCronMaxKeep: 3,
    backupsS3: { ...DEFAULT_BACKUPS_S3 },
    hideControls: false,
    smtpAuthMethod: 'PLAIN',
    smtpLocalName: '',
    origins: ['*'],
    publicDir: '',
    indexFallback: false,
    dashboardDir: '',
    queryTimeoutSeconds: 30,
    ...(out as Partial<Config>),
    s3Enabled: (out.s3Enabled as boolean | undefined) ?? Boolean(out.s3Bucket),
  };
  config.dataDir = resolve(cwd, config.dataDir);
  // PocketBase's pb_public sits next to pb_data
  config.publicDir = config.publicDir
    ? resolve(cwd, config.publicDir)
    : join(dirname(config.dataDir), 'fb_public');
  if (config.dashboardDir) config.dashboardDir = resolve(cwd, config.dashboardDir);
  if (config.https !== undefined) {
    parseHostPort(config.https);
    if (!config.httpsCert || !config.httpsKey)
      throw new Error('--https needs a certificate pair: --httpsCert and --httpsKey (PEM files)');
    config.httpsCert = resolve(cwd, config.httpsCert);
    config.httpsKey = resolve(cwd, config.httpsKey);
  }
  // development mode logs debug lines (SQL timings among them) unless a level was chosen
  if (config.dev && out.logLevel === undefined) config.logLevel = 'debug';
  config.migrationsDir = resolve(cwd, config.migrationsDir);
  config.functionsDir = resolve(cwd, config.functionsDir);
  if (config.auditSigningKeyFile) config.auditSigningKeyFile = resolve(cwd, config.auditSigningKeyFile);
  if (config.db && !/^postgres(ql)?:\/\//.test(config.db)) config.db = resolve(cwd, config.db);
  if (config.encryptionEnv) readEncryptionEnv(config, config.encryptionEnv, env);
  parseHostPort(config.http);
  return config;
}

/** `FORGEBASE_ENV_NAME=value` is `ctx.env.NAME` in functions. */
const ENV_PREFIX = 'FORGEBASE_ENV_';

/** forgebase.toml's `[env]` table: names to text values (numbers and booleans as written). */
function envTable(v: unknown, source: string): Record<string, string> {
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw new Error(`${source}: expected a table of names and values ([env] NAME = "value")`);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(v)) {
    if (value !== null && typeof value === 'object')
      throw new Error(`${source}.${name}: expected a string, number or boolean`);
    out[name] = String(value);
  }
  return out;
}

/** `encryptionEnv` names the variable holding the key (and `<NAME>_PREVIOUS` the previous one). */
function readEncryptionEnv(config: Config, name: string, env: NodeJS.ProcessEnv): void {
  const key = env[name];
  if (!key)
    throw new Error(
      `encryptionEnv: the environment variable ${name} is not set (it must hold the encryption key)`,
    );
  config.encryptionKey = key;
  const previous = env[`${name}_PREVIOUS`];
  if (previous) config.encryptionKeyPrevious = previous;
}

/** Splits `host:port` (IPv6 in brackets); throws on a malformed value. */
export function parseHostPort(http: string): { host: string; port: number } {
  const m = /^(?:\[([^\]\s]+)\]|([^:\s]*)):(\d{1,5})$/.exec(http);
  if (!m) throw new Error(`invalid --http address "${http}", expected host:port`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`invalid port ${port}`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}
