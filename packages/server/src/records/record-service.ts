import type { Kysely, RawBuilder } from 'kysely';
import { type Database, DbError, type Executor, type Transaction } from '../db/database.ts';
import { sql } from '../db/kysely.ts';
import { BadRequestError, NotFoundError } from '../errors/api-error.ts';
import { filterCondition, type RuleCondition, ruleCondition, sortValue } from '../rules/rule-condition.ts';
import type { Viewer } from '../rules/viewer.ts';
import type { Collection } from '../schema/collection.ts';
import type { CollectionService } from '../schema/collection-service.ts';
import type { RecordValues } from '../schema/record-values.ts';
import { type AggregateParams, aggregateRecords } from './aggregate.ts';
import { oldPasswordMatches } from './auth-access.ts';
import { expandRecords, parseExpand } from './expand.ts';
import { type ListCondition, type ListParams, type ListResult, listRecords } from './list.ts';
import { insertEmail, revealManagedEmails } from './manage-access.ts';
import { decodeRow, exportRecord } from './record-codec.ts';
import type { RecordFiles } from './record-files.ts';
import { createRecordWriter, type RecordChange } from './record-writer.ts';
import { statementsFor } from './statements.ts';

export type { RecordChange } from './record-writer.ts';

export interface RecordServiceDeps {
  db: Database;
  collections: CollectionService;
  /** Record files in blob storage; without it, file fields only keep names. */
  files?: RecordFiles;
}

export type RecordService = ReturnType<typeof createRecordService>;

const ALL: RuleCondition = { kind: 'all' };
/** How a createRule names the would-be record it checks. */
const NEW_RECORD = 'fb_new';

/** One write of a batch. */
export type BatchOperation =
  | { action: 'create'; collection: string; body: Record<string, unknown> }
  | { action: 'upsert'; collection: string; body: Record<string, unknown> }
  | { action: 'update'; collection: string; id: string; body: Record<string, unknown> }
  | { action: 'delete'; collection: string; id: string };

/** The operation of a batch that failed (its index) and why. */
export class BatchFailure extends Error {
  readonly index: number;
  constructor(index: number, cause: unknown) {
    super(`batch operation ${index} failed`, { cause });
    this.name = 'BatchFailure';
    this.index = index;
  }
}

/**
 * The only path that writes collection tables: validates, enforces rules, writes in a
 * transaction with one `_changes` row per changed record, and notifies listeners after
 * commit.
 */
