import { crc32 } from 'node:zlib';
import { randomString } from '../tools/id.ts';
import type { FieldModel } from './field.ts';
import { FIELD_TYPES } from './field-registry.ts';

export type CollectionType = 'base' | 'auth' | 'view';
export type Rule = string | null;

/** A token setting of an auth collection; `secret` never leaves the server. */
export interface TokenConfig {
  duration: number;
  secret: string;
}

/**
 * A collection as stored and served, in PocketBase's JSON shape. Auth-only and view-only
 * keys are present only on those types.
 */
export interface Collection {
  id: string;
  listRule: Rule;
  viewRule: Rule;
  createRule: Rule;
  updateRule: Rule;
  deleteRule: Rule;
  name: string;
  type: CollectionType;
  fields: FieldModel[];
  indexes: string[];
  created: string;
  updated: string;
  system: boolean;
  viewQuery?: string;
  authRule?: Rule;
  manageRule?: Rule;
  authAlert?: Record<string, unknown>;
  oauth2?: Record<string, unknown>;
  passwordAuth?: { enabled: boolean; identityFields: string[] };
  mfa?: Record<string, unknown>;
  otp?: Record<string, unknown>;
  authToken?: TokenConfig;
  passwordResetToken?: TokenConfig;
  emailChangeToken?: TokenConfig;
  verificationToken?: TokenConfig;
  fileToken?: TokenConfig;
  verificationTemplate?: Record<string, unknown>;
  resetPasswordTemplate?: Record<string, unknown>;
  confirmEmailChangeTemplate?: Record<string, unknown>;
  /** ForgeBase's own: anonymous sign-in (`auth-anonymously`). */
  anonymousAuth?: { enabled?: boolean };
  /** ForgeBase's own: passkey (WebAuthn) sign-in. */
  passkeyAuth?: { enabled?: boolean; rpId?: string; rpName?: string; origins?: string[] };
}

export const RULE_KEYS = ['listRule', 'viewRule', 'createRule', 'updateRule', 'deleteRule'] as const;
export const TOKEN_KEYS = [
  'authToken',
  'passwordResetToken',
  'emailChangeToken',
  'verificationToken',
  'fileToken',
] as const;
export const AUTH_KEYS = [
  'authRule',
  'manageRule',
  'authAlert',
  'oauth2',
  'passwordAuth',
  'mfa',
  'otp',
  ...TOKEN_KEYS,
  'verificationTemplate',
  'resetPasswordTemplate',
  'confirmEmailChangeTemplate',
  // ForgeBase's own, after PocketBase's
  'anonymousAuth',
  'passkeyAuth',
] as const;

/** Keys a client may set on create/update (everything else is ignored). */
export const WRITABLE_KEYS = [
  'id',
  'name',
  'type',
  'fields',
  'indexes',
  ...RULE_KEYS,
  'viewQuery',
  ...AUTH_KEYS,
] as const;

/** The name of the built-in superusers collection. */
export const SUPERUSERS = '_superusers';

/** PocketBase's default ids: `pbc_` + CRC32 of type and name; fields: type + CRC32 of name. */
export function defaultCollectionId(type: string, name: string): string {
  return `pbc_${crc32(type + name)}`;
}

export function defaultFieldId(type: string, name: string): string {
  return `${type}${crc32(name)}`;
}

