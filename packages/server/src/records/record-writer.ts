import type { Kysely } from 'kysely';
import type { ChangeLog } from '../changes/change-log.ts';
import { type Database, DbError, type Executor, type Transaction } from '../db/database.ts';
import { BadRequestError, type ErrorData, ValidationError } from '../errors/api-error.ts';
import { FieldCode, fieldError } from '../errors/codes.ts';
import { asSystem, type Viewer } from '../rules/viewer.ts';
import type { Collection } from '../schema/collection.ts';
import type { CollectionService } from '../schema/collection-service.ts';
import { isMulti } from '../schema/field.ts';
import { fieldType } from '../schema/field-registry.ts';
import type { PasswordValue } from '../schema/fields/password.ts';
import type { RecordValues } from '../schema/record-values.ts';
import type { Clock } from '../tools/clock.ts';
import { randomString } from '../tools/id.ts';
import type { ChangeListener, RecordChange } from './hooks.ts';
import { type AuthWriteAccess, checkManagedFields, prepareValues } from './prepare.ts';
import { decodeRow, exportRecord } from './record-codec.ts';
import type { RecordFiles } from './record-files.ts';
import { statementsFor } from './statements.ts';

export type { RecordChange } from './hooks.ts';

/** A write the writer made inside a transaction, told to `afterWrite` (the after-hooks). */
export interface WrittenRecord {
  action: 'create' | 'update' | 'delete';
  collection: Collection;
  record: RecordValues;
  /** Updates: the record as it was. */
  previous?: RecordValues | undefined;
  /** Who asked for the write (for cascades, who asked for the delete that caused them). */
  viewer: Viewer;
}

const TOKEN_KEY_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export interface RecordWriterDeps {
  db: Database;
  collections: CollectionService;
  /** Where each change is appended, in the write's transaction. */
  changes: Pick<ChangeLog, 'append'>;
  /** Told of every change once its transaction has committed (in process). */
  listeners: Set<ChangeListener>;
  /** Deletes dropped record files after commit. */
  files?: RecordFiles | undefined;
  /** Hashes a new password (argon2id in auth/; injected so records need not import auth). */
  hashPassword(plain: string): Promise<string>;
  /** Runs inside the transaction after each record written (the after-hooks). */
  afterWrite?(tx: Transaction, written: WrittenRecord): Promise<void>;
  /** Dates autodate fields (the app's clock, so time-based tests need no sleeps). */
  clock?: Clock | undefined;
}

export type RecordWriter = ReturnType<typeof createRecordWriter>;

/** Manage access known up front, or (creates) decided on the would-be record's values. */
export type WriteAccess = AuthWriteAccess & { manageNew?: (values: RecordValues) => Promise<boolean> };

/**
 * The write path of records inside a transaction: input laid over a record, validated,
 * stored, appended to the change log (`onChange` listeners hear it after commit), and deletes with their
 * relation cascades. Rules are the caller's business (record-service.ts).
 */