export function createRecordService({ db, collections, files }: RecordServiceDeps) {
  const qb: Kysely<any> = db.qb;
  const listeners = new Set<(change: RecordChange) => void>();
  const ruleDeps = { db, collection: (idOrName: string) => collections.find(idOrName) };
  const { encodeRow, hashPasswords, writeRecord, deleteInTx } = createRecordWriter({
    db,
    collections,
    listeners,
    files,
  });
  /** Runs a write transaction; answers once the file cleanups it caused are done. */
  async function write<T>(op: (tx: Transaction) => Promise<T>): Promise<T> {
    const result = await db.transaction(op);
    await files?.idle();
    return result;
  }

  function writable(c: Collection): void {
    if (c.type === 'view') throw new BadRequestError('Unsupported collection type.');
  }

  /** A record by id; with a rule condition, only when the record passes it. */
  async function findValues(
    ex: Executor,
    c: Collection,
    id: string,
    rule: RuleCondition = ALL,
  ): Promise<RecordValues | undefined> {
    const row =
      rule.kind === 'all'
        ? await ex.first<Record<string, unknown>>({ sql: statementsFor(db, c).byId, parameters: [id] })
        : await ex.first<Record<string, unknown>>(
            qb.selectFrom(c.name).selectAll(c.name).where('id', '=', id).where(rule.sql),
          );
    return row ? decodeRow(c, row) : undefined;
  }

  /**
   * matches PocketBase: a viewer the auth collection's manageRule lets through for a record
   * may set its email, verified and password directly (no old password needed). An empty
   * or null manageRule means superusers only.
   */
  async function canManage(ex: Executor, c: Collection, id: string, viewer: Viewer): Promise<boolean> {
    if (c.type !== 'auth' || viewer.superuser) return viewer.superuser;
    if (!c.manageRule?.trim()) return false;
    return (await findValues(ex, c, id, ruleCondition(ruleDeps, c, c.manageRule, viewer))) !== undefined;
  }

  /** The condition of a list: the listRule (which narrows, never 403s) and the filter. */
  function listWhere(
    c: Collection,
    filterText: string | undefined,
    viewer: Viewer,
  ): ListCondition & { filtered: boolean } {
    const rule = ruleCondition(ruleDeps, c, c.listRule, viewer);
    const text = filterText?.trim() ? filterText : undefined;
    // a viewer no rule narrows has SQL that depends only on the filter text: cache it
    const cacheKey = rule.kind === 'all' ? `${viewer.superuser ? 's' : 'p'}:${text ?? ''}` : undefined;
    return {
      cacheKey,
      filtered: text !== undefined,
      sortPath: (name) => sortValue(ruleDeps, c, name, viewer, text),
      build() {
        const filter = text ? filterCondition(ruleDeps, c, text, viewer) : undefined;
        const where =
          rule.kind === 'where' && filter
            ? sql<boolean>`(${rule.sql} AND ${filter.sql})`
            : rule.kind === 'where'
              ? rule.sql
              : filter?.sql;
        return { where, stable: rule.kind === 'all' && (filter?.stable ?? true) };
      },
    };
  }

  /** Runs a query shaped by client input: a filter the database still rejects is a 400, never a 500. */
  async function clientQuery<T>(filtered: boolean, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      if (filtered && e instanceof DbError) {
        throw new BadRequestError(
          'Invalid filter: the database could not evaluate it.',
          { filter: { code: 'validation_invalid_filter', message: 'The filter could not be evaluated.' } },
          { cause: e },
        );
      }
      throw e;
    }
  }

  /**
   * Matches PocketBase: the createRule is checked against the would-be record before it is
   * validated or stored, so a caller the rule rejects learns nothing from field errors (not
   * even which unique values are taken). The record is a one-row CTE typed like the table.
   */
  async function checkCreateRule(
    tx: Transaction,
    c: Collection,
    values: RecordValues,
    cond: RawBuilder<boolean>,
  ): Promise<void> {
    if (!(await newRecordMatches(tx, c, values, cond))) throw new BadRequestError('Failed to create record.');
  }

  /** Whether a would-be record (a one-row CTE typed like the table) meets a rule condition. */
  async function newRecordMatches(
    tx: Transaction,
    c: Collection,
    values: RecordValues,
    cond: RawBuilder<boolean>,
  ): Promise<boolean> {
    const row = encodeRow(c, values);
    // like PocketBase, a rule may not rely on a `verified` the creator sets
    if (c.type === 'auth') row.verified = db.bool(false);
    const columns = sql.join(c.fields.map((f) => sql.id(f.name)));
    const params = sql.join(c.fields.map((f) => sql`${row[f.name]}`));
    // the empty first branch gives the parameters the table's column types (PostgreSQL)
    const newRow = sql`SELECT ${columns} FROM ${sql.id(c.name)} WHERE 1 = 0 UNION ALL SELECT ${params}`;
    const query = sql`WITH ${sql.id(NEW_RECORD)} AS (${newRow}) SELECT 1 AS ok FROM ${sql.id(NEW_RECORD)} WHERE ${cond}`;
    try {
      return (await tx.first(query.compile(qb))) !== undefined;
    } catch (e) {
      // text the database cannot hold (a NUL on PostgreSQL) fails like the insert would
      if (e instanceof DbError && e.code === 'invalid_text') return false;
      throw e;
    }
  }

  /** Checks and hashes what can be done before a write transaction; returns the write. */
  async function prepareCreate(collection: string, input: Record<string, unknown>, viewer: Viewer) {
    const c = collections.get(collection);
    writable(c);
    const body = files ? files.assignId(c, input) : input;
    if (files && typeof body.id === 'string') await files.place(c, body.id, body);
    const rule = ruleCondition(ruleDeps, c, c.createRule, viewer, NEW_RECORD);
    // like PocketBase: the manageRule, met by the would-be record, lets a viewer create it verified
    const manageRule =
      c.type === 'auth' && !viewer.superuser && c.manageRule?.trim()
        ? ruleCondition(ruleDeps, c, c.manageRule, viewer, NEW_RECORD)
        : undefined;
    const hashes = await hashPasswords(c, body);
    return async (tx: Transaction): Promise<Record<string, unknown>> => {
      const check =
        rule.kind === 'where'
          ? (values: RecordValues) => checkCreateRule(tx, c, values, rule.sql)
          : undefined;
      const manageNew = manageRule
        ? async (values: RecordValues) =>
            manageRule.kind === 'all' || (await newRecordMatches(tx, c, values, manageRule.sql))
        : undefined;
      const access = { manage: false, oldPasswordOk: false, ...(manageNew ? { manageNew } : {}) };
      const v = await writeRecord(tx, c, body, undefined, viewer, hashes, check, access);
      return exportRecord(c, v, viewer);
    };
  }

  async function prepareUpdate(
    collection: string,
    id: string,
    body: Record<string, unknown>,
    viewer: Viewer,
  ) {
    const c = collections.get(collection);
    writable(c);
    await files?.place(c, id, body);
    const rule = ruleCondition(ruleDeps, c, c.updateRule, viewer);
    const hashes = await hashPasswords(c, body);
    // argon2 runs before the write transaction, never inside it
    const oldPasswordOk = await oldPasswordMatches(c, body, viewer, () => findValues(db, c, id));
    return async (tx: Transaction): Promise<Record<string, unknown>> => {
      const previous = await findValues(tx, c, id, rule);
      if (!previous) throw new NotFoundError();
      const manage = await canManage(tx, c, id, viewer);
      const access = { manage, oldPasswordOk };
      const written = await writeRecord(tx, c, body, previous, viewer, hashes, undefined, access);
      const out = exportRecord(c, written, viewer);
      if (manage && !('email' in out)) insertEmail(c, out, written.email);
      return out;
    };
  }

  function prepareDelete(collection: string, id: string, viewer: Viewer) {
    const c = collections.get(collection);
    writable(c);
    const rule = ruleCondition(ruleDeps, c, c.deleteRule, viewer);
    return async (tx: Transaction): Promise<undefined> => {
      const values = await findValues(tx, c, id, rule);
      if (!values) throw new NotFoundError();
      await deleteInTx(tx, c, values, new Set());
      return undefined;
    };
  }

  /** An upsert updates the record with the body's id when it exists, else creates it. */
  async function prepareOperation(op: BatchOperation, viewer: Viewer) {
    switch (op.action) {
      case 'create':
        return prepareCreate(op.collection, op.body, viewer);
      case 'update':
        return prepareUpdate(op.collection, op.id, op.body, viewer);
      case 'delete':
        return prepareDelete(op.collection, op.id, viewer);
      case 'upsert': {
        const c = collections.get(op.collection);
        const id = typeof op.body.id === 'string' ? op.body.id : '';
        const create = await prepareCreate(op.collection, op.body, viewer);
        const update = id
          ? await prepareUpdate(op.collection, id, op.body, viewer).catch(() => undefined)
          : undefined;
        return async (tx: Transaction) =>
          update && id && (await findValues(tx, c, id)) ? update(tx) : create(tx);
      }
    }
  }

  return {
    /** Subscribes to committed changes; returns the unsubscribe function. */
    onChange(listener: (change: RecordChange) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async list(collection: string, params: ListParams, viewer: Viewer): Promise<ListResult> {
      const c = collections.get(collection);
      const condition = listWhere(c, params.filter, viewer);
      return clientQuery(condition.filtered, async () => {
        const result = await listRecords(db, c, params, viewer, condition);
        await revealManagedEmails(ruleDeps, c, result.items, viewer);
        const tree = parseExpand(params.expand);
        if (tree) await expandRecords(ruleDeps, c, result.items, tree, viewer);
        return result;
      });
    },

    /** Adds `expand` to records already exported (create and update responses). */
    async expand(
      collection: string,
      records: Record<string, unknown>[],
      expand: string | undefined,
      viewer: Viewer,
    ): Promise<void> {
      const tree = parseExpand(expand);
      if (tree) await expandRecords(ruleDeps, collections.get(collection), records, tree, viewer);
    },

    /** Aggregates over the records a list with the same filter would return. */
    async aggregate(
      collection: string,
      params: AggregateParams & { filter?: string | undefined },
      viewer: Viewer,
    ): Promise<{ items: Record<string, unknown>[] }> {
      const c = collections.get(collection);
      const condition = listWhere(c, params.filter, viewer);
      return clientQuery(condition.filtered, () =>
        aggregateRecords(db, c, params, viewer, condition.build().where),
      );
    },

    async view(
      collection: string,
      id: string,
      viewer: Viewer,
      opts: { expand?: string | undefined } = {},
    ): Promise<Record<string, unknown>> {
      const c = collections.get(collection);
      const values = await findValues(db, c, id, ruleCondition(ruleDeps, c, c.viewRule, viewer));
      if (!values) throw new NotFoundError();
      const record = exportRecord(c, values, viewer);
      await revealManagedEmails(ruleDeps, c, [record], viewer);
      const tree = parseExpand(opts.expand);
      if (tree) await expandRecords(ruleDeps, c, [record], tree, viewer);
      return record;
    },

    /**
     * Creates a record. `precondition` runs first inside the write transaction (e.g. to
     * check, under a lock, that something does not exist yet).
     */
    async create(
      collection: string,
      body: Record<string, unknown>,
      viewer: Viewer,
      opts: { precondition?: (tx: Transaction) => Promise<void> } = {},
    ): Promise<Record<string, unknown>> {
      const op = await prepareCreate(collection, body, viewer);
      return write(async (tx) => {
        await opts.precondition?.(tx);
        return op(tx);
      });
    },

    async update(
      collection: string,
      id: string,
      body: Record<string, unknown>,
      viewer: Viewer,
    ): Promise<Record<string, unknown>> {
      const op = await prepareUpdate(collection, id, body, viewer);
      return write(op);
    },

    async delete(collection: string, id: string, viewer: Viewer): Promise<void> {
      const op = prepareDelete(collection, id, viewer);
      await write(op);
    },

    /**
     * Runs several writes in one transaction: all succeed or none does. Each operation is
     * checked like its single form; the error of the first failing one is thrown with
     * its index.
     */
    async batch(
      ops: BatchOperation[],
      viewerOf: (index: number) => Viewer,
    ): Promise<(Record<string, unknown> | undefined)[]> {
      const prepared: ((tx: Transaction) => Promise<Record<string, unknown> | undefined>)[] = [];
      for (const [index, op] of ops.entries()) {
        try {
          prepared.push(await prepareOperation(op, viewerOf(index)));
        } catch (e) {
          throw new BatchFailure(index, e);
        }
      }
      return write(async (tx) => {
        const results: (Record<string, unknown> | undefined)[] = [];
        for (const [index, run] of prepared.entries()) {
          try {
            results.push(await run(tx));
          } catch (e) {
            throw new BatchFailure(index, e);
          }
        }
        return results;
      });
    },

    /** Deletes every record of a collection, with the same reference handling as delete. */
    async truncate(collection: string): Promise<void> {
      const c = collections.get(collection);
      if (c.type === 'view') {
        throw new BadRequestError(
          "View collections cannot be truncated since they don't store their own records.",
        );
      }
      try {
        await write(async (tx) => {
          const seen = new Set<string>();
          const rows = await tx.all<Record<string, unknown>>(qb.selectFrom(c.name).selectAll());
          for (const row of rows) await deleteInTx(tx, c, decodeRow(c, row), seen);
        });
      } catch (e) {
        if (e instanceof BadRequestError) {
          throw new BadRequestError(
            'Failed to truncate collection (most likely due to required cascade delete record references).',
          );
        }
        throw e;
      }
    },

    /**
     * True when a record passes a rule for the viewer (auth's authRule, manageRule, MFA
     * rule): superusers always, `null` nobody else, `""` everyone.
     */
    async passesRule(c: Collection, id: string, rule: string | null, viewer: Viewer): Promise<boolean> {
      if (viewer.superuser) return true;
      if (rule === null) return false;
      return (await findValues(db, c, id, ruleCondition(ruleDeps, c, rule, viewer))) !== undefined;
    },

    /** Finds a record's canonical values by id (no rules: for auth and internal use). */
    findById(c: Collection, id: string): Promise<RecordValues | undefined> {
      return findValues(db, c, id);
    },

    /** Deletes `_changes` entries written before `before` (a stored date); returns how many. */
    async pruneChanges(before: string): Promise<number> {
      return (await db.run(qb.deleteFrom('_changes').where('created', '<', before))).changes;
    },

    /** True when the collection holds at least one record (no rules: for internal checks). */
    async hasAny(ex: Executor, c: Collection): Promise<boolean> {
      return (await ex.first(qb.selectFrom(c.name).select('id').limit(1))) !== undefined;
    },

    /** Finds an auth record by an identity field (no rules: for sign-in). */
    async findByField(c: Collection, field: string, value: string): Promise<RecordValues | undefined> {
      const row = await db.first<Record<string, unknown>>(
        qb.selectFrom(c.name).selectAll().where(field, '=', value).limit(1),
      );
      return row ? decodeRow(c, row) : undefined;
    },
  };
}
