import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  DEFAULT_BACKUPS_S3,
  DEFAULT_BATCH_MAX_REQUESTS,
  DEFAULT_BODY_LIMIT,
  DEFAULT_CHANGES_RETENTION_HOURS,
  DEFAULT_RATE_LIMIT_RULES,
  loadConfig,
  parseHostPort,
} from '../../src/config.ts';

const TOML = `http = "0.0.0.0:7000"
dir = "toml_data"
db = "toml.db"
migrations_dir = "toml_migrations"
functions_dir = "toml_functions"
automigrate = false
sqlite_sync = "full"
log_level = "warn"
log_requests = false
body_limit = 1000
changes_retention_hours = 24
webhooks_allow_private = true
jobs_workers = 2
batch_max_requests = 7
smtp_host = "smtp.toml"
smtp_port = 2525
smtp_user = "mailer"
smtp_password = "secret"
smtp_tls = true
mail_from = "app@toml.test"
app_name = "Toml App"
app_url = "https://toml.test"
auth_fail_limit_identity = 3
auth_fail_limit_ip = 30
auth_fail_window_seconds = 60
auth_fail_backoff_seconds = 5
trusted_proxies = ["10.0.0.0/8", "::1"]
trusted_proxy_headers = ["X-Forwarded-For"]
trusted_proxy_use_leftmost_ip = true
s3_bucket = "files"
s3_endpoint = "http://127.0.0.1:9000"
s3_region = "eu-west-1"
s3_access_key = "AK"
s3_secret = "SK"
s3_force_path_style = true
logs_max_days = 0
logs_min_level = -4
logs_log_ip = false
logs_log_auth_id = true
audit_retention_days = 30
audit_signing_key_file = "/etc/forgebase/audit.pem"
cron_timezone = "Europe/Berlin"
backups_cron = "0 3 * * *"
backups_cron_max_keep = 0

[backups_s3]
enabled = true
bucket = "backups"
forcePathStyle = true

[env]
GREETING = "from toml"
COUNT = 3
`;

/** The runtime settings' keys (settings sections) at their defaults. */
const SETTINGS_DEFAULTS = {
  liveMaxPerSocket: 100,
  batchEnabled: true,
  batchTimeoutSeconds: 3,
  batchMaxBodySize: 0,
  rateLimitsEnabled: true,
  rateLimitsRules: DEFAULT_RATE_LIMIT_RULES,
  rateLimitsExcludedIps: [],
  superuserIps: [],
  logsMaxDays: 5,
  logsMinLevel: 0,
  logsLogIp: true,
  logsLogAuthId: false,
  backupsCron: '',
  backupsCronMaxKeep: 3,
  backupsS3: DEFAULT_BACKUPS_S3,
  hideControls: false,
  smtpAuthMethod: 'PLAIN',
  smtpLocalName: '',
  s3Enabled: false,
};

/** Mail and auth settings at their defaults. */
const MAIL_AUTH_DEFAULTS = {
  smtpPort: 587,
  smtpTls: false,
  smtpInsecure: false,
  headersTimeoutSeconds: 20,
  requestTimeoutSeconds: 30,
  idleTimeoutSeconds: 60,
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
  storageMaxObjectSize: 50 * 1024 * 1024,
  storageTransformVariants: 20,
  s3Region: 'us-east-1',
  s3ForcePathStyle: false,
  logsMaxDays: 5,
  logsMinLevel: 0,
  logsLogIp: true,
  logsLogAuthId: false,
  auditRetentionDays: 0,
  cronTimezone: 'UTC',
  backupsCron: '',
  backupsCronMaxKeep: 3,
  backupsS3: {
    enabled: false,
    bucket: '',
    region: '',
    endpoint: '',
    accessKey: '',
    secret: '',
    forcePathStyle: false,
  },
};

/** The HTTP settings at their defaults for a data dir in `dir` (fb_public beside it). */
const httpDefaults = (dir: string) => ({
  origins: ['*'],
  publicDir: join(dir, 'fb_public'),
  indexFallback: false,
  dashboardDir: '',
  queryTimeoutSeconds: 30,
});

