import { Cron } from 'croner';
import { rateLimitRuleProblems } from './tools/rate-limit-rules.ts';

// The values of the settings sections that are more than a scalar (rate limit rules, S3
// buckets, cron schedules): their shapes, PocketBase's defaults and how config.ts reads
// them from flags, env (JSON) and forgebase.toml (tables).

/** One rate limit rule (settings `rateLimits.rules`, PocketBase's shape). */
export interface RateLimitRule {
  /** `/path/` (prefix), `/path` (exact), `METHOD /path`, `collection:action`, `*:action` or a tag. */
  label: string;
  /** `''` everyone, `@guest` only guests, `@auth` only signed-in records. */
  audience: '' | '@guest' | '@auth';
  /** The window, in seconds. */
  duration: number;
  /** Requests allowed per client IP within one window. */
  maxRequests: number;
}

/** PocketBase's default rate limit rules (core/settings_model.go). */
export const DEFAULT_RATE_LIMIT_RULES: readonly RateLimitRule[] = [
  { label: '*:auth', audience: '', duration: 3, maxRequests: 2 },
  { label: '*:create', audience: '', duration: 5, maxRequests: 20 },
  { label: '/api/batch', audience: '', duration: 1, maxRequests: 3 },
  { label: '/api/', audience: '', duration: 10, maxRequests: 300 },
];

/** Backups' S3 bucket until one is set: off. */
export const DEFAULT_BACKUPS_S3: Readonly<S3Settings> = {
  enabled: false,
  bucket: '',
  region: '',
  endpoint: '',
  accessKey: '',
  secret: '',
  forcePathStyle: false,
};

/** An S3 bucket's connection (settings `backups.s3`, PocketBase's S3Config). */
export interface S3Settings {
  enabled: boolean;
  bucket: string;
  region: string;
  endpoint: string;
  accessKey: string;
  secret: string;
  forcePathStyle: boolean;
}

/** PocketBase's `backups.s3` settings. */
export type BackupsS3 = S3Settings;

/** An HTTP header name (RFC 9110 token). */
export const HEADER_NAME_RE = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;

/** `rate_limits_rules`: a list of tables (toml) or JSON (env); `audience` defaults to everyone. */
export function rateLimitRules(v: unknown, invalid: (expected: string) => Error): RateLimitRule[] {
  let value = v;
  try {
    if (typeof v === 'string') value = JSON.parse(v);
  } catch {
    throw invalid('JSON');
  }
  const rules = Array.isArray(value) ? value.map((r) => ({ audience: '', ...r })) : undefined;
  if (!rules || rateLimitRuleProblems(rules).length)
    throw invalid('a list of {label, audience, duration, maxRequests}');
  return rules;
}

/** `backups_s3`: a TOML table or a JSON object (env), with PocketBase's field names. */
export function backupsS3(v: unknown, invalid: (expected: string) => Error): BackupsS3 {
  let raw = v;
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch {
      throw invalid('a JSON object {enabled, bucket, region, endpoint, accessKey, secret, forcePathStyle}');
    }
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw invalid('an object');
  const out: BackupsS3 = { ...DEFAULT_BACKUPS_S3 };
  for (const [k, val] of Object.entries(raw)) {
    if (!(k in out)) throw invalid(`only the keys ${Object.keys(out).join(', ')}`);
    const want = typeof DEFAULT_BACKUPS_S3[k as keyof BackupsS3];
    if (typeof val !== want) throw invalid(`${k} to be a ${want}`);
    (out as unknown as Record<string, unknown>)[k] = val;
  }
  return out;
}

/** A cron expression or time zone croner accepts ('' turns automatic backups off). */
export function cronSetting(
  key: 'cronTimezone' | 'backupsCron',
  v: string,
  invalid: (e: string) => Error,
): string {
  if (key === 'backupsCron' && v === '') return v;
  try {
    if (key === 'cronTimezone') new Intl.DateTimeFormat('en', { timeZone: v });
    else new Cron(v, { paused: true });
  } catch {
    throw invalid(
      key === 'cronTimezone' ? 'an IANA time zone (e.g. UTC, Europe/Berlin)' : 'a cron expression',
    );
  }
  return v;
}
