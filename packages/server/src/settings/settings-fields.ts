import { HEADER_NAME_RE } from '../config.ts';
import type { ErrorData, FieldError } from '../errors/api-error.ts';
import { FieldCode, fieldError, fields } from '../errors/codes.ts';
import { proxyList } from '../tools/client-ip.ts';
import { rateLimitRuleProblems } from '../tools/rate-limit-rules.ts';

/** Checks one submitted value; returns its error, or undefined when it is fine. */
type Check = (v: unknown) => FieldError | undefined;

/** One settings field: the Config key it sets and how its value is checked. */
export interface SettingField {
  /** The Config key (or the S3 object's key, inside `backups.s3`). */
  key: string;
  check: Check;
  /** Write-only: answered as '', and '' or absent in a PATCH keeps the stored value. */
  secret?: boolean;
  /** An optional Config key: '' is stored as unset. */
  optional?: boolean;
}

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// a host name or an IP address (PocketBase's is.Host)
const HOST_RE =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const IPV6_RE = /^[0-9A-Fa-f:.]+$/;
// five or six cron fields, or a macro (@daily …)
const CRON_RE = /^(?:@(?:yearly|annually|monthly|weekly|daily|midnight|hourly)|(?:\S+\s+){4,5}\S+)$/;

const text =
  (max = 255, min = 0): Check =>
  (v) => {
    if (typeof v !== 'string') return fieldError(FieldCode.invalidValue, 'Must be text.');
    if (v.trim().length < min) return fields.required();
    if (v.length > max)
      return fieldError(FieldCode.lengthOutOfRange, `The length must be between ${min} and ${max}.`);
    return undefined;
  };
const bool: Check = (v) => (typeof v === 'boolean' ? undefined : fields.notBool());
const int =
  (min: number, max = Number.MAX_SAFE_INTEGER): Check =>
  (v) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v))
      return fieldError(FieldCode.invalidInt, 'Must be an integer.');
    if (v < min) return fields.atLeast(min);
    if (v > max) return fields.atMost(max);
    return undefined;
  };
const oneOf =
  (...values: unknown[]): Check =>
  (v) =>
    values.includes(v) ? undefined : fields.notInList();
const url: Check = (v) =>
  typeof v === 'string' && (v === '' || URL.canParse(v))
    ? undefined
    : fieldError(FieldCode.isUrl, 'Must be a valid url.');
const email: Check = (v) => (typeof v === 'string' && EMAIL_RE.test(v) ? undefined : fields.notEmail());
const host: Check = (v) =>
  typeof v === 'string' && (v === '' || HOST_RE.test(v) || (v.includes(':') && IPV6_RE.test(v)))
    ? undefined
    : fieldError(FieldCode.isHost, 'Must be a valid host name or address.');
const cron: Check = (v) =>
  typeof v === 'string' && (v === '' || CRON_RE.test(v.trim()))
    ? undefined
    : fieldError(FieldCode.invalidValue, 'Must be a valid cron expression.');
const ipList: Check = (v) => {
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || s.trim() === ''))
    return fieldError(FieldCode.invalidValue, 'Must be a list of IP addresses or CIDRs.');
  try {
    proxyList(v as string[]);
    return undefined;
  } catch {
    return fieldError(FieldCode.invalidValue, 'Must be a list of IP addresses or CIDRs (10.0.0.0/8).');
  }
};
const headerList: Check = (v) =>
  Array.isArray(v) && v.length <= 10 && v.every((h) => typeof h === 'string' && HEADER_NAME_RE.test(h))
    ? undefined
    : fieldError(FieldCode.invalidValue, 'Must be a list of at most 10 header names.');
const ruleList: Check = (v) =>
  Array.isArray(v) && v.every((r) => r && typeof r === 'object' && !Array.isArray(r))
    ? undefined
    : fieldError(FieldCode.invalidValue, 'Must be a list of {label, audience, duration, maxRequests}.');

/** The fields of an S3 connection (settings `s3` and `backups.s3`), by their JSON names. */
function s3Fields(keys: Record<string, string>): Record<string, SettingField> {
  return {
    enabled: { key: keys.enabled!, check: bool },
    bucket: { key: keys.bucket!, check: text(255), optional: true },
    region: { key: keys.region!, check: text(255) },
    endpoint: { key: keys.endpoint!, check: url, optional: true },
    accessKey: { key: keys.accessKey!, check: text(255), optional: true },
    secret: { key: keys.secret!, check: text(1000), optional: true, secret: true },
    forcePathStyle: { key: keys.forcePathStyle!, check: bool },
  };
}