/** The mail and auth settings of TOML above. */
const MAIL_AUTH_TOML = {
  smtpHost: 'smtp.toml',
  smtpPort: 2525,
  smtpUser: 'mailer',
  smtpPassword: 'secret',
  smtpTls: true,
  smtpInsecure: false,
  headersTimeoutSeconds: 20,
  requestTimeoutSeconds: 30,
  idleTimeoutSeconds: 60,
  dev: false,
  storageMaxObjectSize: 50 * 1024 * 1024,
  storageTransformVariants: 20,
  mailFrom: 'app@toml.test',
  appName: 'Toml App',
  appUrl: 'https://toml.test',
  authFailLimitIdentity: 3,
  authFailLimitIp: 30,
  authFailWindowSeconds: 60,
  authFailBackoffSeconds: 5,
  trustedProxies: ['10.0.0.0/8', '::1'],
  trustedProxyHeaders: ['X-Forwarded-For'],
  trustedProxyUseLeftmostIp: true,
  s3Bucket: 'files',
  s3Endpoint: 'http://127.0.0.1:9000',
  s3Region: 'eu-west-1',
  s3AccessKey: 'AK',
  s3Secret: 'SK',
  s3ForcePathStyle: true,
  logsMaxDays: 0,
  logsMinLevel: -4,
  logsLogIp: false,
  logsLogAuthId: true,
  auditRetentionDays: 30,
  auditSigningKeyFile: '/etc/forgebase/audit.pem',
  cronTimezone: 'Europe/Berlin',
  backupsCron: '0 3 * * *',
  backupsCronMaxKeep: 0,
  backupsS3: {
    enabled: true,
    bucket: 'backups',
    region: '',
    endpoint: '',
    accessKey: '',
    secret: '',
    forcePathStyle: true,
  },
};

