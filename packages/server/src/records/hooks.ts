import type { Transaction } from '../db/database.ts';
import type { Viewer } from '../rules/viewer.ts';
import type { Collection } from '../schema/collection.ts';
import type { RecordValues } from '../schema/record-values.ts';
import type { RecordMethods, RecordTx } from './record-api.ts';

/** A committed change, delivered to after-commit listeners. */
export interface RecordChange {
  action: 'create' | 'update' | 'delete';
  collection: Collection;
  record: RecordValues;
}

/**
 * An in-process listener of committed changes (`records.onChange`) and the actions it
 * wants: a write no listener wants keeps nothing for after its commit, so a transaction
 * of a million creates (an import) holds no per-record callback.
 */
export interface ChangeListener {
  hear(change: RecordChange): void;
  actions: ReadonlySet<RecordChange['action']>;
}

/** A change heard from the change log after commit: `record` is its superuser export. */
export interface CommittedChange extends RecordChange {
  seq: number;
  /** Changes written by one transaction share it. */
  txId: number;
}

/** Which collections a hook is for: a collection's name or id, or `*` for all of them. */
export type HookTarget = string;

/** Before a create, outside the transaction: may change `body` (or replace it) or throw. */
export interface BeforeCreateEvent {
  collection: Collection;
  /** The input, a copy of the caller's: change it in place or assign a new object. */
  body: Record<string, unknown>;
  viewer: Viewer;
  /** The records the write goes through (a transaction's handle for writes made inside one). */
  records: RecordMethods;
}

/** Before an update, outside the transaction: may change `body` (or replace it) or throw. */
export interface BeforeUpdateEvent extends BeforeCreateEvent {
  id: string;
}

/** Before a delete, outside the transaction: may throw to refuse it. */
export interface BeforeDeleteEvent {
  collection: Collection;
  id: string;
  viewer: Viewer;
  records: RecordMethods;
}

/**
 * After a record was written, inside its transaction (before commit). `records` reads and
 * writes in that same transaction; a throw rolls the whole write back.
 */
export interface AfterWriteEvent {
  collection: Collection;
  /** The record as stored (canonical values). */
  record: RecordValues;
  viewer: Viewer;
  records: RecordTx;
  tx: Transaction;
}

/** After an update, inside its transaction: also carries the record as it was. */
export interface AfterUpdateEvent extends AfterWriteEvent {
  previous: RecordValues;
}

/** A hook: may be async; an `ApiError` it throws becomes the response (PocketBase's shape). */
export type Hook<E> = (e: E) => void | Promise<void>;

/**
 * Registration of record hooks (PocketBase's OnRecordCreate & co.). Each returns the
 * function that removes the hook. Hooks of one kind run in registration order.
 *
 * - `before*` run in the prepare phase, outside any transaction (never while the SQLite
 *   writer holds its group commit): validate, enrich or refuse the input. Writes made
 *   through a transaction's handle (`e.records`, `inTransaction`) are prepared inside
 *   that transaction, so their before-hooks run there too.
 * - `after*` run inside the write's transaction: keep them short; they may write related
 *   records atomically through `e.records`. They also run for cascaded deletes and for
 *   records a delete detached from a relation (an update).
 * - `afterCommit` hears committed changes from the change log, in commit order, from
 *   this node and every other one, with the record as a superuser sees it. In process
 *   and not durable (from the moment it is registered; a throw is logged and the change
 *   skipped): work that must survive a restart follows the log itself with
 *   `changes.follow(name, handler, { durable: true })`.
 *
 * @example
 * records.hooks.beforeCreate('posts', (e) => { e.body.slug ??= slugify(String(e.body.title)); });
 * records.hooks.afterCreate('posts', async (e) => {
 *   await e.records.asSystem().create('audit', { post: e.record.id });
 * });
 */