const sameKeys = (...names: string[]) => Object.fromEntries(names.map((n) => [n, n]));

/** `backups.s3`'s fields: keys of the `backupsS3` Config object. */
export const BACKUPS_S3_FIELDS = s3Fields(
  sameKeys('enabled', 'bucket', 'region', 'endpoint', 'accessKey', 'secret', 'forcePathStyle'),
);

/**
 * Every settings section PocketBase has, field by field (core/settings_model.go), with
 * the Config key each one sets. `backups.s3` is the nested object of BACKUPS_S3_FIELDS;
 * `superuserIPs` is a top-level list.
 */
export const SECTIONS: Record<string, Record<string, SettingField>> = {
  meta: {
    appName: { key: 'appName', check: text(255, 1) },
    appURL: { key: 'appUrl', check: (v) => (v === '' ? fields.required() : url(v)) },
    senderName: { key: 'mailFromName', check: text(255, 1) },
    senderAddress: { key: 'mailFrom', check: email },
    hideControls: { key: 'hideControls', check: bool },
  },
  logs: {
    maxDays: { key: 'logsMaxDays', check: int(0) },
    minLevel: { key: 'logsMinLevel', check: int(-100, 100) },
    logIP: { key: 'logsLogIp', check: bool },
    logAuthId: { key: 'logsLogAuthId', check: bool },
  },
  smtp: {
    enabled: { key: 'smtpEnabled', check: bool },
    host: { key: 'smtpHost', check: host, optional: true },
    port: {
      key: 'smtpPort',
      check: (v) =>
        int(1, 65535)(v) && fieldError(FieldCode.invalidPort, 'Must be a port number (1 to 65535).'),
    },
    username: { key: 'smtpUser', check: text(255), optional: true },
    password: { key: 'smtpPassword', check: text(1000), optional: true, secret: true },
    authMethod: { key: 'smtpAuthMethod', check: oneOf('PLAIN', 'LOGIN') },
    tls: { key: 'smtpTls', check: bool },
    localName: { key: 'smtpLocalName', check: host },
  },
  s3: s3Fields({
    enabled: 's3Enabled',
    bucket: 's3Bucket',
    region: 's3Region',
    endpoint: 's3Endpoint',
    accessKey: 's3AccessKey',
    secret: 's3Secret',
    forcePathStyle: 's3ForcePathStyle',
  }),
  backups: {
    cron: { key: 'backupsCron', check: cron },
    cronMaxKeep: { key: 'backupsCronMaxKeep', check: int(1) },
    // checked field by field with BACKUPS_S3_FIELDS
    s3: { key: 'backupsS3', check: () => undefined },
  },
  batch: {
    enabled: { key: 'batchEnabled', check: bool },
    maxRequests: { key: 'batchMaxRequests', check: int(1, 100_000) },
    timeout: { key: 'batchTimeoutSeconds', check: int(1, 3600) },
    maxBodySize: { key: 'batchMaxBodySize', check: int(0) },
  },
  rateLimits: {
    enabled: { key: 'rateLimitsEnabled', check: bool },
    rules: { key: 'rateLimitsRules', check: ruleList },
    excludedIPs: { key: 'rateLimitsExcludedIps', check: ipList },
  },
  trustedProxy: {
    headers: { key: 'trustedProxyHeaders', check: headerList },
    useLeftmostIP: { key: 'trustedProxyUseLeftmostIp', check: bool },
  },
};

/** The top-level `superuserIPs` list. */
export const SUPERUSER_IPS: SettingField = { key: 'superuserIps', check: ipList };

const PROBLEM_CODES = {
  required: FieldCode.required,
  match: FieldCode.matchInvalid,
  min: FieldCode.minGreaterEqualThanRequired,
  in: FieldCode.inInvalid,
  conflict: FieldCode.conflictingRateLimitRule,
} as const;

/** Rate limit rules' problems as per-rule field errors (`rules.0.label`), or undefined. */
export function ruleErrors(rules: readonly unknown[]): ErrorData | undefined {
  const problems = rateLimitRuleProblems(rules);
  if (!problems.length) return undefined;
  const out: Record<string, Record<string, FieldError>> = {};
  for (const p of problems) {
    const item = out[String(p.index)] ?? {};
    item[p.field] ??= fieldError(PROBLEM_CODES[p.kind], p.message);
    out[String(p.index)] = item;
  }
  return out;
}