describe('loadConfig', () => {
  let cwd = '';
  before(() => {
    cwd = mkdtempSync(join(tmpdir(), 'fb-config-'));
  });
  after(() => rmSync(cwd, { recursive: true, force: true }));
  const withToml = (text: string, name = 'forgebase.toml') => {
    const dir = mkdtempSync(join(cwd, 'case-'));
    writeFileSync(join(dir, name), text);
    return dir;
  };

  test('defaults: 127.0.0.1:8090, ./fb_data, ./fb_migrations, automigrate on', () => {
    assert.deepEqual(loadConfig({}, {}, cwd), {
      http: '127.0.0.1:8090',
      dataDir: join(cwd, 'fb_data'),
      migrationsDir: join(cwd, 'fb_migrations'),
      functionsDir: join(cwd, 'fb_functions'),
      env: {},
      automigrate: true,
      sqliteSync: 'NORMAL',
      logLevel: 'info',
      logRequests: true,
      bodyLimit: DEFAULT_BODY_LIMIT,
      changesRetentionHours: DEFAULT_CHANGES_RETENTION_HOURS,
      webhooksAllowPrivate: false,
      jobsWorkers: 4,
      batchMaxRequests: DEFAULT_BATCH_MAX_REQUESTS,
      ...SETTINGS_DEFAULTS,
      ...MAIL_AUTH_DEFAULTS,
      ...httpDefaults(cwd),
    });
  });

  test('forgebase.toml sets every key; relative paths resolve against the working directory', () => {
    const dir = withToml(TOML);
    assert.deepEqual(loadConfig({}, {}, dir), {
      http: '0.0.0.0:7000',
      dataDir: join(dir, 'toml_data'),
      db: join(dir, 'toml.db'),
      migrationsDir: join(dir, 'toml_migrations'),
      functionsDir: join(dir, 'toml_functions'),
      env: { GREETING: 'from toml', COUNT: '3' },
      automigrate: false,
      sqliteSync: 'FULL',
      logLevel: 'warn',
      logRequests: false,
      bodyLimit: 1000,
      changesRetentionHours: 24,
      webhooksAllowPrivate: true,
      jobsWorkers: 2,
      batchMaxRequests: 7,
      ...SETTINGS_DEFAULTS,
      s3Enabled: true,
      ...MAIL_AUTH_TOML,
      ...httpDefaults(dir),
    });
  });

  test('FORGEBASE_* env beats forgebase.toml', () => {
    const dir = withToml(TOML);
    const env = {
      FORGEBASE_HTTP: '127.0.0.1:7001',
      FORGEBASE_DIR: 'env_data',
      FORGEBASE_DB: 'postgres://u@h:5432/db?schema=s',
      FORGEBASE_MIGRATIONS_DIR: '/abs/env_migrations',
      FORGEBASE_FUNCTIONS_DIR: 'env_functions',
      FORGEBASE_ENV_GREETING: 'from env',
      FORGEBASE_ENV_EXTRA: 'x',
      FORGEBASE_AUTOMIGRATE: 'yes',
      FORGEBASE_SQLITE_SYNC: 'normal',
      FORGEBASE_LOG_LEVEL: 'DEBUG',
      FORGEBASE_LOG_REQUESTS: 'on',
      FORGEBASE_BODY_LIMIT: '2000',
      FORGEBASE_CHANGES_RETENTION_HOURS: '48',
      FORGEBASE_WEBHOOKS_ALLOW_PRIVATE: 'off',
      FORGEBASE_JOBS_WORKERS: '8',
      FORGEBASE_BATCH_MAX_REQUESTS: '9',
      FORGEBASE_SMTP_HOST: 'smtp.env',
      FORGEBASE_SMTP_TLS: 'off',
      FORGEBASE_AUTH_FAIL_LIMIT_IP: '99',
      FORGEBASE_TRUSTED_PROXIES: '192.168.0.0/16, 127.0.0.1',
      FORGEBASE_S3_FORCE_PATH_STYLE: 'false',
      FORGEBASE_S3_BUCKET: 'env-files',
      FORGEBASE_LOGS_MAX_DAYS: '30',
      FORGEBASE_LOGS_LOG_IP: 'yes',
    };
    assert.deepEqual(loadConfig({}, env, dir), {
      http: '127.0.0.1:7001',
      dataDir: join(dir, 'env_data'),
      db: 'postgres://u@h:5432/db?schema=s',
      migrationsDir: '/abs/env_migrations',
      functionsDir: join(dir, 'env_functions'),
      env: { GREETING: 'from env', COUNT: '3', EXTRA: 'x' },
      automigrate: true,
      sqliteSync: 'NORMAL',
      logLevel: 'debug',
      logRequests: true,
      bodyLimit: 2000,
      changesRetentionHours: 48,
      webhooksAllowPrivate: false,
      jobsWorkers: 8,
      batchMaxRequests: 9,
      ...SETTINGS_DEFAULTS,
      s3Enabled: true,
      ...MAIL_AUTH_TOML,
      smtpHost: 'smtp.env',
      smtpTls: false,
      authFailLimitIp: 99,
      trustedProxies: ['192.168.0.0/16', '127.0.0.1'],
      s3ForcePathStyle: false,
      s3Bucket: 'env-files',
      logsMaxDays: 30,
      logsLogIp: true,
      ...httpDefaults(dir),
    });
  });

  test("the settings sections' keys from toml and env (rules as tables or JSON, IP lists)", () => {
    const dir = withToml(`batch_enabled = false
batch_timeout_seconds = 9
rate_limits_excluded_ips = ["10.0.0.0/8"]
superuser_ips = ["203.0.113.7"]
logs_min_level = -4
backups_s3 = { enabled = true, bucket = "bk" }

[[rate_limits_rules]]
label = "/api/"
duration = 10
maxRequests = 5
`);
    const config = loadConfig({}, { FORGEBASE_SMTP_AUTH_METHOD: 'login', FORGEBASE_S3_ENABLED: 'true' }, dir);
    assert.equal(config.batchEnabled, false);
    assert.equal(config.batchTimeoutSeconds, 9);
    assert.deepEqual(config.rateLimitsRules, [
      { label: '/api/', audience: '', duration: 10, maxRequests: 5 },
    ]);
    assert.deepEqual(config.rateLimitsExcludedIps, ['10.0.0.0/8']);
    assert.deepEqual(config.superuserIps, ['203.0.113.7']);
    assert.equal(config.logsMinLevel, -4);
    assert.deepEqual(config.backupsS3, { ...DEFAULT_BACKUPS_S3, enabled: true, bucket: 'bk' });
    assert.equal(config.smtpAuthMethod, 'LOGIN');
    assert.equal(config.s3Enabled, true);
    const rules = '[{"label":"*:auth","duration":3,"maxRequests":2}]';
    assert.deepEqual(loadConfig({}, { FORGEBASE_RATE_LIMITS_RULES: rules }, cwd).rateLimitsRules, [
      { label: '*:auth', audience: '', duration: 3, maxRequests: 2 },
    ]);
    assert.throws(
      () => loadConfig({}, { FORGEBASE_RATE_LIMITS_RULES: '[{"label":"bad label!"}]' }, cwd),
      /FORGEBASE_RATE_LIMITS_RULES: invalid value/,
    );
    assert.throws(() => loadConfig({}, { FORGEBASE_SUPERUSER_IPS: 'nope' }, cwd), /FORGEBASE_SUPERUSER_IPS/);
  });

  test('the HTTP keys: origins, public dir, index fallback, HTTPS pair, query timeout', () => {
    const dir = withToml(
      'origins = ["https://app.test", "https://*.app.test"]\npublic_dir = "site"\nindex_fallback = true\n' +
        'dashboard_dir = "admin/dist"\n' +
        'https = "0.0.0.0:8443"\nhttps_cert = "tls/cert.pem"\nhttps_key = "tls/key.pem"\nquery_timeout_seconds = 5\n',
    );
    const config = loadConfig({}, {}, dir);
    assert.deepEqual(
      [
        config.origins,
        config.publicDir,
        config.indexFallback,
        config.dashboardDir,
        config.https,
        config.httpsCert,
        config.httpsKey,
      ],
      [
        ['https://app.test', 'https://*.app.test'],
        join(dir, 'site'),
        true,
        join(dir, 'admin/dist'),
        '0.0.0.0:8443',
        join(dir, 'tls/cert.pem'),
        join(dir, 'tls/key.pem'),
      ],
    );
    assert.equal(config.queryTimeoutSeconds, 5);
    const env = { FORGEBASE_ORIGINS: 'https://a.test, https://b.test', FORGEBASE_QUERY_TIMEOUT_SECONDS: '2' };
    const fromEnv = loadConfig({ publicDir: '/srv/www' }, env, cwd);
    assert.deepEqual(fromEnv.origins, ['https://a.test', 'https://b.test']);
    assert.equal(fromEnv.queryTimeoutSeconds, 2);
    assert.equal(fromEnv.publicDir, '/srv/www');
    // the public dir follows --dir (PocketBase's pb_public beside pb_data)
    assert.equal(loadConfig({ dataDir: '/var/lib/app/data' }, {}, cwd).publicDir, '/var/lib/app/fb_public');
    assert.throws(() => loadConfig({ https: '0.0.0.0:8443' }, {}, cwd), {
      message: '--https needs a certificate pair: --httpsCert and --httpsKey (PEM files)',
    });
    assert.throws(() => loadConfig({ queryTimeoutSeconds: 0 }, {}, cwd), {
      message: '--queryTimeout: invalid value 0, expected a positive number of seconds',
    });
    assert.throws(() => loadConfig({}, { FORGEBASE_ORIGINS: ' , ' }, cwd), {
      message:
        'FORGEBASE_ORIGINS: invalid value " , ", expected a list of origins (https://example.com, https://*.example.com or *)',
    });
  });

  test('the observability keys: metrics token and OpenTelemetry endpoint, from toml and env', () => {
    const dir = withToml(
      'metrics_token = "scrape-0123456789abcdef"\notel_endpoint = "http://collector:4318"\n',
    );
    const config = loadConfig({}, {}, dir);
    assert.deepEqual(
      [config.metricsToken, config.otelEndpoint],
      ['scrape-0123456789abcdef', 'http://collector:4318'],
    );
    const env = {
      FORGEBASE_METRICS_TOKEN: 'env-token-0123456789',
      FORGEBASE_OTEL_ENDPOINT: 'https://otel.test/v1/traces',
    };
    const fromEnv = loadConfig({}, env, dir);
    assert.deepEqual(
      [fromEnv.metricsToken, fromEnv.otelEndpoint],
      ['env-token-0123456789', 'https://otel.test/v1/traces'],
    );
    const unset = loadConfig({}, {}, cwd);
    assert.deepEqual([unset.metricsToken, unset.otelEndpoint], [undefined, undefined]);
    assert.throws(() => loadConfig({}, { FORGEBASE_METRICS_TOKEN: 'short' }, cwd), {
      message: 'FORGEBASE_METRICS_TOKEN: invalid value "short", expected a token of 16 characters or more',
    });
    assert.throws(() => loadConfig({}, { FORGEBASE_OTEL_ENDPOINT: 'collector:4318' }, cwd), {
      message: 'FORGEBASE_OTEL_ENDPOINT: invalid value "collector:4318", expected an http(s) URL',
    });
  });

  test('development mode logs at debug level unless a level is set', () => {
    assert.equal(loadConfig({ dev: true }, {}, cwd).logLevel, 'debug');
    assert.equal(loadConfig({ dev: true, logLevel: 'warn' }, {}, cwd).logLevel, 'warn');
    assert.equal(loadConfig({}, {}, cwd).logLevel, 'info');
  });

  test('flags beat env, which beats the toml file; an empty env value counts as unset', () => {
    const dir = withToml(TOML);
    const env = { FORGEBASE_HTTP: '127.0.0.1:7001', FORGEBASE_DIR: 'env_data', FORGEBASE_LOG_LEVEL: '' };
    const config = loadConfig({ http: '127.0.0.1:7002', migrationsDir: 'flag_migrations' }, env, dir);
    assert.equal(config.http, '127.0.0.1:7002');
    assert.equal(config.dataDir, join(dir, 'env_data'));
    assert.equal(config.migrationsDir, join(dir, 'flag_migrations'));
    assert.equal(config.logLevel, 'warn');
    assert.equal(config.bodyLimit, 1000);
  });

  test('FORGEBASE_CONFIG names another config file', () => {
    const dir = withToml('http = "127.0.0.1:7003"\n', 'other.toml');
    assert.equal(loadConfig({}, { FORGEBASE_CONFIG: 'other.toml' }, dir).http, '127.0.0.1:7003');
  });

  test('an unknown or malformed toml file is a clear error naming the file', () => {
    const unknown = withToml('port = 8090\n');
    assert.throws(() => loadConfig({}, {}, unknown), {
      message: `${join(unknown, 'forgebase.toml')}: unknown setting "port"`,
    });
    const broken = withToml('http = \n');
    assert.throws(
      () => loadConfig({}, {}, broken),
      (e: Error) => e.message.startsWith(`${join(broken, 'forgebase.toml')}: `),
    );
  });

  test('invalid values throw errors that say where they came from and what is expected', () => {
    const cases: [Record<string, string>, string][] = [
      [
        { FORGEBASE_BODY_LIMIT: 'lots' },
        'FORGEBASE_BODY_LIMIT: invalid value "lots", expected a positive number of bytes',
      ],
      [
        { FORGEBASE_BODY_LIMIT: '-5' },
        'FORGEBASE_BODY_LIMIT: invalid value "-5", expected a positive number of bytes',
      ],
      [
        { FORGEBASE_SQLITE_SYNC: 'OFF' },
        'FORGEBASE_SQLITE_SYNC: invalid value "OFF", expected NORMAL or FULL',
      ],
      [
        { FORGEBASE_AUTOMIGRATE: 'maybe' },
        'FORGEBASE_AUTOMIGRATE: invalid value "maybe", expected true or false',
      ],
      [
        { FORGEBASE_LOG_LEVEL: 'loud' },
        'FORGEBASE_LOG_LEVEL: invalid value "loud", expected fatal, error, warn, info, debug, trace, silent',
      ],
      [{ FORGEBASE_HTTP: 'localhost' }, 'invalid --http address "localhost", expected host:port'],
      [
        { FORGEBASE_TRUSTED_PROXIES: '10.0.0.0/40' },
        'FORGEBASE_TRUSTED_PROXIES: invalid value "10.0.0.0/40", expected IP addresses or CIDRs (10.0.0.0/8)',
      ],
      [
        { FORGEBASE_TRUSTED_PROXY_HEADERS: 'X Forwarded For' },
        'FORGEBASE_TRUSTED_PROXY_HEADERS: invalid value "X Forwarded For", expected a list of header names',
      ],
      [
        { FORGEBASE_LOGS_MAX_DAYS: '-1' },
        'FORGEBASE_LOGS_MAX_DAYS: invalid value "-1", expected a number of days (0 or more)',
      ],
      [
        { FORGEBASE_LOGS_MIN_LEVEL: 'warn' },
        'FORGEBASE_LOGS_MIN_LEVEL: invalid value "warn", expected an integer level',
      ],
      [
        { FORGEBASE_BACKUPS_CRON: 'every day' },
        'FORGEBASE_BACKUPS_CRON: invalid value "every day", expected a cron expression',
      ],
      [
        { FORGEBASE_CRON_TIMEZONE: 'Mars/Olympus' },
        'FORGEBASE_CRON_TIMEZONE: invalid value "Mars/Olympus", expected an IANA time zone (e.g. UTC, Europe/Berlin)',
      ],
      [
        { FORGEBASE_BACKUPS_CRON_MAX_KEEP: '-1' },
        'FORGEBASE_BACKUPS_CRON_MAX_KEEP: invalid value "-1", expected a number of backups (0 = keep all)',
      ],
      [
        { FORGEBASE_BACKUPS_S3: '{"enabled":"yes"}' },
        'FORGEBASE_BACKUPS_S3: invalid value "{\\"enabled\\":\\"yes\\"}", expected enabled to be a boolean',
      ],
    ];
    for (const [env, message] of cases) assert.throws(() => loadConfig({}, env, cwd), { message });
    const dir = withToml('body_limit = "1MB"\n');
    assert.throws(() => loadConfig({}, {}, dir), {
      message: `${join(dir, 'forgebase.toml')}: body_limit: invalid value "1MB", expected a positive number of bytes`,
    });
    assert.throws(() => loadConfig({ http: '127.0.0.1:99999' }, {}, cwd), { message: 'invalid port 99999' });
  });

  test('parseHostPort splits host:port, brackets IPv6, and defaults an empty host to all interfaces', () => {
    assert.deepEqual(parseHostPort('127.0.0.1:8090'), { host: '127.0.0.1', port: 8090 });
    assert.deepEqual(parseHostPort('localhost:0'), { host: 'localhost', port: 0 });
    assert.deepEqual(parseHostPort('[::1]:443'), { host: '::1', port: 443 });
    assert.deepEqual(parseHostPort(':8090'), { host: '0.0.0.0', port: 8090 });
    for (const bad of ['8090', 'host:', 'host:port', '::1:80', 'host:123456', 'a b:80']) {
      assert.throws(() => parseHostPort(bad), {
        message: `invalid --http address "${bad}", expected host:port`,
      });
    }
    assert.throws(() => parseHostPort('host:65536'), { message: 'invalid port 65536' });
  });
});

