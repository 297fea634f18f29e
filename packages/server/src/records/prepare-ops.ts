import type { Database, Transaction } from '../db/database.ts';
import { BadRequestError, NotFoundError } from '../errors/api-error.ts';
import { ruleCondition } from '../rules/rule-condition.ts';
import type { Viewer } from '../rules/viewer.ts';
import type { Collection } from '../schema/collection.ts';
import type { CollectionService } from '../schema/collection-service.ts';
import type { RecordValues } from '../schema/record-values.ts';
import { oldPasswordMatches } from './auth-access.ts';
import type { HookRunner } from './hooks.ts';
import { type KeyOperation, keyScoped } from './key-policy.ts';
import { insertEmail } from './manage-access.ts';
import type { BatchOperation, RecordMethods } from './record-api.ts';
import { exportRecord } from './record-codec.ts';
import type { RecordFiles } from './record-files.ts';
import { NEW_RECORD, type RecordRules } from './record-rules.ts';
import type { RecordWriter } from './record-writer.ts';

/** A write checked and prepared outside the transaction; runs inside one. */
export type PreparedWrite<T> = (tx: Transaction) => Promise<T>;

export interface PrepareDeps {
  db: Database;
  collections: CollectionService;
  files?: RecordFiles | undefined;
  rules: RecordRules;
  writer: RecordWriter;
  hooks: HookRunner;
  /** Checks a password against its stored hash (argon2id in auth/). */
  verifyPassword(plain: string, hash: string): Promise<boolean>;
}

/** Whether a write runs its collection's before-hooks (upserts run only the likely action's). */
interface PrepareOptions {
  hooks?: boolean;
}

export type WritePreparer = ReturnType<typeof createWritePreparer>;

/**
 * The prepare phase of writes: everything that can happen before the write transaction
 * (API-key scope, before-hooks, file placement, password hashing, old-password check)
 * happens here, so no write holds the SQLite writer while user code or argon2 runs. Each
 * prepare returns the part that runs inside the transaction.
 */