export function createRecordWriter({
  db,
  collections,
  changes,
  listeners,
  files,
  hashPassword,
  afterWrite,
  clock,
}: RecordWriterDeps) {
  const qb: Kysely<any> = db.qb;

  async function existingIds(ex: Executor, collectionId: string, ids: string[]): Promise<Set<string>> {
    const target = collections.find(collectionId);
    if (!target || ids.length === 0) return new Set();
    const rows = await ex.all<{ id: string }>(qb.selectFrom(target.name).select('id').where('id', 'in', ids));
    return new Set(rows.map((r) => String(r.id)));
  }

  /** Hashes new plain passwords before the transaction, so no write waits on argon2. */
  async function hashPasswords(c: Collection, body: Record<string, unknown>): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const f of c.fields) {
      const plain = body[f.name];
      if (f.type === 'password' && typeof plain === 'string' && plain !== '')
        out.set(f.name, await hashPassword(plain));
    }
    return out;
  }

  function encodeRow(c: Collection, values: RecordValues): Record<string, unknown> {
    const row: Record<string, unknown> = {};
    for (const f of c.fields) {
      const v = fieldType(f.type).encode(values[f.name], f);
      row[f.name] = typeof v === 'boolean' ? db.filter.bool(v) : v;
    }
    return row;
  }

  function uniqueErrors(c: Collection, e: DbError): ErrorData {
    const data: ErrorData = {};
    const cols = e.columns.length ? e.columns : ['id'];
    for (const col of cols) {
      const name =
        c.fields.find((f) => col === f.name || col.includes(`(${f.name}`) || col.includes(`${f.name})`))
          ?.name ?? col;
      data[name] = fieldError(FieldCode.notUnique, 'Value must be unique.');
    }
    return data;
  }

  async function logChange(tx: Transaction, change: RecordChange): Promise<void> {
    const record = exportRecord(change.collection, change.record, asSystem());
    await changes.append(tx, {
      collectionId: change.collection.id,
      recordId: String(change.record.id),
      action: change.action,
      record,
    });
    const hearing = [...listeners].filter((l) => l.actions.has(change.action));
    if (hearing.length)
      tx.afterCommit(() => {
        for (const l of hearing) l.hear(change);
      });
  }

  async function saveValues(
    tx: Transaction,
    c: Collection,
    values: RecordValues,
    isNew: boolean,
    failMessage: string,
  ): Promise<void> {
    const row = encodeRow(c, values);
    const statements = statementsFor(db, c);
    try {
      if (isNew) await tx.run({ sql: statements.insert, parameters: c.fields.map((f) => row[f.name]) });
      else {
        const parameters = c.fields.filter((f) => f.name !== 'id').map((f) => row[f.name]);
        await tx.run({ sql: statements.update, parameters: [...parameters, row.id] });
      }
    } catch (e) {
      if (e instanceof DbError && e.code === 'unique_violation')
        throw new ValidationError(failMessage, uniqueErrors(c, e));
      // e.g. a NUL character sent to PostgreSQL: the client's data, not a server fault
      if (e instanceof DbError && e.code === 'invalid_text') throw new ValidationError(failMessage, {});
      throw e;
    }
  }

  /**
   * Lays a body over a record (new when `previous` is undefined), validates, writes and
   * logs it, inside the caller's transaction. `hashes` are the new passwords, pre-hashed.
   */
  async function writeRecord(
    tx: Transaction,
    c: Collection,
    body: Record<string, unknown>,
    previous: RecordValues | undefined,
    viewer: Viewer,
    hashes: Map<string, string>,
    check?: (values: RecordValues) => Promise<void>,
    access: WriteAccess = { manage: false, oldPasswordOk: false },
  ): Promise<RecordValues> {
    const isNew = previous === undefined;
    const failMessage = isNew ? 'Failed to create record.' : 'Failed to update record.';
    const { manageNew, ...known } = access;
    const prepared = await prepareValues(c, body, previous, {
      ...known,
      manage: known.manage || manageNew !== undefined,
      superuser: viewer.superuser,
      existingIds: (cid, ids) => existingIds(tx, cid, ids),
      now: clock?.now(),
    });
    await check?.(prepared.values);
    if (manageNew && !(await manageNew(prepared.values)))
      checkManagedFields(prepared.values, previous, prepared.errors);
    if (Object.keys(prepared.errors).length) throw new ValidationError(failMessage, prepared.errors);
    const v = prepared.values;
    for (const [name, hash] of hashes) (v[name] as PasswordValue).hash = hash;
    // a new password or email signs out every session of the record (like PocketBase)
    if (
      !isNew &&
      c.type === 'auth' &&
      (hashes.has('password') || v.email !== previous.email) &&
      v.tokenKey === previous.tokenKey
    )
      v.tokenKey = randomString(50, TOKEN_KEY_CHARS);
    await saveValues(tx, c, v, isNew, failMessage);
    const action = isNew ? 'create' : 'update';
    await logChange(tx, { action, collection: c, record: v });
    await afterWrite?.(tx, { action, collection: c, record: v, previous, viewer });
    if (previous && files) tx.afterCommit(() => files.afterUpdate(c, previous, v));
    return v;
  }

  /**
   * Deletes a record and, following relation fields, detaches or cascades its references.
   * False when the row was gone already (a concurrent delete committed first): then
   * nothing is logged or cascaded, so one record is deleted, and heard of, once.
   */
  async function deleteInTx(
    tx: Transaction,
    c: Collection,
    values: RecordValues,
    seen: Set<string>,
    viewer: Viewer,
  ): Promise<boolean> {
    const key = `${c.id}/${String(values.id)}`;
    if (seen.has(key)) return true;
    seen.add(key);
    if ((await tx.run(qb.deleteFrom(c.name).where('id', '=', values.id))).changes === 0) return false;
    await logChange(tx, { action: 'delete', collection: c, record: values });
    // e.g. auth drops what it keeps per auth record (auth/record-cleanup.ts)
    await afterWrite?.(tx, { action: 'delete', collection: c, record: values, viewer });
    if (files) tx.afterCommit(() => files.afterDelete(c, values));
    for (const other of collections.all()) {
      if (other.type === 'view') continue;
      for (const f of other.fields) {
        if (f.type !== 'relation' || f.collectionId !== c.id) continue;
        const multi = isMulti(f);
        const cond = multi ? db.filter.jsonArrayHas(f.name, values.id) : undefined;
        const query = qb.selectFrom(other.name).selectAll();
        const rows = await tx.all<Record<string, unknown>>(
          cond ? query.where(cond) : query.where(f.name, '=', values.id),
        );
        for (const row of rows) {
          const refValues = decodeRow(other, row);
          if (seen.has(`${other.id}/${String(refValues.id)}`)) continue;
          const current = refValues[f.name];
          const remaining = Array.isArray(current) ? current.filter((x) => x !== values.id) : [];
          if (remaining.length === 0 && f.cascadeDelete) {
            await deleteInTx(tx, other, refValues, seen, viewer);
            continue;
          }
          if (remaining.length === 0 && f.required) {
            throw new BadRequestError(
              'Failed to delete record. Make sure that the record is not part of a required relation reference.',
            );
          }
          const previous = { ...refValues };
          refValues[f.name] = multi ? remaining : '';
          await tx.run(
            qb
              .updateTable(other.name)
              .set({ [f.name]: fieldType(f.type).encode(refValues[f.name], f) })
              .where('id', '=', refValues.id),
          );
          await logChange(tx, { action: 'update', collection: other, record: refValues });
          await afterWrite?.(tx, {
            action: 'update',
            collection: other,
            record: refValues,
            previous,
            viewer,
          });
        }
      }
    }
    return true;
  }

  return { encodeRow, hashPasswords, writeRecord, deleteInTx };
}
