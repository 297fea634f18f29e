import type { Database, Transaction } from '../db/database.ts';
import { BadRequestError, ValidationError } from '../errors/api-error.ts';
import { FieldCode, fieldError } from '../errors/codes.ts';
import type { SecretBox } from '../tools/secret-box.ts';
import { type Collection, type CollectionType, cloneCollection } from './collection.ts';
import { createCollectionCache } from './collection-cache.ts';
import { overlay, prepareNew } from './collection-input.ts';
import { loadCollections } from './collection-store.ts';
import { createCollectionWrites, ViewBreakError } from './collection-writes.ts';

/** One schema change, as the migration writer records it. */
export interface SchemaChange {
  before: Collection | undefined;
  after: Collection | undefined;
}

/** What a rule check reads: the database (for the dialect) and the collections by id or name. */
export interface RuleCheckDeps {
  db: Database;
  collection(idOrName: string): Collection | undefined;
}

export interface CollectionServiceDeps {
  db: Database;
  /** Seals the OAuth2 provider secrets of `_collections` rows (and opens them on load). */
  secrets: SecretBox;
  /**
   * Why a rule is invalid for collection `c` (does not parse, names unknown fields), or
   * undefined when it is valid: rules/rule-condition.ts `ruleProblem`, injected because
   * rules/ sits above schema/.
   */
  ruleProblem: (deps: RuleCheckDeps, c: Collection, rule: string) => string | undefined;
  /** Called inside the transaction of every schema change (e.g. to write a migration file). */
  onChange?: (tx: Transaction, changes: SchemaChange[]) => Promise<void>;
  /**
   * Called after every committed schema change, once this node's cache holds it: tells the
   * other nodes to reload (see schema-sync.ts). It logs its own failures: the change has
   * committed, so the request that made it must not fail on the announcement.
   */
  onCommitted?: () => Promise<void>;
}

export type CollectionService = ReturnType<typeof createCollectionService>;

/**
 * The runtime schema: collections kept in `_collections` and cached in memory, each with
 * a real table (or view). Every change alters the table in the same transaction as the
 * definition, so a failed change leaves both as they were.
 */
