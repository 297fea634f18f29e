import type { Kysely } from 'kysely';
import { type Database, DbError, type Executor, type Transaction } from '../db/database.ts';
import { NotFoundError } from '../errors/api-error.ts';
import { errors } from '../errors/codes.ts';
import { ruleCondition } from '../rules/rule-condition.ts';
import { asSystem } from '../rules/viewer.ts';
import type { Collection } from '../schema/collection.ts';
import type { CollectionService } from '../schema/collection-service.ts';
import type { RecordValues } from '../schema/record-values.ts';
import { aggregateRecords } from './aggregate.ts';
import { expandRecords, parseExpand } from './expand.ts';
import { keyScoped, keyScopedForExpand } from './key-policy.ts';
import { listRecords } from './list.ts';
import { revealManagedEmails } from './manage-access.ts';
import type { WritePreparer } from './prepare-ops.ts';
import type { RecordMethods, SystemRecords } from './record-api.ts';
import { decodeRow, exportRecord } from './record-codec.ts';
import type { RecordRules } from './record-rules.ts';

async function readOnlyView<T>(db: Database, run: (on: Executor) => Promise<T>): Promise<T> {
  try {
    return await db.readOnly(run);
  } catch (e) {
    if (e instanceof DbError && e.code === 'read_only') {
      throw errors.badRequest(
        "The view collection's query tried to write: view queries run read-only.",
        {},
        e,
      );
    }
    throw e;
  }
}

/** What every set of record methods shares, whatever it runs on. */
export interface RecordCore {
  db: Database;
  collections: CollectionService;
  rules: RecordRules;
  preparer: WritePreparer;
}

/** Runs a prepared write: in a new transaction (the database) or a savepoint (a transaction). */
export type WriteRunner = <T>(op: (tx: Transaction) => Promise<T>) => Promise<T>;

/**
 * The record methods on one executor: reads run on `ex` (the database, or a transaction
 * so they see its writes), writes are prepared outside any transaction and run by
 * `write`. The same code serves `records`, `records.withTx(tx)` and hook events.
 */
export function recordMethods(core: RecordCore, ex: Executor, write: WriteRunner): RecordMethods {
  const { db, collections, rules, preparer } = core;
  const qb: Kysely<any> = db.qb;
  const { findValues, listWhere, clientQuery } = rules;
  // reads of rules, expand and managed emails go to this executor
  const readDeps = { ...rules.ruleDeps, ex };
  let system: SystemRecords | undefined;
  /**
   * Where a read of `c` runs: a view collection's query, outside a transaction, in a
   * read-only one (a function in it that writes is a 400, never a write).
   */
  const reading = <T>(c: Collection, run: (on: Executor) => Promise<T>): Promise<T> =>
    c.type === 'view' && ex === db ? readOnlyView(db, run) : run(ex);

  const methods: RecordMethods = {
    async list(collection, params, caller) {
      const c = collections.get(collection);
      const viewer = keyScoped(caller, c, 'list');
      const condition = listWhere(c, params.filter, viewer);
      return clientQuery(condition.filtered, async () => {
        const result = await reading(c, (on) => listRecords(db, c, params, viewer, condition, on));
        await revealManagedEmails(readDeps, c, result.items, viewer);
        const tree = parseExpand(params.expand);
        if (tree) await expandRecords(readDeps, c, result.items, tree, viewer);
        return result;
      });
    },

    async expand(collection, records, expand, caller) {
      const tree = parseExpand(expand);
      if (!tree) return;
      const c = collections.get(collection);
      await expandRecords(readDeps, c, records, tree, keyScopedForExpand(caller, c));
    },

    async aggregate(collection, params, caller) {
      const c = collections.get(collection);
      const viewer = keyScoped(caller, c, 'list');
      const condition = listWhere(c, params.filter, viewer);
      return clientQuery(condition.filtered, () =>
        reading(c, (on) => aggregateRecords(db, c, params, viewer, condition.build().where, on)),
      );
    },

    async view(collection, id, caller, opts = {}) {
      const c = collections.get(collection);
      const viewer = keyScoped(caller, c, 'view');
      const rule = ruleCondition(readDeps, c, c.viewRule, viewer);
      const values = await reading(c, (on) => findValues(on, c, id, rule));
      if (!values) throw new NotFoundError();
      const record = exportRecord(c, values, viewer);
      await revealManagedEmails(readDeps, c, [record], viewer);
      const tree = parseExpand(opts.expand);
      if (tree) await expandRecords(readDeps, c, [record], tree, viewer);
      return record;
    },

    async create(collection, body, viewer) {
      return write(await preparer.prepareCreate(collection, body, viewer, methods));
    },

    async update(collection, id, body, viewer) {
      return write(await preparer.prepareUpdate(collection, id, body, viewer, methods));
    },

    async delete(collection, id, viewer) {
      await write(await preparer.prepareDelete(collection, id, viewer, methods));
    },

    async passesRule(c, id, rule, viewer) {
      if (viewer.superuser) return true;
      if (rule === null) return false;
      return (await findValues(ex, c, id, ruleCondition(readDeps, c, rule, viewer))) !== undefined;
    },

    findById(c: Collection, id: string): Promise<RecordValues | undefined> {
      return findValues(ex, c, id);
    },

    async findByField(c, field, value) {
      const row = await ex.first<Record<string, unknown>>(
        qb.selectFrom(c.name).selectAll().where(field, '=', value).limit(1),
      );
      return row ? decodeRow(c, row) : undefined;
    },

    async hasAny(c) {
      return (await ex.first(qb.selectFrom(c.name).select('id').limit(1))) !== undefined;
    },

    asSystem() {
      system ??= systemRecords(methods);
      return system;
    },
  };
  return methods;
}

/** Record methods as the system viewer. */
function systemRecords(m: RecordMethods): SystemRecords {
  return {
    list: (collection, params = {}) => m.list(collection, params, asSystem()),
    view: (collection, id, opts) => m.view(collection, id, asSystem(), opts),
    create: (collection, body) => m.create(collection, body, asSystem()),
    update: (collection, id, body) => m.update(collection, id, body, asSystem()),
    delete: (collection, id) => m.delete(collection, id, asSystem()),
  };
}
