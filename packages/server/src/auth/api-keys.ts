import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from '../db/database.ts';
import type { ApiKeysTable } from '../db/system-tables.ts';
import type { ErrorData } from '../errors/api-error.ts';
import { NotFoundError, ValidationError } from '../errors/api-error.ts';
import { FieldCode, fieldError } from '../errors/codes.ts';
import type { KeyGrant } from '../rules/viewer.ts';
import { type Collection, SUPERUSERS } from '../schema/collection.ts';
import type { Clock } from '../tools/clock.ts';
import { randomString } from '../tools/id.ts';
import { nowDate, parseDate } from '../tools/time.ts';

/** The record operations a key may be scoped to. */
export const KEY_OPERATIONS = ['list', 'view', 'create', 'update', 'delete'] as const;
export type KeyOperation = (typeof KEY_OPERATIONS)[number];

/**
 * One scope: a collection (its id, or `*`) and what may be done there (or `*`); or
 * `{ databases: true }`: the tenant databases (manage them, open any of them).
 */
export type KeyScope =
  | { collection: string; operations: (KeyOperation | '*')[]; databases?: undefined }
  | { databases: true; collection?: undefined; operations?: undefined };

/** What a request signed with an API key may do: checked per collection and operation. */
export type ApiKeyGrant = KeyGrant;

/** A stored key: a `_api_keys` row. */
type KeyRow = ApiKeysTable;

/** Secrets start with this, so a token is recognised as an API key before any lookup. */
export const KEY_PREFIX = 'fbk_';
/** lastUsed is written at most this often per key (a write per request would be wasteful). */
const TOUCH_EVERY_MS = 60_000;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export type ApiKeyService = ReturnType<typeof createApiKeyService>;

/**
 * ForgeBase's API keys (`/api/keys`): superusers mint keys scoped to collections and
 * record operations, optionally expiring. The secret is shown once; only its sha256 is
 * stored (a 32-byte random secret needs no slow hash).
 */
export function createApiKeyService({
  db,
  clock,
  findCollection,
}: {
  db: Database;
  /** Expiry and last-use times are read from it. */
  clock: Clock;
  findCollection(idOrName: string): Collection | undefined;
}) {
  const qb = db.sys;

  /** A key as clients see it: never the secret nor its hash; scopes name collections. */
  function toJSON(row: KeyRow): Record<string, unknown> {
    const scopes = JSON.parse(row.scopes) as KeyScope[];
    return {
      id: row.id,
      name: row.name,
      scopes: scopes.map((s) =>
        s.databases
          ? { databases: true }
          : {
              collection: s.collection === '*' ? '*' : (findCollection(s.collection)?.name ?? s.collection),
              operations: s.operations,
            },
      ),
      expires: row.expires,
      lastUsed: row.last_used,
      created: row.created,
    };
  }

  /** Validates `scopes`; collections are stored by id so renames keep the key working. */
  function parseScopes(raw: unknown, errors: ErrorData): KeyScope[] {
    if (!Array.isArray(raw) || raw.length === 0) {
      errors.scopes = fieldError(FieldCode.required, 'At least one scope is required.');
      return [];
    }
    const out: KeyScope[] = [];
    raw.forEach((s, i) => {
      const scope = (s && typeof s === 'object' ? s : {}) as Record<string, unknown>;
      if (scope.databases === true && scope.collection === undefined) {
        out.push({ databases: true });
        return;
      }
      const name = scope.collection;
      const c = typeof name === 'string' && name !== '*' ? findCollection(name) : undefined;
      const ops = scope.operations;
      const validOps =
        Array.isArray(ops) &&
        ops.length > 0 &&
        ops.every((o) => o === '*' || (KEY_OPERATIONS as readonly unknown[]).includes(o));
      // a key never reaches superusers: it could mint itself one
      if (name !== '*' && (!c || c.name === SUPERUSERS)) {
        errors[`scopes.${i}.collection`] = fieldError(FieldCode.missingCollection, 'Unknown collection.');
      } else if (!validOps) {
        errors[`scopes.${i}.operations`] = fieldError(
          FieldCode.invalidOperations,
          `Must list some of ${KEY_OPERATIONS.join(', ')} or *.`,
        );
      } else {
        out.push({ collection: c ? c.id : '*', operations: ops as (KeyOperation | '*')[] });
      }
    });
    return out;
  }

  return {
    /** POST /api/keys `{name, scopes, expires?}` → the key with its `secret` (shown only here). */
    async create(body: Record<string, unknown>): Promise<Record<string, unknown>> {
      const errors: ErrorData = {};
      const name = typeof body.name === 'string' ? body.name.trim() : '';
      if (!name || name.length > 100)
        errors.name = fieldError(FieldCode.required, 'A name of 1 to 100 characters is required.');
      const scopes = parseScopes(body.scopes, errors);
      let expires = '';
      if (body.expires !== undefined && body.expires !== null && body.expires !== '') {
        const parsed = typeof body.expires === 'string' ? parseDate(body.expires) : undefined;
        if (!parsed || parsed <= nowDate(clock.now()))
          errors.expires = fieldError(FieldCode.invalidDate, 'Must be a date in the future.');
        else expires = parsed;
      }
      if (Object.keys(errors).length)
        throw new ValidationError('An error occurred while validating the submitted data.', errors);
      const secret = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
      const row: KeyRow = {
        id: randomString(15),
        name,
        hash: sha256(secret),
        scopes: JSON.stringify(scopes),
        expires,
        last_used: '',
        created: nowDate(clock.now()),
      };
      await db.run(qb.insertInto('_api_keys').values(row));
      return { ...toJSON(row), secret };
    },

    /** GET /api/keys: every key, newest first, without secrets. */
    async list(): Promise<Record<string, unknown>[]> {
      const rows = await db.all<KeyRow>(qb.selectFrom('_api_keys').selectAll().orderBy('created', 'desc'));
      return rows.map(toJSON);
    },

    /** DELETE /api/keys/{id}: the key stops working at once. */
    async revoke(id: string): Promise<void> {
      const done = await db.run(qb.deleteFrom('_api_keys').where('id', '=', id));
      if (!done.changes) throw new NotFoundError();
    },

    /**
     * The grant of a presented secret, or undefined when it is unknown, revoked or expired.
     * Looked up by its hash, then compared in constant time.
     */
    async resolve(secret: string): Promise<ApiKeyGrant | undefined> {
      if (!secret.startsWith(KEY_PREFIX) || secret.length > 200) return undefined;
      const hash = sha256(secret);
      const row = await db.first<KeyRow>(qb.selectFrom('_api_keys').selectAll().where('hash', '=', hash));
      if (!row || !timingSafeEqual(Buffer.from(row.hash), Buffer.from(hash))) return undefined;
      const now = nowDate(clock.now());
      if (row.expires && row.expires <= now) return undefined;
      if (!row.last_used || Date.parse(row.last_used.replace(' ', 'T')) + TOUCH_EVERY_MS < clock.now())
        await db.run(qb.updateTable('_api_keys').set({ last_used: now }).where('id', '=', row.id));
      const scopes = JSON.parse(row.scopes) as KeyScope[];
      return {
        id: row.id,
        name: row.name,
        allows: (c, op) =>
          c.name !== SUPERUSERS &&
          scopes.some(
            (s) =>
              !s.databases &&
              (s.collection === '*' || s.collection === c.id) &&
              (s.operations.includes('*') || s.operations.includes(op)),
          ),
        manageDatabases: scopes.some((s) => s.databases === true),
      };
    },
  };
}
