import { type Config, HEADER_NAME_RE } from '../config.ts';
import type { Database } from '../db/database.ts';
import { type ErrorData, ForbiddenError, ValidationError } from '../errors/api-error.ts';
import { FieldCode, fieldError, fields } from '../errors/codes.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { Viewer } from '../rules/viewer.ts';
import type { SecretBox } from '../tools/secret-box.ts';
import { nowDate } from '../tools/time.ts';

const PARAM_ID = 'settings';
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Where the stored row keeps secrets (sealed at rest, see tools/secret-box.ts): by Config
 * key and by PocketBase's section path, whichever shape the row has.
 */
const SECRET_PATHS = [
  ['smtpPassword'],
  ['s3Secret'],
  ['backupsS3', 'secret'],
  ['smtp', 'password'],
  ['s3', 'secret'],
  ['backups', 's3', 'secret'],
] as const;

/** A copy of a stored settings value with `fn` applied to each secret in it. */
function mapSecrets<T>(value: T, fn: (v: string) => string): T {
  const out = structuredClone(value) as Record<string, unknown>;
  for (const path of SECRET_PATHS) {
    let at: Record<string, unknown> | undefined = out;
    for (const k of path.slice(0, -1)) {
      const next: unknown = at?.[k];
      at = next && typeof next === 'object' ? (next as Record<string, unknown>) : undefined;
    }
    const last = path[path.length - 1]!;
    if (at && typeof at[last] === 'string' && at[last] !== '') at[last] = fn(at[last] as string);
  }
  return out as T;
}

/** The settings a superuser may change at runtime (stored in `_params`, over the config). */
type Overrides = Partial<
  Pick<
    Config,
    | 'appName'
    | 'appUrl'
    | 'mailFrom'
    | 'smtpHost'
    | 'smtpPort'
    | 'smtpUser'
    | 'smtpPassword'
    | 'smtpTls'
    | 'trustedProxyHeaders'
    | 'trustedProxyUseLeftmostIp'
  >
> & { smtpEnabled?: boolean };

const KEYS = [
  'appName',
  'appUrl',
  'mailFrom',
  'smtpHost',
  'smtpPort',
  'smtpUser',
  'smtpPassword',
  'smtpTls',
  'trustedProxyHeaders',
  'trustedProxyUseLeftmostIp',
] as const;

/** Reads PocketBase's `trustedProxy {headers, useLeftmostIP}` into `out`; returns per-field errors. */
function parseTrustedProxy(raw: unknown, out: Overrides): ErrorData {
  const errors: ErrorData = {};
  if (raw === undefined) return errors;
  const proxy = (raw ?? {}) as Record<string, unknown>;
  if (proxy.headers !== undefined) {
    const headers = proxy.headers;
    if (
      !Array.isArray(headers) ||
      headers.length > 10 ||
      headers.some((h) => typeof h !== 'string' || !HEADER_NAME_RE.test(h))
    )
      errors.headers = fieldError(FieldCode.invalidValue, 'Must be a list of at most 10 header names.');
    else out.trustedProxyHeaders = headers as string[];
  }
  if (proxy.useLeftmostIP !== undefined) {
    if (typeof proxy.useLeftmostIP !== 'boolean') errors.useLeftmostIP = fields.notBool();
    else out.trustedProxyUseLeftmostIp = proxy.useLeftmostIP;
  }
  return errors;
}

/**
 * PocketBase's settings API, for what ForgeBase can change at runtime: the app's name and
 * URL, the mail sender, SMTP, and which headers name the client behind a trusted proxy. Stored values overlay the config (flags, env, toml); the
 * app's Config object holds the effective values, so every part reads the current ones.
 * The SMTP password is write-only. Other nodes pick changes up before they send mail.
 */
