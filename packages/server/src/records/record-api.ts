import type { Transaction } from '../db/database.ts';
import type { Viewer } from '../rules/viewer.ts';
import type { Collection } from '../schema/collection.ts';
import type { RecordValues } from '../schema/record-values.ts';
import type { AggregateParams } from './aggregate.ts';
import type { ListParams, ListResult } from './list.ts';

/** One write of a batch (`records.batch`). */
export type BatchOperation =
  | { action: 'create'; collection: string; body: Record<string, unknown> }
  | { action: 'upsert'; collection: string; body: Record<string, unknown> }
  | { action: 'update'; collection: string; id: string; body: Record<string, unknown> }
  | { action: 'delete'; collection: string; id: string };

/**
 * The record methods callers use, the same on the database and inside one transaction
 * (`records.withTx(tx)`, `records.inTransaction(...)`, the `records` of a hook event), so
 * code written against them runs atomically when handed a transaction's handle. Rules,
 * API-key scopes and hooks apply on every path.
 */
export interface RecordMethods {
  list(collection: string, params: ListParams, viewer: Viewer): Promise<ListResult>;
  view(
    collection: string,
    id: string,
    viewer: Viewer,
    opts?: { expand?: string | undefined },
  ): Promise<Record<string, unknown>>;
  /** Aggregates over the records a list with the same filter would return. */
  aggregate(
    collection: string,
    params: AggregateParams & { filter?: string | undefined },
    viewer: Viewer,
  ): Promise<{ items: Record<string, unknown>[] }>;
  create(collection: string, body: Record<string, unknown>, viewer: Viewer): Promise<Record<string, unknown>>;
  update(
    collection: string,
    id: string,
    body: Record<string, unknown>,
    viewer: Viewer,
  ): Promise<Record<string, unknown>>;
  delete(collection: string, id: string, viewer: Viewer): Promise<void>;
  /** Adds `expand` to records already exported (create and update responses). */
  expand(
    collection: string,
    records: Record<string, unknown>[],
    expand: string | undefined,
    viewer: Viewer,
  ): Promise<void>;
  /**
   * True when a record passes a rule for the viewer (auth's authRule, manageRule, MFA
   * rule): superusers always, `null` nobody else, `""` everyone.
   */
  passesRule(c: Collection, id: string, rule: string | null, viewer: Viewer): Promise<boolean>;
  /** A record's canonical values by id (no rules: for auth and internal use). */
  findById(c: Collection, id: string): Promise<RecordValues | undefined>;
  /** An auth record by an identity field (no rules: for sign-in). */
  findByField(c: Collection, field: string, value: string): Promise<RecordValues | undefined>;
  /** True when the collection holds at least one record (no rules: for internal checks). */
  hasAny(c: Collection): Promise<boolean>;
  /** The same methods as the system viewer (every rule passes): no viewer to pass. */
  asSystem(): SystemRecords;
}

/** Record methods as the system viewer (`asSystem()`): for jobs, functions and internal code. */
export interface SystemRecords {
  list(collection: string, params?: ListParams): Promise<ListResult>;
  view(
    collection: string,
    id: string,
    opts?: { expand?: string | undefined },
  ): Promise<Record<string, unknown>>;
  create(collection: string, body: Record<string, unknown>): Promise<Record<string, unknown>>;
  update(collection: string, id: string, body: Record<string, unknown>): Promise<Record<string, unknown>>;
  delete(collection: string, id: string): Promise<void>;
}

/**
 * The record methods bound to one open transaction (PocketBase's txApp): reads see the
 * transaction's own writes, and each write runs in a savepoint of it, so a failed write
 * the caller catches leaves the transaction usable; everything commits or rolls back
 * with the transaction.
 */
export interface RecordTx extends RecordMethods {
  /** The transaction itself, for SQL of one's own (e.g. side tables). */
  readonly tx: Transaction;
}
