import { Readable } from 'node:stream';
import type { Config, S3Settings } from '../config.ts';
import type { Database } from '../db/database.ts';
import { type ErrorData, ForbiddenError, ValidationError } from '../errors/api-error.ts';
import { errors, FieldCode, fieldError, fields } from '../errors/codes.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { Logger } from '../observability/logger.ts';
import type { Viewer } from '../rules/viewer.ts';
import { createS3BlobStore } from '../storage/s3-blob-store.ts';
import { randomString } from '../tools/id.ts';
import type { BackgroundService } from '../tools/lifecycle.ts';
import type { SecretBox } from '../tools/secret-box.ts';
import { nowDate } from '../tools/time.ts';
import {
  BACKUPS_S3_FIELDS,
  ruleErrors,
  SECTIONS,
  type SettingField,
  SUPERUSER_IPS,
} from './settings-fields.ts';

const PARAM_ID = 'settings';
const CHANNEL = 'settings';
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const INVALID = 'An error occurred while validating the submitted data.';

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

/**
 * The settings a superuser changed at runtime, by Config key (stored in `_params`, over the
 * config). `smtpEnabled: false` turns mail off without forgetting the host.
 */
type Overrides = Record<string, unknown>;

const ALL_FIELDS: SettingField[] = [
  ...Object.values(SECTIONS).flatMap((s) => Object.values(s)),
  SUPERUSER_IPS,
];
const KEYS = ALL_FIELDS.map((f) => f.key).filter((k) => k !== 'smtpEnabled');

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const hasErrors = (e: ErrorData) => Object.keys(e).length > 0;

/** The nested errors of `name` in `errs`, created empty on first use. */
function within(errs: ErrorData, name: string): ErrorData {
  const existing = errs[name];
  if (existing && !('code' in existing)) return existing as ErrorData;
  const created: ErrorData = {};
  errs[name] = created;
  return created;
}

/**
 * Reads one submitted object field by field against its table into `out` (Config keys);
 * unknown keys and bad values are reported per field. A secret sent as '' keeps the stored
 * one; an optional key sent as '' is stored as null (unset, whatever the config says).
 */
function readFields(
  raw: Record<string, unknown>,
  table: Record<string, SettingField>,
  out: Overrides,
): ErrorData {
  const errs: ErrorData = {};
  for (const [name, value] of Object.entries(raw)) {
    const field = table[name];
    if (!field) {
      errs[name] = fieldError(FieldCode.invalidValue, 'Unknown setting.');
      continue;
    }
    if (value === undefined || (field.secret && value === '')) continue;
    const problem = field.check(value);
    if (problem) errs[name] = problem;
    else out[field.key] = field.optional && value === '' ? null : value;
  }
  return errs;
}

const NOT_OBJECT = () => fieldError(FieldCode.invalidValue, 'Must be an object.');

/** A rule as stored: PocketBase's four keys, the audience '' unless given. */
const ruleOf = (r: Record<string, unknown>) => ({
  label: r.label,
  audience: r.audience ?? '',
  duration: r.duration,
  maxRequests: r.maxRequests,
});

/**
 * PocketBase's settings API over the whole of core/settings_model.go: meta, logs, smtp,
 * s3, backups, batch, rateLimits, trustedProxy and superuserIPs. Stored values overlay the
 * config (flags, env, toml); the app's Config object holds the effective values, so every
 * part reads `config.<key>` and sees the current one. Secrets (smtp.password, s3.secret,
 * backups.s3.secret) are write-only. A PATCH merges per section and is checked whole: any
 * unknown key or bad value is a 400 with per-field errors and nothing is saved. Other
 * nodes reload on a bus announcement (PostgreSQL NOTIFY), and before they send mail.
 */