export function createCollectionService({
  db,
  secrets,
  ruleProblem,
  onChange,
  onCommitted,
}: CollectionServiceDeps) {
  const cache = createCollectionCache(() => loadCollections(db.sys, db, secrets));
  const { find, get, all } = cache;
  const writes = createCollectionWrites({ db, secrets, all, ruleProblem });

  /**
   * Runs one schema change in a transaction, then re-reads the schema (so changes that
   * commit side by side, here or on another node, all end up in the cache) and announces it.
   */
  async function commit<T>(
    fn: (tx: Transaction, pending: Map<string, Collection>) => Promise<{ value: T; changes: SchemaChange[] }>,
  ): Promise<T> {
    const pending = new Map(all().map((c) => [c.id, cloneCollection(c)]));
    const result = await db.transaction(async (tx) => {
      const r = await fn(tx, pending);
      if (r.changes.length) {
        await writes.refreshViews(tx, [...pending.values()]);
        if (onChange) await onChange(tx, r.changes);
      }
      return r;
    });
    if (result.changes.length) {
      await cache.reload();
      await onCommitted?.();
    }
    return result.value;
  }

  /**
   * Creates several collections in one transaction, in order (a later one may relate to
   * an earlier one), with one reload and one announcement: how a first start makes the
   * system collections.
   */
  function createMany(
    inputs: Record<string, unknown>[],
    opts: { system?: boolean } = {},
  ): Promise<Collection[]> {
    return commit(async (tx, pending) => {
      const created: Collection[] = [];
      for (const input of inputs) {
        const next = prepareNew(input, [...pending.values()]);
        if (opts.system) next.system = true;
        await writes.save(tx, next, undefined, pending, 'Failed to create collection.');
        created.push(next);
      }
      return { value: created, changes: created.map((after) => ({ before: undefined, after })) };
    });
  }

  return {
    find,
    get,
    all,

    /** Loads the cache from the database (at start-up, or when another node changed it). */
    reload: cache.reload,

    /** Calls `fn` after every swap of the cache (a local change or a reload); returns an unsubscribe. */
    onReload: cache.onReload,

    /** Creates a collection from PocketBase-shaped input. */
    async create(input: Record<string, unknown>, opts: { system?: boolean } = {}): Promise<Collection> {
      const [created] = await createMany([input], opts);
      return created!;
    },

    createMany,

    /** Applies PocketBase-shaped changes to a collection. */
    update(idOrName: string, input: Record<string, unknown>): Promise<Collection> {
      const prev = get(idOrName);
      return commit(async (tx, pending) => {
        const next = cloneCollection(prev);
        overlay(next, { ...input, id: prev.id, type: input.type ?? prev.type });
        if (input.type !== undefined && input.type !== prev.type) next.type = input.type as CollectionType;
        await writes.save(tx, next, prev, pending, 'Failed to update collection.');
        return { value: next, changes: [{ before: prev, after: next }] };
      });
    },

    /** Deletes a collection and its table; refused while other collections relate to it. */
    async delete(idOrName: string): Promise<void> {
      const c = get(idOrName);
      try {
        await commit(async (tx, pending) => {
          await writes.remove(tx, c, pending);
          return { value: undefined, changes: [{ before: c, after: undefined }] };
        });
      } catch (e) {
        // matches PocketBase: a view that depends on the collection fails the delete as a whole
        if (e instanceof ViewBreakError) {
          throw new BadRequestError('Failed to delete collection.', {}, { cause: e });
        }
        throw e;
      }
    },

    /**
     * Replaces the schema with the given collections in one transaction (PocketBase's
     * import): matched by id, then by name; with `deleteMissing`, others are deleted.
     */
    import(list: Record<string, unknown>[], deleteMissing: boolean): Promise<void> {
      return commit(async (tx, pending) => {
        const changes: SchemaChange[] = [];
        const ordered = [...list].sort((a, b) => Number(a.type === 'view') - Number(b.type === 'view'));
        const seen = new Set<string>();
        const existingFor = (item: Record<string, unknown>) =>
          (typeof item.id === 'string' && pending.get(item.id)) ||
          [...pending.values()].find(
            (c) => typeof item.name === 'string' && c.name.toLowerCase() === item.name.toLowerCase(),
          );
        // PocketBase saves every item before validating any, so new items may relate to
        // each other in any order: validation sees the ones still to come
        const upcoming = ordered
          .filter((item) => !existingFor(item))
          .map((item) => prepareNew(item, [...pending.values()]));
        for (const [i, item] of ordered.entries()) {
          const existing = existingFor(item);
          try {
            if (existing) {
              const prev = cloneCollection(existing);
              const next = cloneCollection(existing);
              const input = { ...item };
              if (!deleteMissing && Array.isArray(input.fields)) {
                const incoming = input.fields as Record<string, unknown>[];
                const kept = prev.fields.filter(
                  (f) => !incoming.some((x) => x.id === f.id || x.name === f.name),
                );
                input.fields = [...incoming, ...kept];
              }
              overlay(next, { ...input, id: prev.id });
              await writes.save(tx, next, prev, pending, 'Failed to import collections.', upcoming);
              changes.push({ before: prev, after: next });
              seen.add(next.id);
            } else {
              const next = prepareNew(item, [...pending.values()]);
              await writes.save(tx, next, undefined, pending, 'Failed to import collections.', upcoming);
              changes.push({ before: undefined, after: next });
              seen.add(next.id);
            }
          } catch (e) {
            if (e instanceof ValidationError) {
              throw new BadRequestError('Failed to import collections.', {
                collections: fieldError(
                  FieldCode.collectionsImportFailure,
                  `Data validations failed for collection "${String(item.name ?? '')}" (${String(item.id ?? i)}): ${JSON.stringify(e.data)}`,
                ),
              });
            }
            throw e;
          }
        }
        if (deleteMissing) {
          const missing = [...pending.values()].filter((c) => !seen.has(c.id) && !c.system);
          // views first: they may read from the tables being dropped
          missing.sort((a, b) => Number(b.type === 'view') - Number(a.type === 'view'));
          // references among the deleted collections themselves do not block them
          const going = new Set(missing.map((c) => c.id));
          for (const c of missing) {
            await writes.remove(tx, c, pending, going);
            changes.push({ before: c, after: undefined });
          }
        }
        return { value: undefined, changes };
      });
    },
  };
}
