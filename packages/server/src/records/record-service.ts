import type { Kysely } from 'kysely';
import type { ChangeLog, ChangeRow } from '../changes/change-log.ts';
import type { Database, Transaction } from '../db/database.ts';
import { BadRequestError } from '../errors/api-error.ts';
import { asSystem, type Viewer } from '../rules/viewer.ts';
import type { CollectionService } from '../schema/collection-service.ts';
import type { Clock } from '../tools/clock.ts';
import { type BatchOperation, runBatch } from './batch.ts';
import { type CollectionPage, listCollections } from './collection-list.ts';
import { type ChangeListener, type CommittedChange, createHookRegistry, type RecordChange } from './hooks.ts';
import type { ListParams } from './list.ts';
import { createWritePreparer } from './prepare-ops.ts';
import type { RecordMethods, RecordTx } from './record-api.ts';
import { decodeRow } from './record-codec.ts';
import type { RecordFiles } from './record-files.ts';
import { type RecordCore, recordMethods } from './record-methods.ts';
import { createRecordRules } from './record-rules.ts';
import { createRecordWriter } from './record-writer.ts';

export type { BatchOperation } from './batch.ts';
export { BatchFailure, BatchTimeout } from './batch.ts';
export type { CommittedChange, RecordChange } from './hooks.ts';
export type { RecordMethods, RecordTx, SystemRecords } from './record-api.ts';

/** How passwords are hashed and checked (argon2id in auth/password.ts; injected, records do not import auth). */
export interface PasswordHasher {
  hash(plain: string): Promise<string>;
  verify(plain: string, hash: string): Promise<boolean>;
}

export interface RecordServiceDeps {
  db: Database;
  collections: CollectionService;
  /** The change log: the writer appends to it, `afterCommit` hooks follow it. */
  changes: ChangeLog;
  passwords: PasswordHasher;
  /** Record files in blob storage; without it, file fields only keep names. */
  files?: RecordFiles | undefined;
  /** How long an after-hook may hold its write transaction (default 10 s). */
  afterHookTimeoutMs?: number;
  /** The app's clock: dates autodate fields (the real clock when absent). */
  clock?: Clock | undefined;
}

export type RecordService = ReturnType<typeof createRecordService>;

const AFTER = { create: 'afterCreate', update: 'afterUpdate', delete: 'afterDelete' } as const;

/**
 * The only path that writes collection tables: validates, enforces rules and API-key
 * scopes, runs hooks, writes in a transaction with one change-log row per changed record
 * (`changes.append`), and notifies listeners after commit. Its record methods (RecordMethods) also exist bound
 * to one transaction: `withTx(tx)`, `inTransaction(fn)`.
 */