export function createSettingsService(deps: {
  db: Database;
  config: Config;
  mailer: Mailer;
  logger: Logger;
  secrets: SecretBox;
}) {
  const { db, config, mailer, logger, secrets } = deps;
  const target = config as unknown as Record<string, unknown>;
  const base: Overrides = Object.fromEntries(KEYS.map((k) => [k, target[k]]));
  let applied = '';
  // the SMTP host as set, also while smtp.enabled is false (config.smtpHost is then unset)
  let smtpHost = config.smtpHost;
  const self = randomString(12);

  function apply(o: Overrides): void {
    const key = JSON.stringify(o);
    if (key === applied) return;
    applied = key;
    for (const k of KEYS) target[k] = k in o ? (o[k] ?? undefined) : base[k];
    smtpHost = config.smtpHost;
    if (o.smtpEnabled === false) config.smtpHost = undefined;
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
  async function readStored(): Promise<Overrides> {
    const row = await storedRow();
    return row ? mapSecrets(row, secrets.open) : {};
  }

  /** The one write of the stored settings row (secrets sealed). */
  async function writeStored(next: Overrides): Promise<void> {
    const now = nowDate();
    const value = JSON.stringify(mapSecrets(next, secrets.seal));
    await db.run(
      db.qb
        .insertInto('_params')
        .values({ id: PARAM_ID, value, created: now, updated: now })
        .onConflict((oc) => oc.column('id').doUpdateSet({ value, updated: now })),
    );
  }

  /** The effective value of every Config key with `o` applied (for checks across fields). */
  const effective = (o: Overrides) => (k: string) => (k in o ? (o[k] ?? undefined) : base[k]);

  /** One section's answer: its Config values by JSON name, secrets blanked. */
  function section(table: Record<string, SettingField>, value: (key: string) => unknown) {
    return Object.fromEntries(
      Object.entries(table).map(([name, f]) => [name, f.secret ? '' : (value(f.key) ?? '')]),
    );
  }

  /** The settings in PocketBase's JSON shape, secrets always ''. */
  function toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, table] of Object.entries(SECTIONS)) out[name] = section(table, (k) => target[k]);
    const meta = out.meta as Record<string, unknown>;
    meta.senderName = config.mailFromName ?? config.appName;
    const smtp = out.smtp as Record<string, unknown>;
    smtp.enabled = Boolean(config.smtpHost);
    smtp.host = smtpHost ?? '';
    const backups = out.backups as Record<string, unknown>;
    backups.s3 = section(BACKUPS_S3_FIELDS, (k) => config.backupsS3[k as keyof S3Settings]);
    out.superuserIPs = config.superuserIps;
    return out;
  }

  function requireSuperuser(viewer: Viewer): void {
    if (!viewer.superuser) throw new ForbiddenError('Only superusers can read or change the settings.');
  }

  /**
   * Checks that hold across fields, on the merged values (PocketBase's `When(enabled,
   * Required)`), for the sections the PATCH names: a section set only by config (an S3 bucket
   * on the AWS credential chain) does not block changes elsewhere.
   */
  function crossChecks(o: Overrides, errs: ErrorData, touched: Record<string, unknown>): void {
    const get = effective(o);
    const need = (sectionName: string, field: string, ok: unknown) => {
      if (ok) return;
      within(errs, sectionName)[field] ??= fields.required();
    };
    if (touched.smtp && o.smtpEnabled === true) need('smtp', 'host', get('smtpHost'));
    if (touched.s3 && get('s3Enabled'))
      for (const [f, k] of [
        ['bucket', 's3Bucket'],
        ['region', 's3Region'],
        ['endpoint', 's3Endpoint'],
        ['accessKey', 's3AccessKey'],
        ['secret', 's3Secret'],
      ] as const)
        need('s3', f, get(k));
    const backupsS3 = get('backupsS3') as S3Settings;
    if (touched.backups && backupsS3.enabled) {
      for (const f of ['bucket', 'region', 'endpoint', 'accessKey', 'secret'] as const)
        if (!backupsS3[f]) within(within(errs, 'backups'), 's3')[f] ??= fields.required();
    }
    if (touched.rateLimits && get('rateLimitsEnabled') && !(get('rateLimitsRules') as unknown[]).length)
      need('rateLimits', 'rules', false);
  }

  /** Reads a PATCH body over the stored overrides; throws a 400 with per-field errors. */
  function parse(body: Record<string, unknown>, current: Overrides): Overrides {
    const errs: ErrorData = {};
    const out: Overrides = { ...current };
    for (const [name, raw] of Object.entries(body)) {
      if (raw === undefined) continue;
      if (name === 'superuserIPs') {
        const problem = SUPERUSER_IPS.check(raw);
        if (problem) errs.superuserIPs = problem;
        else out.superuserIps = raw;
        continue;
      }
      const table = SECTIONS[name];
      if (!table) {
        errs[name] = fieldError(FieldCode.invalidValue, 'Unknown settings section.');
        continue;
      }
      if (!isObject(raw)) {
        errs[name] = NOT_OBJECT();
        continue;
      }
      const { s3, ...rest } = raw;
      const sectionErrors = readFields(name === 'backups' ? rest : raw, table, out);
      if (name === 'backups' && s3 !== undefined) {
        const nested: Overrides = { ...(effective(out)('backupsS3') as S3Settings) };
        const s3Errors = isObject(s3) ? readFields(s3, BACKUPS_S3_FIELDS, nested) : { s3: NOT_OBJECT() };
        if (!isObject(s3)) sectionErrors.s3 = NOT_OBJECT();
        else if (hasErrors(s3Errors)) sectionErrors.s3 = s3Errors;
        else
          out.backupsS3 = {
            ...nested,
            bucket: nested.bucket ?? '',
            endpoint: nested.endpoint ?? '',
            accessKey: nested.accessKey ?? '',
            secret: nested.secret ?? '',
          };
      }
      if (hasErrors(sectionErrors)) errs[name] = sectionErrors;
    }
    if (Array.isArray(out.rateLimitsRules) && !(errs.rateLimits as ErrorData | undefined)?.rules) {
      out.rateLimitsRules = (out.rateLimitsRules as Record<string, unknown>[]).map(ruleOf);
      const rules = ruleErrors(out.rateLimitsRules as unknown[]);
      if (rules) within(errs, 'rateLimits').rules = rules;
    }
    crossChecks(out, errs, body);
    if (hasErrors(errs)) throw new ValidationError(INVALID, errs);
    return out;
  }

  const load = async (): Promise<void> => apply(await readStored());
  const updateListeners = new Set<(sections: string[]) => void | Promise<void>>();

  return {
    /** Applies the stored settings (at start, on another node's announcement, before mail goes out). */
    load,
    async get(viewer: Viewer): Promise<Record<string, unknown>> {
      requireSuperuser(viewer);
      await load();
      return toJSON();
    },
    async update(body: Record<string, unknown>, viewer: Viewer): Promise<Record<string, unknown>> {
      requireSuperuser(viewer);
      const next = parse(body, await readStored());
      await writeStored(next);
      apply(next);
      await db.bus
        .notify(CHANNEL, self)
        .catch((err: unknown) => logger.error({ err }, 'announcing a settings change failed'));
      const sections = Object.keys(body).filter((k) => body[k] !== undefined);
      for (const listener of updateListeners) {
        try {
          await listener(sections);
        } catch (err) {
          logger.error({ err, sections }, 'applying a settings change failed');
        }
      }
      return toJSON();
    },
    /**
     * Calls `listener` after each saved PATCH on this node, with the sections it named
     * (`logs`, `backups`, ...), once the new values are in effect; the saved settings
     * stand even if it throws (logged). Returns the unsubscribe.
     */
    onUpdate(listener: (sections: string[]) => void | Promise<void>): () => void {
      updateListeners.add(listener);
      return () => updateListeners.delete(listener);
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
        if (stale) await writeStored(await readStored());
        return stale;
      },
    },
    /** Sends a test message with the current settings (PocketBase's settings/test/email). */
    async testEmail(to: unknown, viewer: Viewer): Promise<void> {
      requireSuperuser(viewer);
      if (typeof to !== 'string' || !EMAIL_RE.test(to))
        throw new ValidationError(INVALID, { email: fields.notEmail() });
      await load();
      try {
        await mailer.send({
          to,
          subject: `${config.appName}: test email`,
          html: `<p>This is a test email from ${config.appName} (${config.appUrl}). Mail works.</p>`,
        });
      } catch (e) {
        // matches PocketBase: the mail server's refusal is a 400 naming it
        throw errors.badRequest(
          `Failed to send the test email. Raw error: \n${e instanceof Error ? e.message : String(e)}`,
        );
      }
    },
    /**
     * PocketBase's settings/test/s3: writes a test object to the record-file (`storage`) or
     * the backups bucket and deletes its prefix again; a failure is a 400 naming it.
     */
    async testS3(filesystem: unknown, viewer: Viewer): Promise<void> {
      requireSuperuser(viewer);
      if (filesystem !== 'storage' && filesystem !== 'backups')
        throw errors.invalid('Failed to test the S3 filesystem.', {
          filesystem: filesystem ? fields.notInList() : fields.required(),
        });
      await load();
      const s3: S3Settings =
        filesystem === 'backups'
          ? config.backupsS3
          : {
              enabled: config.s3Enabled,
              bucket: config.s3Bucket ?? '',
              region: config.s3Region,
              endpoint: config.s3Endpoint ?? '',
              accessKey: config.s3AccessKey ?? '',
              secret: config.s3Secret ?? '',
              forcePathStyle: config.s3ForcePathStyle,
            };
      const fail = (why: string) =>
        errors.badRequest(`Failed to test the S3 filesystem. Raw error: \n${why}`);
      if (!s3.enabled || !s3.bucket) throw fail('S3 storage filesystem is not enabled');
      const store = createS3BlobStore({ ...s3, endpoint: s3.endpoint || undefined });
      const prefix = `fb_settings_test_${randomString(5)}/`;
      try {
        await store.put(`${prefix}test.txt`, Readable.from([Buffer.from('test')]), {
          contentType: 'text/plain',
        });
        await store.deletePrefix(prefix);
      } catch (e) {
        throw fail(e instanceof Error ? e.message : String(e));
      } finally {
        await store.close();
      }
    },
    /** Reloads when another node announces a change (PostgreSQL NOTIFY; nothing on SQLite). */
    sync(): BackgroundService {
      let unlisten: (() => Promise<void>) | undefined;
      const reload = () =>
        load().catch((err: unknown) => logger.error({ err }, 'reloading the settings failed'));
      return {
        name: 'settings-sync',
        async start() {
          unlisten = await db.bus.listen(
            CHANNEL,
            (from) => {
              if (from !== self) void reload();
            },
            () => void reload(),
          );
          await load();
        },
        async stop() {
          await unlisten?.();
          unlisten = undefined;
        },
      };
    },
  };
}

export type SettingsService = ReturnType<typeof createSettingsService>;