function tokenConfig(duration: number): TokenConfig {
  return {
    duration,
    secret: randomString(50, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'),
  };
}

function template(subject: string, body: string): Record<string, unknown> {
  return { subject, body };
}

/** Default auth options, as PocketBase sets them for a new auth collection. */
export function authDefaults(name: string): Partial<Collection> {
  return {
    authRule: '',
    manageRule: null,
    authAlert: {
      enabled: true,
      emailTemplate: template(
        'Login from a new location',
        "<p>Hello,</p>\n<p>We noticed a login to your {APP_NAME} account from a new location:</p>\n<p><em>{ALERT_INFO}</em></p>\n<p><strong>If this wasn't you, you should immediately change your {APP_NAME} account password to revoke access from all other locations.</strong></p>\n<p>If this was you, you may disregard this email.</p>\n<p>\n  Thanks,<br/>\n  {APP_NAME} team\n</p>",
      ),
    },
    oauth2: {
      providers: [],
      mappedFields: { id: '', name: '', username: '', avatarURL: '' },
      enabled: false,
    },
    passwordAuth: { enabled: true, identityFields: ['email'] },
    mfa: { enabled: false, duration: 600, rule: '' },
    otp: {
      enabled: false,
      duration: 180,
      length: 8,
      emailTemplate: template(
        'OTP for {APP_NAME}',
        '<p>Hello,</p><p>Your one-time password is: <strong>{OTP}</strong></p>',
      ),
    },
    authToken: tokenConfig(name === SUPERUSERS ? 86400 : 432000),
    passwordResetToken: tokenConfig(1800),
    emailChangeToken: tokenConfig(1800),
    verificationToken: tokenConfig(86400),
    fileToken: tokenConfig(180),
    verificationTemplate: template(
      'Verify your {APP_NAME} email',
      '<p>Hello,</p><p>Thank you for joining us at {APP_NAME}.</p><p><a href="{APP_URL}/_/#/auth/confirm-verification/{TOKEN}">Verify</a></p>',
    ),
    resetPasswordTemplate: template(
      'Reset your {APP_NAME} password',
      '<p>Hello,</p><p>Click on the link below to reset your password.</p><p><a href="{APP_URL}/_/#/auth/confirm-password-reset/{TOKEN}">Reset password</a></p>',
    ),
    confirmEmailChangeTemplate: template(
      'Confirm your {APP_NAME} new email address',
      '<p>Hello,</p><p>Click on the link below to confirm your new email address.</p><p><a href="{APP_URL}/_/#/auth/confirm-email-change/{TOKEN}">Confirm new email</a></p>',
    ),
    anonymousAuth: { enabled: false },
    passkeyAuth: { enabled: false, rpId: '', rpName: '', origins: [] },
  };
}

/** A field with its type's default options, then the given options laid over them. */
export function fieldWithDefaults(input: Record<string, unknown>): FieldModel {
  const type = String(input.type ?? '');
  const t = FIELD_TYPES.get(type);
  const base: Record<string, unknown> = { id: '', name: '', type, ...(t ? t.defaults() : {}) };
  if (t && type !== 'autodate') base.help = '';
  for (const key of Object.keys(base)) {
    if (key in input && input[key] !== undefined) base[key] = input[key];
  }
  base.type = type;
  return base as FieldModel;
}

/**
 * A system table described as a collection, so the filter compiler and the sort parser
 * can read it like any collection table: `_objects` for bucket rules, `_logs` for log
 * filters. It has no rules and is never listed or reachable through `@collection`.
 *
 * @example tableAsCollection('_logs', [{ name: 'level', type: 'number' }, { name: 'data', type: 'json' }])
 */
export function tableAsCollection(name: string, fields: { name: string; type: string }[]): Collection {
  return virtualCollection(
    name,
    fields.map((f) => fieldWithDefaults({ ...f, system: true })),
  );
}

export const ID_FIELD = (): FieldModel =>
  fieldWithDefaults({
    id: 'text3208210256',
    name: 'id',
    type: 'text',
    autogeneratePattern: '[a-z0-9]{15}',
    max: 15,
    min: 15,
    pattern: '^[a-z0-9]+$',
    primaryKey: true,
    required: true,
    system: true,
  });

const AUTH_FIELDS = (): FieldModel[] => [
  fieldWithDefaults({
    id: 'password901924565',
    name: 'password',
    type: 'password',
    system: true,
    hidden: true,
    required: true,
    min: 8,
  }),
  fieldWithDefaults({
    id: 'text2504183744',
    name: 'tokenKey',
    type: 'text',
    system: true,
    hidden: true,
    required: true,
    min: 30,
    max: 60,
    autogeneratePattern: '[a-zA-Z0-9]{50}',
  }),
  fieldWithDefaults({ id: 'email3885137012', name: 'email', type: 'email', system: true, required: true }),
  fieldWithDefaults({ id: 'bool1547992806', name: 'emailVisibility', type: 'bool', system: true }),
  fieldWithDefaults({ id: 'bool256245529', name: 'verified', type: 'bool', system: true }),
];

/**
 * Adds or enforces the system fields and indexes of a collection's type: the `id` primary
 * key on base and auth collections; password, tokenKey, email, emailVisibility, verified
 * and their unique indexes on auth collections.
 */
export function ensureSystemFields(c: Collection): void {
  if (c.type === 'view') return;
  const idField = c.fields.find((f) => f.name === 'id');
  if (!idField) {
    // like PocketBase's default field ids: a taken id gets a numeric suffix
    const f = ID_FIELD();
    const base = f.id;
    for (let n = 2; c.fields.some((x) => x.id === f.id); n++) f.id = `${base}${n}`;
    c.fields.unshift(f);
  } else {
    Object.assign(idField, { system: true, required: true, primaryKey: true, hidden: false });
    if (!idField.pattern) idField.pattern = '^[a-z0-9]+$';
  }
  if (c.type !== 'auth') return;
  for (const f of AUTH_FIELDS()) {
    const existing = c.fields.find((x) => x.name === f.name);
    if (!existing) c.fields.push(f);
    else {
      existing.system = true;
      if (f.name === 'email') existing.hidden = false;
      if (f.name === 'password' || f.name === 'tokenKey') {
        existing.hidden = true;
        existing.required = true;
      }
    }
  }
  const wanted = [
    { field: 'tokenKey', where: '' },
    { field: 'email', where: " WHERE `email` != ''" },
  ];
  for (const w of wanted) {
    const has = c.indexes.some((i) =>
      new RegExp(`^\\s*create\\s+unique\\s+index\\s.+\\(\\s*\`?${w.field}\`?\\s*\\)`, 'i').test(i),
    );
    if (!has) {
      const name = `idx_${w.field}_${c.id || c.name}`.slice(0, 64);
      c.indexes.push(`CREATE UNIQUE INDEX \`${name}\` ON \`${c.name}\` (\`${w.field}\`)${w.where}`);
    }
  }
}

/** A new collection of a type with its defaults (PocketBase's scaffold). */
export function scaffold(type: CollectionType, name: string): Collection {
  const c: Collection = {
    id: '',
    listRule: null,
    viewRule: null,
    createRule: null,
    updateRule: null,
    deleteRule: null,
    name,
    type,
    fields: [],
    indexes: [],
    created: '',
    updated: '',
    system: false,
  };
  if (type === 'view') c.viewQuery = '';
  if (type === 'auth') Object.assign(c, authDefaults(name));
  return c;
}

/** The collection as a client sees it: secrets removed, keys in PocketBase's order. */
export function collectionToJSON(c: Collection): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: c.id,
    listRule: c.listRule,
    viewRule: c.viewRule,
    createRule: c.createRule,
    updateRule: c.updateRule,
    deleteRule: c.deleteRule,
    name: c.name,
    type: c.type,
    fields: c.fields,
    indexes: c.indexes,
    created: c.created,
    updated: c.updated,
    system: c.system,
  };
  if (c.type === 'view') out.viewQuery = c.viewQuery ?? '';
  if (c.type === 'auth') {
    for (const k of AUTH_KEYS) {
      const v = c[k];
      if ((TOKEN_KEYS as readonly string[]).includes(k) && v && typeof v === 'object') {
        out[k] = { duration: (v as TokenConfig).duration };
      } else if (k === 'oauth2' && v && typeof v === 'object') {
        const o = v as { providers?: Record<string, unknown>[] };
        out[k] = {
          ...o,
          // secrets never leave: the client secret, and Apple's signing key
          providers: (o.providers ?? []).map(({ clientSecret: _s, privateKey: _k, ...p }) => p),
        };
      } else out[k] = v ?? null;
    }
  }
  return out;
}