export function createRecordService({
  db,
  collections,
  changes,
  passwords,
  files,
  afterHookTimeoutMs,
  clock,
}: RecordServiceDeps) {
  const qb: Kysely<any> = db.qb;
  const listeners = new Set<ChangeListener>();
  const onChange = (
    hear: (change: RecordChange) => void,
    actions: readonly RecordChange['action'][] = ['create', 'update', 'delete'],
  ): (() => void) => {
    const listener = { hear, actions: new Set(actions) };
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  // afterCommit hooks share one in-process consumer of the change log, made on first use
  const committedListeners = new Set<(change: CommittedChange) => void | Promise<void>>();
  let following = false;
  async function heardCommitted(rows: ChangeRow[]): Promise<void> {
    // a failing listener keeps no change from the others (the feed logs the failures)
    const failures: unknown[] = [];
    for (const row of rows) {
      const collection = collections.find(row.collectionId);
      if (!collection) continue;
      const change = { ...row, collection };
      for (const l of committedListeners)
        await Promise.resolve(change)
          .then(l)
          .catch((e: unknown) => failures.push(e));
    }
    if (failures.length) throw new AggregateError(failures, 'afterCommit hooks failed');
  }
  const onCommitted = (listener: (change: CommittedChange) => void | Promise<void>): (() => void) => {
    committedListeners.add(listener);
    if (!following) changes.follow('record-hooks', heardCommitted);
    following = true;
    return () => committedListeners.delete(listener);
  };
  const { hooks, runner } = createHookRegistry({
    onCommitted,
    ...(afterHookTimeoutMs !== undefined ? { afterHookTimeoutMs } : {}),
  });
  const writer = createRecordWriter({
    db,
    collections,
    changes,
    listeners,
    files,
    clock,
    hashPassword: passwords.hash,
    async afterWrite(tx, w) {
      const kind = AFTER[w.action];
      if (!runner.has(kind, w.collection)) return;
      const e = { collection: w.collection, record: w.record, viewer: w.viewer, records: withTx(tx), tx };
      if (kind === 'afterUpdate') await runner.run(kind, { ...e, previous: w.previous ?? {} });
      else await runner.run(kind, e);
    },
  });
  const rules = createRecordRules({ db, collections });
  const preparer = createWritePreparer({
    db,
    collections,
    files,
    rules,
    writer,
    hooks: runner,
    verifyPassword: passwords.verify,
  });
  const core: RecordCore = { db, collections, rules, preparer };

  /** Runs a write transaction; answers once the file cleanups it caused are done. */
  async function write<T>(op: (tx: Transaction) => Promise<T>): Promise<T> {
    const result = await db.transaction(op);
    await files?.idle();
    return result;
  }

  // one handle per open transaction (hooks of several writes in it share it)
  const handles = new WeakMap<Transaction, RecordTx>();
  function withTx(tx: Transaction): RecordTx {
    let handle = handles.get(tx);
    if (!handle) {
      handle = { ...recordMethods(core, tx, (op) => tx.transaction(op)), tx };
      handles.set(tx, handle);
    }
    return handle;
  }

  const top: RecordMethods = recordMethods(core, db, write);

  return {
    ...top,

    /** Registers record hooks (see RecordHooks). */
    hooks,

    /** The 403 of a create or update whose rule is null, before any input is read (uploads). */
    refuseClosedRule: preparer.refuseClosedRule,

    /**
     * Subscribes to changes this process committed, synchronously after each commit (not
     * durable, no other node's changes) of the given actions (all by default); returns the
     * unsubscribe function. Most consumers want `hooks.afterCommit` or `changes.follow` instead.
     */
    onChange,

    /**
     * Runs `fn` in one write transaction with record methods bound to it: everything it
     * reads sees its own writes, and everything it writes commits or rolls back together.
     * Keep it short: on SQLite it holds the writer. Called inside another transaction's
     * work (a hook), it joins that transaction as a savepoint. Each write of `fn` is a
     * savepoint of its own, so a refused one leaves the others; `savepoints: false` (bulk
     * work that ends on its first error, an import) writes straight into the transaction,
     * half the statements on PostgreSQL, where a failed statement then aborts the whole.
     *
     * @example
     * await records.inTransaction(async (r) => {
     *   const order = await r.create('orders', { total: 10 }, viewer);
     *   await r.update('stock', itemId, { 'count-': 1 }, viewer);
     * });
     */
    inTransaction<T>(fn: (records: RecordTx) => Promise<T>, opts: { savepoints?: boolean } = {}): Promise<T> {
      if (opts.savepoints === false)
        return write((tx) => fn({ ...recordMethods(core, tx, (op) => op(tx)), tx }));
      return write((tx) => fn(withTx(tx)));
    },

    /** The record methods bound to an open transaction (PocketBase's txApp). */
    withTx,

    /**
     * Runs reads that must agree with each other (a live query's re-run: a page, its count,
     * its expands) with record methods on one snapshot (`db.readSnapshot`: one REPEATABLE
     * READ READ ONLY transaction on PostgreSQL). They are for reading: a write fails.
     */
    snapshot<T>(fn: (records: RecordMethods) => Promise<T>): Promise<T> {
      return db.readSnapshot((ex) =>
        fn(
          recordMethods(core, ex, () =>
            Promise.reject(new Error('records.snapshot is for reads: a write cannot run in it')),
          ),
        ),
      );
    },

    /** Runs several writes in one transaction: all succeed or none does (see runBatch). */
    batch(
      ops: BatchOperation[],
      viewerOf: (index: number) => Viewer,
      deadline?: number,
    ): Promise<(Record<string, unknown> | undefined)[]> {
      return runBatch({ collections, preparer, via: top, write }, ops, viewerOf, deadline);
    },

    /** One page of the collections, filtered and sorted like PocketBase's collections list. */
    listCollections(params: Omit<ListParams, 'expand'>, viewer: Viewer): Promise<CollectionPage> {
      return listCollections({ db, collection: collections.find }, collections.all(), params, viewer);
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
          for (const row of rows) await writer.deleteInTx(tx, c, decodeRow(c, row), seen, asSystem());
        });
      } catch (e) {
        if (e instanceof BadRequestError) {
          throw new BadRequestError(
            'Failed to truncate collection (most likely due to required cascade delete record references).',
            {},
            { cause: e },
          );
        }
        throw e;
      }
    },
  };
}