describe('loadConfig: the key that seals secrets at rest', () => {
  const cwd = tmpdir();
  test('--encryptionEnv NAME reads the key from NAME and the previous one from NAME_PREVIOUS', () => {
    const c = loadConfig({ encryptionEnv: 'APP_KEY' }, { APP_KEY: 'k1', APP_KEY_PREVIOUS: 'k0' }, cwd);
    assert.deepEqual([c.encryptionEnv, c.encryptionKey, c.encryptionKeyPrevious], ['APP_KEY', 'k1', 'k0']);
    // it wins over FORGEBASE_ENCRYPTION_KEY
    const both = loadConfig(
      { encryptionEnv: 'APP_KEY' },
      { APP_KEY: 'k1', FORGEBASE_ENCRYPTION_KEY: 'kx' },
      cwd,
    );
    assert.equal(both.encryptionKey, 'k1');
    const env = loadConfig(
      {},
      {
        FORGEBASE_ENCRYPTION_KEY: 'kx',
        FORGEBASE_ENCRYPTION_KEY_PREVIOUS: 'kp',
        FORGEBASE_ENCRYPTION_ENV: '',
      },
      cwd,
    );
    assert.deepEqual([env.encryptionKey, env.encryptionKeyPrevious], ['kx', 'kp']);
    const viaEnvName = loadConfig({}, { FORGEBASE_ENCRYPTION_ENV: 'APP_KEY', APP_KEY: 'k1' }, cwd);
    assert.equal(viaEnvName.encryptionKey, 'k1');
  });

  test('a named variable that is unset is a clear error', () => {
    assert.throws(() => loadConfig({ encryptionEnv: 'NOPE' }, {}, cwd), {
      message: 'encryptionEnv: the environment variable NOPE is not set (it must hold the encryption key)',
    });
  });
});