/**
 * Clients never see OAuth2 secrets, so they send providers back without them: a provider
 * that comes without `clientSecret` (or Apple's `privateKey`) keeps the one stored under
 * its name (like PocketBase, whose update merges into the stored providers).
 */
export function keepProviderSecrets(prev: unknown, next: unknown): void {
  const list = (o: unknown) => ((o as { providers?: unknown } | undefined)?.providers ?? []) as unknown[];
  const old = new Map(
    list(prev)
      .filter((p): p is Record<string, unknown> => !!p && typeof p === 'object')
      .map((p) => [p.name, p]),
  );
  for (const p of list(next)) {
    if (!p || typeof p !== 'object') continue;
    const cur = p as Record<string, unknown>;
    const was = old.get(cur.name);
    if (!was) continue;
    for (const k of ['clientSecret', 'privateKey']) if (!cur[k] && was[k]) cur[k] = was[k];
  }
}

/**
 * A collection that exists only in code, named `name` (its id too), system and
 * superusers-only: the shape the filter compiler needs to read rows that are not a
 * collection's table (storage objects, the collections list).
 */
export function virtualCollection(name: string, fields: FieldModel[]): Collection {
  return {
    id: name,
    name,
    type: 'base',
    system: true,
    listRule: null,
    viewRule: null,
    createRule: null,
    updateRule: null,
    deleteRule: null,
    indexes: [],
    created: '',
    updated: '',
    fields,
  };
}

/** Deep copy (collections are plain JSON). */
export function cloneCollection(c: Collection): Collection {
  return structuredClone(c);
}