export function createSettingsService(deps: {
  db: Database;
  config: Config;
  mailer: Mailer;
  secrets: SecretBox;
}) {
  const { db, config, mailer, secrets } = deps;
  const base: Overrides = Object.fromEntries(KEYS.map((k) => [k, config[k]]));
  let applied = '';

  function apply(o: Overrides): void {
    const key = JSON.stringify(o);
    if (key === applied) return;
    applied = key;
    const target = config as unknown as Record<string, unknown>;
    for (const k of KEYS) target[k] = o[k] !== undefined ? o[k] : base[k];
    if (o.smtpEnabled === false) target.smtpHost = undefined;
    mailer.reset();
  }

  /** The one read of the stored settings row, as stored (secrets sealed). */
  async function storedRow(): Promise<Overrides | undefined> {
    const row = await db.first<{ value: string }>(
      db.sys.selectFrom('_params').select('value').where('id', '=', PARAM_ID),
    );
    return row ? (JSON.parse(String(row.value)) as Overrides) : undefined;
  }

  /** The stored settings, secrets opened. */
  async function stored(): Promise<Overrides> {
    const row = await storedRow();
    return row ? mapSecrets(row, secrets.open) : {};
  }

  /** The one write of the stored settings row (secrets sealed). */
  async function save(next: Overrides): Promise<void> {
    const now = nowDate();
    const value = JSON.stringify(mapSecrets(next, secrets.seal));
    await db.run(
      db.qb
        .insertInto('_params')
        .values({ id: PARAM_ID, value, created: now, updated: now })
        .onConflict((oc) => oc.column('id').doUpdateSet({ value, updated: now })),
    );
  }

  /** The settings in PocketBase's JSON shape (the SMTP password left out). */
  function toJSON(): Record<string, unknown> {
    return {
      meta: {
        appName: config.appName,
        appURL: config.appUrl,
        senderName: config.appName,
        senderAddress: config.mailFrom,
      },
      smtp: {
        enabled: Boolean(config.smtpHost),
        host: config.smtpHost ?? '',
        port: config.smtpPort,
        username: config.smtpUser ?? '',
        password: '',
        tls: config.smtpTls,
      },
      // believed only from the proxies of config `trustedProxies`
      trustedProxy: {
        headers: config.trustedProxyHeaders,
        useLeftmostIP: config.trustedProxyUseLeftmostIp,
      },
    };
  }

  function requireSuperuser(viewer: Viewer): void {
    if (!viewer.superuser) throw new ForbiddenError('Only superusers can read or change the settings.');
  }

  /** Reads `{meta, smtp}` of a PATCH body into overrides; throws a 400 with per-field errors. */
  function parse(body: Record<string, unknown>, current: Overrides): Overrides {
    const errors: ErrorData = {};
    const out: Overrides = { ...current };
    const meta = (body.meta ?? {}) as Record<string, unknown>;
    const smtp = (body.smtp ?? {}) as Record<string, unknown>;
    const metaErrors: ErrorData = {};
    const smtpErrors: ErrorData = {};
    const text = (v: unknown) => typeof v === 'string';
    if (meta.appName !== undefined) {
      if (!text(meta.appName) || !(meta.appName as string).trim() || (meta.appName as string).length > 255)
        metaErrors.appName = fieldError(FieldCode.required, 'Cannot be blank (at most 255 characters).');
      else out.appName = meta.appName as string;
    }
    if (meta.appURL !== undefined) {
      if (!text(meta.appURL) || !URL.canParse(meta.appURL as string))
        metaErrors.appURL = fieldError(FieldCode.isUrl, 'Must be a valid url.');
      else out.appUrl = meta.appURL as string;
    }
    if (meta.senderAddress !== undefined) {
      if (!text(meta.senderAddress) || !EMAIL_RE.test(meta.senderAddress as string))
        metaErrors.senderAddress = fields.notEmail();
      else out.mailFrom = meta.senderAddress as string;
    }
    if (smtp.enabled !== undefined) {
      if (typeof smtp.enabled !== 'boolean') smtpErrors.enabled = fields.notBool();
      else out.smtpEnabled = smtp.enabled;
    }
    if (smtp.host !== undefined) {
      if (!text(smtp.host) || /\s/.test(smtp.host as string))
        smtpErrors.host = fieldError(FieldCode.isHost, 'Must be a host name or address.');
      else out.smtpHost = (smtp.host as string) || undefined;
    }
    if (smtp.port !== undefined) {
      const p = smtp.port;
      if (typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > 65535)
        smtpErrors.port = fieldError(FieldCode.invalidPort, 'Must be a port number (1 to 65535).');
      else out.smtpPort = p;
    }
    if (smtp.username !== undefined) {
      if (!text(smtp.username)) smtpErrors.username = fieldError(FieldCode.invalidValue, 'Must be text.');
      else out.smtpUser = (smtp.username as string) || undefined;
    }
    // an empty password keeps the stored one (it is never sent back to be round-tripped)
    if (smtp.password !== undefined && smtp.password !== '') {
      if (!text(smtp.password)) smtpErrors.password = fieldError(FieldCode.invalidValue, 'Must be text.');
      else out.smtpPassword = smtp.password as string;
    }
    if (smtp.tls !== undefined) {
      if (typeof smtp.tls !== 'boolean') smtpErrors.tls = fields.notBool();
      else out.smtpTls = smtp.tls;
    }
    if (out.smtpEnabled && !(out.smtpHost ?? base.smtpHost))
      smtpErrors.host = fieldError(FieldCode.required, 'Cannot be blank when SMTP is enabled.');
    const proxyErrors = parseTrustedProxy(body.trustedProxy, out);
    if (Object.keys(metaErrors).length) errors.meta = metaErrors;
    if (Object.keys(proxyErrors).length) errors.trustedProxy = proxyErrors;
    if (Object.keys(smtpErrors).length) errors.smtp = smtpErrors;
    if (Object.keys(errors).length)
      throw new ValidationError('An error occurred while validating the submitted data.', errors);
    return out;
  }

  return {
    /** Applies the stored settings (at start, and before mail goes out on any node). */
    async load(): Promise<void> {
      apply(await stored());
    },
    async get(viewer: Viewer): Promise<Record<string, unknown>> {
      requireSuperuser(viewer);
      apply(await stored());
      return toJSON();
    },
    async update(body: Record<string, unknown>, viewer: Viewer): Promise<Record<string, unknown>> {
      requireSuperuser(viewer);
      const next = parse(body, await stored());
      await save(next);
      apply(next);
      return toJSON();
    },
    /** The settings row as a store of sealed secrets (re-sealed at start, see secrets/). */
    secretStore: {
      name: 'the settings (_params)',
      async reseal(box: SecretBox): Promise<number> {
        const row = await storedRow();
        if (!row) return 0;
        let stale = 0;
        mapSecrets(row, (v) => {
          box.open(v);
          if (box.needsReseal(v)) stale++;
          return v;
        });
        if (stale) await save(await stored());
        return stale;
      },
    },
    /** Sends a test message with the current settings (PocketBase's settings/test/email). */
    async testEmail(to: unknown, viewer: Viewer): Promise<void> {
      requireSuperuser(viewer);
      if (typeof to !== 'string' || !EMAIL_RE.test(to))
        throw new ValidationError('An error occurred while validating the submitted data.', {
          email: fields.notEmail(),
        });
      apply(await stored());
      await mailer.send({
        to,
        subject: `${config.appName}: test email`,
        html: `<p>This is a test email from ${config.appName} (${config.appUrl}). Mail works.</p>`,
      });
    },
  };
}

export type SettingsService = ReturnType<typeof createSettingsService>;