export interface RecordHooks {
  beforeCreate(target: HookTarget, hook: Hook<BeforeCreateEvent>): () => void;
  beforeUpdate(target: HookTarget, hook: Hook<BeforeUpdateEvent>): () => void;
  beforeDelete(target: HookTarget, hook: Hook<BeforeDeleteEvent>): () => void;
  afterCreate(target: HookTarget, hook: Hook<AfterWriteEvent>): () => void;
  afterUpdate(target: HookTarget, hook: Hook<AfterUpdateEvent>): () => void;
  afterDelete(target: HookTarget, hook: Hook<AfterWriteEvent>): () => void;
  afterCommit(target: HookTarget, listener: (change: CommittedChange) => void | Promise<void>): () => void;
}

interface HookEvents {
  beforeCreate: BeforeCreateEvent;
  beforeUpdate: BeforeUpdateEvent;
  beforeDelete: BeforeDeleteEvent;
  afterCreate: AfterWriteEvent;
  afterUpdate: AfterUpdateEvent;
  afterDelete: AfterWriteEvent;
}

/** A kind of in-process hook. */
export type HookKind = keyof HookEvents;

/** What the record service does with the hooks: find and run those of a collection. */
export interface HookRunner {
  /** True when any hook of this kind is for the collection. */
  has(kind: HookKind, c: Collection): boolean;
  /** Runs the hooks of this kind for the event's collection, in order; each one is awaited. */
  run<K extends HookKind>(kind: K, e: HookEvents[K]): Promise<void>;
}

/** An after-hook running longer than this fails its write (it holds the write transaction). */
const AFTER_HOOK_TIMEOUT_MS = 10_000;

const matches = (target: HookTarget, c: Collection) => target === '*' || target === c.id || target === c.name;

/**
 * The hook registry of one record service: `hooks` is its public face, `runner` what the
 * write path calls. `onCommitted` subscribes to the change log (for `afterCommit`).
 */
export function createHookRegistry({
  onCommitted,
  afterHookTimeoutMs = AFTER_HOOK_TIMEOUT_MS,
}: {
  onCommitted(listener: (change: CommittedChange) => void | Promise<void>): () => void;
  afterHookTimeoutMs?: number;
}): { hooks: RecordHooks; runner: HookRunner } {
  type Entry = { target: HookTarget; hook: Hook<never> };
  const lists: Record<HookKind, Entry[]> = {
    beforeCreate: [],
    beforeUpdate: [],
    beforeDelete: [],
    afterCreate: [],
    afterUpdate: [],
    afterDelete: [],
  };

  function add<K extends HookKind>(kind: K, target: HookTarget, hook: Hook<HookEvents[K]>): () => void {
    const entry: Entry = { target, hook: hook as Hook<never> };
    // copy on write: a hook removed while its kind runs does not disturb that run
    lists[kind] = [...lists[kind], entry];
    return () => {
      lists[kind] = lists[kind].filter((e) => e !== entry);
    };
  }

  /** Rejects when an after-hook outlives its bound (it would stall every writer). */
  async function bounded(kind: HookKind, run: void | Promise<void>): Promise<void> {
    if (!(run instanceof Promise)) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${kind} hook did not finish within ${afterHookTimeoutMs} ms`)),
        afterHookTimeoutMs,
      );
    });
    try {
      await Promise.race([run, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  const runner: HookRunner = {
    has(kind, c) {
      const list = lists[kind];
      return list.length > 0 && list.some((e) => matches(e.target, c));
    },
    async run(kind, e) {
      const list = lists[kind];
      if (list.length === 0) return;
      const after = kind.startsWith('after');
      for (const entry of list) {
        if (!matches(entry.target, e.collection)) continue;
        const result = (entry.hook as Hook<typeof e>)(e);
        if (after) await bounded(kind, result);
        else await result;
      }
    },
  };

  const hooks: RecordHooks = {
    beforeCreate: (target, hook) => add('beforeCreate', target, hook),
    beforeUpdate: (target, hook) => add('beforeUpdate', target, hook),
    beforeDelete: (target, hook) => add('beforeDelete', target, hook),
    afterCreate: (target, hook) => add('afterCreate', target, hook),
    afterUpdate: (target, hook) => add('afterUpdate', target, hook),
    afterDelete: (target, hook) => add('afterDelete', target, hook),
    afterCommit: (target, listener) =>
      onCommitted((change) => (matches(target, change.collection) ? listener(change) : undefined)),
  };
  return { hooks, runner };
}
