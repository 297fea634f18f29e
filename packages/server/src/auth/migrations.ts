import type { SystemMigration } from '../db/system-migrations.ts';

const OTPS_MFAS = `
  CREATE TABLE _otps (
    id TEXT PRIMARY KEY NOT NULL, collection_ref TEXT NOT NULL, record_ref TEXT NOT NULL,
    password TEXT NOT NULL, sent_to TEXT NOT NULL, created TEXT NOT NULL);
  CREATE INDEX _otps_record ON _otps (collection_ref, record_ref);
  CREATE TABLE _mfas (
    id TEXT PRIMARY KEY NOT NULL, collection_ref TEXT NOT NULL, record_ref TEXT NOT NULL,
    method TEXT NOT NULL, created TEXT NOT NULL);`;

const API_KEYS = `
  CREATE TABLE _api_keys (
    id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, hash TEXT NOT NULL, scopes TEXT NOT NULL,
    expires TEXT NOT NULL, last_used TEXT NOT NULL, created TEXT NOT NULL);
  CREATE UNIQUE INDEX _api_keys_hash ON _api_keys (hash);`;

const EXTERNAL_AUTHS = `
  CREATE TABLE _external_auths (
    id TEXT PRIMARY KEY NOT NULL, collection_ref TEXT NOT NULL, record_ref TEXT NOT NULL,
    provider TEXT NOT NULL, provider_id TEXT NOT NULL, created TEXT NOT NULL);
  CREATE UNIQUE INDEX _external_auths_provider ON _external_auths (collection_ref, provider, provider_id);
  CREATE INDEX _external_auths_record ON _external_auths (collection_ref, record_ref);`;

const TOTPS = `
  CREATE TABLE _totps (
    collection_ref TEXT NOT NULL, record_ref TEXT NOT NULL, secret TEXT NOT NULL,
    confirmed INTEGER NOT NULL, last_step BIGINT NOT NULL, created TEXT NOT NULL,
    PRIMARY KEY (collection_ref, record_ref));`;

const PASSKEYS = `
  CREATE TABLE _passkeys (
    id TEXT PRIMARY KEY NOT NULL, collection_ref TEXT NOT NULL, record_ref TEXT NOT NULL,
    public_key TEXT NOT NULL, counter BIGINT NOT NULL, transports TEXT NOT NULL, name TEXT NOT NULL,
    created TEXT NOT NULL, last_used TEXT NOT NULL);
  CREATE INDEX _passkeys_record ON _passkeys (collection_ref, record_ref);
  CREATE TABLE _passkey_challenges (
    challenge TEXT PRIMARY KEY NOT NULL, collection_ref TEXT NOT NULL, record_ref TEXT NOT NULL,
    kind TEXT NOT NULL, created TEXT NOT NULL);`;

const AUTH_SYSTEM_COLLECTIONS = `
  DROP TABLE _otps;
  DROP TABLE _mfas;`;

/**
 * The auth capability's own tables: OTPs and MFA sign-ins, API keys, OAuth2 identities,
 * TOTP secrets, passkeys. Append only: never edit or rename a released entry.
 */
export const AUTH_MIGRATIONS: readonly SystemMigration[] = [
  {
    // one-time passwords (hashed) and pending multi-factor sign-ins, like PocketBase's
    name: '0002_auth_otps_mfas',
    sqlite: OTPS_MFAS,
    postgres: OTPS_MFAS,
  },
  {
    // ForgeBase's API keys: only a sha256 of the secret is kept
    name: '0003_api_keys',
    sqlite: API_KEYS,
    postgres: API_KEYS,
  },
  {
    // which provider identity (OAuth2) belongs to which auth record
    name: '0004_external_auths',
    sqlite: EXTERNAL_AUTHS,
    postgres: EXTERNAL_AUTHS,
  },
  {
    // authenticator-app (TOTP) secrets of auth records; last_step makes each code single-use
    name: '0005_totps',
    sqlite: TOTPS,
    postgres: TOTPS,
  },
  {
    // WebAuthn credentials (passkeys) of auth records, and the pending challenges (single-use)
    name: '0006_passkeys',
    sqlite: PASSKEYS,
    postgres: PASSKEYS,
  },
  {
    // OTPs, MFA sign-ins and OAuth2 links become PocketBase's system collections `_otps`,
    // `_mfas` and `_externalAuths` (auth-collections.ts): pending OTPs and MFA sign-ins
    // (minutes long) are dropped; the links move over at start (adoptExternalAuths)
    name: '0012_auth_system_collections',
    sqlite: AUTH_SYSTEM_COLLECTIONS,
    postgres: AUTH_SYSTEM_COLLECTIONS,
  },
];