export function createWritePreparer({
  db,
  collections,
  files,
  rules,
  writer,
  hooks,
  verifyPassword,
}: PrepareDeps) {
  const { ruleDeps, findValues, canManage, checkCreateRule, newRecordMatches } = rules;

  /**
   * The collection of a write and the viewer it is made as: an API key's scope is checked
   * first (a key learns nothing about collections it may not write), then the collection
   * must store records (not a view).
   */
  function target(collection: string, caller: Viewer, op: KeyOperation): { c: Collection; viewer: Viewer } {
    const c = collections.get(collection);
    const viewer = keyScoped(caller, c, op);
    if (c.type === 'view') throw new BadRequestError('Unsupported collection type.');
    return { c, viewer };
  }

  /** Runs the before-hooks of a create or update on a copy of the body; returns the body to write. */
  async function beforeWrite(
    kind: 'beforeCreate' | 'beforeUpdate',
    c: Collection,
    input: Record<string, unknown>,
    viewer: Viewer,
    via: RecordMethods,
    id: string,
    opts: PrepareOptions,
  ): Promise<Record<string, unknown>> {
    if (opts.hooks === false || !hooks.has(kind, c)) return input;
    const e = { collection: c, body: { ...input }, viewer, records: via };
    if (kind === 'beforeCreate') await hooks.run(kind, e);
    else await hooks.run(kind, Object.assign(e, { id }));
    return e.body;
  }

  /**
   * Throws the 403 a create or update would end in when its rule is null (superusers
   * only), so a route can refuse before it reads, let alone stores, the request's files.
   */
  function refuseClosedRule(collection: string, action: 'create' | 'update', caller: Viewer): void {
    const { c, viewer } = target(collection, caller, action);
    const rule = action === 'create' ? c.createRule : c.updateRule;
    if (rule === null || rule === undefined) ruleCondition(ruleDeps, c, rule, viewer);
  }

  async function prepareCreate(
    collection: string,
    input: Record<string, unknown>,
    caller: Viewer,
    via: RecordMethods,
    opts: PrepareOptions = {},
  ): Promise<PreparedWrite<Record<string, unknown>>> {
    const { c, viewer } = target(collection, caller, 'create');
    const hooked = await beforeWrite('beforeCreate', c, input, viewer, via, '', opts);
    const body = files ? files.assignId(c, hooked) : hooked;
    if (files && typeof body.id === 'string') await files.place(c, body.id, body);
    const rule = ruleCondition(ruleDeps, c, c.createRule, viewer, NEW_RECORD);
    // like PocketBase: the manageRule, met by the would-be record, lets a viewer create it verified
    const manageRule =
      c.type === 'auth' && !viewer.superuser && c.manageRule?.trim()
        ? ruleCondition(ruleDeps, c, c.manageRule, viewer, NEW_RECORD)
        : undefined;
    const hashes = await writer.hashPasswords(c, body);
    return async (tx) => {
      const check =
        rule.kind === 'where'
          ? (values: RecordValues) => checkCreateRule(tx, c, values, rule.sql)
          : undefined;
      const manageNew = manageRule
        ? async (values: RecordValues) =>
            manageRule.kind === 'all' || (await newRecordMatches(tx, c, values, manageRule.sql))
        : undefined;
      const access = { manage: false, oldPasswordOk: false, ...(manageNew ? { manageNew } : {}) };
      const v = await writer.writeRecord(tx, c, body, undefined, viewer, hashes, check, access);
      return exportRecord(c, v, viewer);
    };
  }

  async function prepareUpdate(
    collection: string,
    id: string,
    input: Record<string, unknown>,
    caller: Viewer,
    via: RecordMethods,
    opts: PrepareOptions = {},
  ): Promise<PreparedWrite<Record<string, unknown>>> {
    const { c, viewer } = target(collection, caller, 'update');
    const body = await beforeWrite('beforeUpdate', c, input, viewer, via, id, opts);
    await files?.place(c, id, body);
    const rule = ruleCondition(ruleDeps, c, c.updateRule, viewer);
    const hashes = await writer.hashPasswords(c, body);
    // argon2 runs before the write transaction, never inside it
    const oldPasswordOk = await oldPasswordMatches(
      c,
      body,
      viewer,
      () => findValues(db, c, id),
      verifyPassword,
    );
    return async (tx) => {
      const previous = await findValues(tx, c, id, rule);
      if (!previous) throw new NotFoundError();
      const manage = await canManage(tx, c, id, viewer);
      const access = { manage, oldPasswordOk };
      const written = await writer.writeRecord(tx, c, body, previous, viewer, hashes, undefined, access);
      const out = exportRecord(c, written, viewer);
      if (manage && !('email' in out)) insertEmail(c, out, written.email);
      return out;
    };
  }

  async function prepareDelete(
    collection: string,
    id: string,
    caller: Viewer,
    via: RecordMethods,
  ): Promise<PreparedWrite<undefined>> {
    const { c, viewer } = target(collection, caller, 'delete');
    if (hooks.has('beforeDelete', c))
      await hooks.run('beforeDelete', { collection: c, id, viewer, records: via });
    const rule = ruleCondition(ruleDeps, c, c.deleteRule, viewer);
    return async (tx) => {
      const values = await findValues(tx, c, id, rule);
      if (!values || !(await writer.deleteInTx(tx, c, values, new Set(), viewer))) throw new NotFoundError();
      return undefined;
    };
  }

  /**
   * An upsert updates the record with the body's id when it exists, else creates it.
   * Which one is decided in the transaction; before-hooks (outside it) run for the action
   * expected from the committed state and the batch's earlier operations (`known`: record
   * key → exists). Should the transaction disagree and the other action have before-hooks,
   * the operation fails rather than skip them.
   */
  async function prepareUpsert(
    op: Extract<BatchOperation, { action: 'upsert' }>,
    viewer: Viewer,
    via: RecordMethods,
    known: Map<string, boolean>,
  ): Promise<PreparedWrite<Record<string, unknown>>> {
    const c = collections.get(op.collection);
    const id = typeof op.body.id === 'string' ? op.body.id : '';
    const hooked = hooks.has('beforeCreate', c) || hooks.has('beforeUpdate', c);
    const expected =
      hooked && id !== '' && (known.get(`${c.id}/${id}`) ?? (await findValues(db, c, id)) !== undefined);
    const create = await prepareCreate(op.collection, op.body, viewer, via, { hooks: !expected });
    const update = !id
      ? undefined
      : expected
        ? await prepareUpdate(op.collection, id, op.body, viewer, via)
        : await prepareUpdate(op.collection, id, op.body, viewer, via, { hooks: false }).catch(
            () => undefined,
          );
    return async (tx) => {
      const exists = update !== undefined && (await findValues(tx, c, id)) !== undefined;
      if (hooked && exists !== expected && hooks.has(exists ? 'beforeUpdate' : 'beforeCreate', c))
        throw new BadRequestError('The record changed while the request was prepared; try again.');
      return exists ? update(tx) : create(tx);
    };
  }

  /** Prepares one batch operation (see prepareUpsert for `known`). */
  async function prepareOperation(
    op: BatchOperation,
    viewer: Viewer,
    via: RecordMethods,
    known: Map<string, boolean>,
  ): Promise<PreparedWrite<Record<string, unknown> | undefined>> {
    switch (op.action) {
      case 'create':
        return prepareCreate(op.collection, op.body, viewer, via);
      case 'update':
        return prepareUpdate(op.collection, op.id, op.body, viewer, via);
      case 'delete':
        return prepareDelete(op.collection, op.id, viewer, via);
      case 'upsert':
        return prepareUpsert(op, viewer, via, known);
    }
  }

  return { prepareCreate, prepareUpdate, prepareDelete, prepareOperation, refuseClosedRule };
}
