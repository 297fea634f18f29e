import type { ChangeLog, ChangeRow, Following } from '../changes/change-log.ts';
import type { Logger } from '../observability/logger.ts';
import type { RecordMethods } from '../records/record-api.ts';
import type { RecordService } from '../records/record-service.ts';
import { asSystem, type Viewer } from '../rules/viewer.ts';
import type { CollectionService } from '../schema/collection-service.ts';
import type { CallScope } from './context.ts';
import type { HookPayload } from './define.ts';
import type { FunctionEntry } from './loader.ts';

/** The hooks of the loaded functions, bound to the record service and the change log. */
export interface HookBindings {
  /** Binds the hooks of a (re)load: record hooks are bound anew, durable consumers kept by name. */
  update(entries: FunctionEntry[]): Promise<void>;
  /** Runs the `beforeAuth`/`afterAuth` hooks of an auth collection. */
  auth(
    event: 'beforeAuth' | 'afterAuth',
    collection: string,
    record: Record<string, unknown>,
    method: string,
    viewer: Viewer,
  ): Promise<void>;
  stop(): Promise<void>;
}

export interface HookBindingDeps {
  records: RecordService;
  collections: Pick<CollectionService, 'find'>;
  changes: ChangeLog;
  logger: Logger;
  /** Runs a hook's handler with a ctx for `scope`. */
  run(e: FunctionEntry, payload: HookPayload, scope: CallScope): Promise<unknown>;
}

const AFTER_COMMIT: Record<string, ChangeRow['action'] | undefined> = {
  afterCommitCreate: 'create',
  afterCommitUpdate: 'update',
  afterCommitDelete: 'delete',
  afterCommit: undefined,
};

/** The durable consumer of one afterCommit hook: its cursor in `_change_cursors` is kept by this name. */
export const consumerName = (e: FunctionEntry) => `fn:${e.module}/${e.name}`;

const fnOf = (e: FunctionEntry) => `${e.module}/${e.name}`;

const matches = (target: string, c: { id: string; name: string }) =>
  target === '*' || target === c.id || target === c.name;

/**
 * Binds hook exports: `before*`/`after*` on `records.hooks` (the after ones get the write's
 * transaction, their ctx writes through it); each `afterCommit*` hook is a durable
 * change-log consumer of its own (`fn:<module>/<export>`), so every change reaches it at
 * least once, also after a crash between commit and delivery, and one failing hook holds
 * up no other. A reload keeps a consumer (and its cursor) whose export is still there.
 */
export function bindHooks({ records, collections, changes, logger, run }: HookBindingDeps): HookBindings {
  let removers: (() => void)[] = [];
  const consumers = new Map<string, { entry: FunctionEntry; following: Following }>();
  let authHooks: FunctionEntry[] = [];

  /** Hands `payload.record` back: a before-hook may have replaced it. */
  function bindRecordHook(e: FunctionEntry): (() => void) | undefined {
    const target = e.collection!;
    const fn = fnOf(e);
    const scope = (viewer: Viewer, tx: RecordMethods): CallScope => ({ kind: 'mutation', fn, viewer, tx });
    const h = records.hooks;
    switch (e.event) {
      case 'beforeCreate':
      case 'beforeUpdate':
        return (e.event === 'beforeCreate' ? h.beforeCreate : h.beforeUpdate)(target, async (ev) => {
          const payload: HookPayload = {
            collection: ev.collection.name,
            action: e.event === 'beforeCreate' ? 'create' : 'update',
            ...('id' in ev ? { id: (ev as { id: string }).id } : {}),
            record: ev.body,
          };
          await run(e, payload, scope(ev.viewer, ev.records));
          if (payload.record !== ev.body) ev.body = payload.record;
        });
      case 'beforeDelete':
        return h.beforeDelete(target, async (ev) => {
          await run(
            e,
            { collection: ev.collection.name, action: 'delete', id: ev.id, record: { id: ev.id } },
            scope(ev.viewer, ev.records),
          );
        });
      case 'afterCreate':
      case 'afterDelete':
        return (e.event === 'afterCreate' ? h.afterCreate : h.afterDelete)(target, async (ev) => {
          const action = e.event === 'afterCreate' ? 'create' : 'delete';
          const id = String(ev.record.id);
          await run(
            e,
            { collection: ev.collection.name, action, id, record: ev.record },
            scope(ev.viewer, ev.records),
          );
        });
      case 'afterUpdate':
        return h.afterUpdate(target, async (ev) => {
          const id = String(ev.record.id);
          await run(
            e,
            {
              collection: ev.collection.name,
              action: 'update',
              id,
              record: ev.record,
              previous: ev.previous,
            },
            scope(ev.viewer, ev.records),
          );
        });
      default:
        return undefined;
    }
  }

  function follow(e: FunctionEntry): Following {
    const name = consumerName(e);
    return changes.follow(
      name,
      async (rows) => {
        // the export as it is now (a reload may have changed its handler)
        const current = consumers.get(name)?.entry ?? e;
        const wanted = AFTER_COMMIT[current.event!];
        for (const row of rows) {
          if (wanted && row.action !== wanted) continue;
          const c = collections.find(row.collectionId);
          if (!c || !matches(current.collection!, c)) continue;
          await run(
            current,
            { collection: c.name, action: row.action, id: row.recordId, record: row.record, seq: row.seq },
            { kind: 'action', fn: fnOf(current), viewer: asSystem() },
          );
        }
      },
      { durable: true },
    );
  }

  return {
    async update(entries) {
      for (const remove of removers) remove();
      removers = [];
      const hooks = entries.filter((e) => e.kind === 'hook');
      authHooks = hooks.filter((e) => e.event === 'beforeAuth' || e.event === 'afterAuth');
      for (const e of hooks) {
        const remove = bindRecordHook(e);
        if (remove) removers.push(remove);
      }
      const wanted = new Map(hooks.filter((e) => e.event! in AFTER_COMMIT).map((e) => [consumerName(e), e]));
      for (const [name, c] of consumers) {
        if (wanted.has(name)) continue;
        consumers.delete(name);
        await c.following();
      }
      const starting: Promise<void>[] = [];
      for (const [name, e] of wanted) {
        const existing = consumers.get(name);
        if (existing) {
          existing.entry = e;
          continue;
        }
        const following = follow(e);
        consumers.set(name, { entry: e, following });
        starting.push(following.ready);
      }
      await Promise.all(starting);
    },

    async auth(event, collection, record, method, viewer) {
      for (const e of authHooks) {
        if (e.event !== event || !(e.collection === '*' || e.collection === collection)) continue;
        await run(e, { collection, record, method }, { kind: 'mutation', fn: fnOf(e), viewer });
      }
    },

    async stop() {
      for (const remove of removers) remove();
      removers = [];
      const all = [...consumers.values()];
      consumers.clear();
      await Promise.all(all.map((c) => c.following()));
      logger.debug({ consumers: all.length }, 'function hooks stopped');
    },
  };
}
