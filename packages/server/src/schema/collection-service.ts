import { type Database, DbError, type Transaction } from '../db/database.ts';
import {
  BadRequestError,
  type ErrorData,
  fieldError,
  NotFoundError,
  ValidationError,
} from '../errors/api-error.ts';
import { nowDate } from '../tools/time.ts';
import {
  AUTH_KEYS,
  type Collection,
  type CollectionType,
  cloneCollection,
  defaultCollectionId,
  defaultFieldId,
  ensureSystemFields,
  fieldWithDefaults,
  keepProviderSecrets,
  RULE_KEYS,
  scaffold,
  WRITABLE_KEYS,
} from './collection.ts';
import { loadCollections, removeCollection, storeCollection } from './collection-store.ts';
import type { FieldModel } from './field.ts';
import { isSearchable } from './field-registry.ts';
import { buildIndex, indexFailure, parseIndex } from './indexes.ts';
import { planIsNoop, planTable } from './table-plan.ts';
import { validateCollection } from './validate-collection.ts';
import { inferViewFields } from './view-fields.ts';

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
  /**
   * Why a rule is invalid for collection `c` (does not parse, names unknown fields), or
   * undefined when it is valid: rules/rule-condition.ts `ruleProblem`, injected because
   * rules/ sits above schema/.
   */
  ruleProblem: (deps: RuleCheckDeps, c: Collection, rule: string) => string | undefined;
  /** Called inside the transaction of every schema change (e.g. to write a migration file). */
  onChange?: (tx: Transaction, changes: SchemaChange[]) => Promise<void>;
}

export type CollectionService = ReturnType<typeof createCollectionService>;

/** Fields with a full-text index (ForgeBase's `searchable` option on text and editor fields). */
export function searchColumns(c: Collection): string[] {
  return c.fields.filter(isSearchable).map((f) => f.name);
}

/** A schema change that a view collection's query no longer works with. */
class ViewBreakError extends BadRequestError {
  constructor(view: string, cause: unknown) {
    super(`The change breaks the view collection "${view}".`, {}, { cause });
  }
}

/**
 * The runtime schema: collections kept in `_collections` and cached in memory, each with
 * a real table (or view). Every change alters the table in the same transaction as the
 * definition, so a failed change leaves both as they were.
 */
export function createCollectionService({ db, ruleProblem, onChange }: CollectionServiceDeps) {
  let byId = new Map<string, Collection>();
  let byName = new Map<string, Collection>();

  function setCache(list: Collection[]): void {
    byId = new Map(list.map((c) => [c.id, c]));
    byName = new Map(list.map((c) => [c.name.toLowerCase(), c]));
  }

  function find(idOrName: string): Collection | undefined {
    return byId.get(idOrName) ?? byName.get(idOrName.toLowerCase());
  }

  function get(idOrName: string): Collection {
    const c = find(idOrName);
    if (!c) throw new NotFoundError();
    return c;
  }

  function all(): Collection[] {
    return [...byId.values()];
  }

  /** Builds the collection a create request describes, without saving it. */
  function prepareNew(input: Record<string, unknown>, others: Collection[]): Collection {
    const type = (input.type ?? 'base') as CollectionType;
    const name = typeof input.name === 'string' ? input.name : '';
    const c = scaffold(['base', 'auth', 'view'].includes(type) ? type : ('base' as CollectionType), name);
    c.type = type;
    overlay(c, input);
    if (!c.id) {
      let id = defaultCollectionId(c.type, c.name);
      for (let n = 2; others.some((o) => o.id === id) && n < 1000; n++)
        id = `${defaultCollectionId(c.type, c.name)}${n}`;
      c.id = id;
    }
    return c;
  }

  /** Lays client input over a collection: known keys only; auth option objects merge one level. */
  function overlay(c: Collection, input: Record<string, unknown>): void {
    const target = c as unknown as Record<string, unknown>;
    for (const key of WRITABLE_KEYS) {
      if (!(key in input) || input[key] === undefined) continue;
      const v = input[key];
      if ((AUTH_KEYS as readonly string[]).includes(key) && c.type !== 'auth') continue;
      if (key === 'viewQuery' && c.type !== 'view') continue;
      const cur = target[key];
      if (
        (AUTH_KEYS as readonly string[]).includes(key) &&
        v &&
        typeof v === 'object' &&
        !Array.isArray(v) &&
        cur &&
        typeof cur === 'object'
      ) {
        target[key] = { ...(cur as object), ...(v as object) };
        if (key === 'oauth2') keepProviderSecrets(cur, target[key]);
      } else target[key] = structuredClone(v);
    }
    if (!Array.isArray(c.fields)) c.fields = [];
    if (!Array.isArray(c.indexes)) c.indexes = [];
  }

  /** Fills field defaults and ids; a field without id reuses the id of a same-named old field. */
  function normalizeFields(c: Collection, prev: Collection | undefined): void {
    const taken = new Set<string>();
    c.fields = c.fields.map((raw) => {
      const input = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
      const f = fieldWithDefaults(input);
      if (!f.id) {
        const same = prev?.fields.find((p) => p.name === f.name);
        let id = same?.id ?? defaultFieldId(f.type, f.name);
        for (
          let n = 2;
          taken.has(id) || c.fields.some((x) => x !== raw && (x as FieldModel).id === id);
          n++
        ) {
          id = `${defaultFieldId(f.type, f.name)}${n}`;
        }
        f.id = id;
      }
      taken.add(f.id);
      return f;
    });
  }

  /** Keeps index strings pointing at the collection's current table name. */
  function retargetIndexes(c: Collection): void {
    c.indexes = c.indexes.map((text) => {
      const p = typeof text === 'string' ? parseIndex(text) : undefined;
      return p && p.table !== c.name ? buildIndex({ ...p, table: c.name }) : text;
    });
  }

  async function resolveViewFields(
    tx: Transaction,
    c: Collection,
    prev: Collection | undefined,
  ): Promise<ErrorData | undefined> {
    const query = String(c.viewQuery ?? '')
      .trim()
      .replace(/;+\s*$/, '');
    if (!query) return undefined;
    if (query.includes(';') || !/^(select|with)\b/i.test(query)) {
      return {
        viewQuery: fieldError(
          'validation_invalid_view_query',
          'Invalid query - only a single SELECT statement is allowed.',
        ),
      };
    }
    c.viewQuery = query;
    try {
      const columns = await db.ddl.queryColumns(tx, query);
      if (!columns.some((col) => col.name === 'id')) {
        return {
          viewQuery: fieldError(
            'validation_invalid_view_query',
            // PocketBase's wording (core/view.go)
            "Invalid query - missing required id column (you can use `(ROW_NUMBER() OVER()) as id` if you don't have one).",
          ),
        };
      }
      c.fields = inferViewFields(columns, query, all(), prev?.fields);
    } catch (e) {
      const msg = e instanceof DbError ? e.message : 'the query could not be prepared';
      return { viewQuery: fieldError('validation_invalid_view_query', `Invalid query - ${msg}.`) };
    }
    return undefined;
  }

  /** Rules must parse and name real fields (checked against the collection being saved). */
  function ruleErrors(next: Collection, others: Collection[]): ErrorData {
    const errors: ErrorData = {};
    const deps: RuleCheckDeps = {
      db,
      collection: (idOrName: string) =>
        idOrName === next.id || idOrName.toLowerCase() === next.name.toLowerCase()
          ? next
          : others.find((o) => o.id === idOrName || o.name.toLowerCase() === idOrName.toLowerCase()),
    };
    const keys = [...RULE_KEYS, ...(next.type === 'auth' ? (['authRule', 'manageRule'] as const) : [])];
    for (const key of keys) {
      const rule = next[key];
      if (typeof rule !== 'string') continue;
      const problem = ruleProblem(deps, next, rule);
      if (problem)
        errors[key] = fieldError('validation_invalid_rule', `Invalid rule. Raw error: ${problem}.`);
    }
    return errors;
  }

  /** Recreates every view so they follow table changes (PostgreSQL drops them on rebuild). */
  async function refreshViews(tx: Transaction, collections: Collection[]): Promise<void> {
    for (const v of collections.filter((c) => c.type === 'view')) {
      try {
        await db.ddl.createView(tx, v.name, v.viewQuery ?? '');
      } catch (e) {
        throw new ViewBreakError(v.name, e);
      }
    }
  }

  /**
   * Saves one collection inside `tx`: validates, syncs the table or view, stores the row.
   * `pending` are the collections as they will be after the surrounding change.
   */
  async function saveInTx(
    tx: Transaction,
    next: Collection,
    prev: Collection | undefined,
    pending: Map<string, Collection>,
    failMessage: string,
    upcoming: Collection[] = [],
  ): Promise<void> {
    normalizeFields(next, prev);
    if (next.type !== 'view') ensureSystemFields(next);
    retargetIndexes(next);
    const others = [...pending.values(), ...upcoming.filter((u) => !pending.has(u.id))].filter(
      (o) => o.id !== next.id,
    );
    let errors: ErrorData = {};
    if (next.type === 'view') {
      const viewErrors = await resolveViewFields(tx, next, prev);
      if (viewErrors) errors = viewErrors;
    }
    errors = { ...validateCollection(next, prev, others), ...ruleErrors(next, others), ...errors };
    if (Object.keys(errors).length) throw new ValidationError(failMessage, errors);
    const now = nowDate();
    next.created = prev?.created ?? now;
    next.updated = now;
    try {
      if (next.type === 'view') {
        await db.ddl.createView(
          tx,
          next.name,
          next.viewQuery ?? '',
          prev && prev.name !== next.name ? prev.name : undefined,
        );
      } else {
        const tableChanged = !prev || !planIsNoop(next, prev);
        if (tableChanged) await db.ddl.applyTablePlan(tx, planTable(next, prev));
        const search = searchColumns(next);
        if (tableChanged || !prev || searchColumns(prev).join() !== search.join()) {
          await db.ddl.syncSearch(
            tx,
            next.name,
            search,
            prev && prev.name !== next.name ? prev.name : undefined,
          );
        }
      }
    } catch (e) {
      if (e instanceof DbError)
        throw new ValidationError(failMessage, indexFailure(next.indexes, prev?.indexes ?? [], e));
      throw e;
    }
    await storeCollection(db.sys, tx, next, !prev);
    pending.set(next.id, next);
  }

  async function commit<T>(
    fn: (tx: Transaction, pending: Map<string, Collection>) => Promise<{ value: T; changes: SchemaChange[] }>,
  ): Promise<T> {
    const pending = new Map(all().map((c) => [c.id, cloneCollection(c)]));
    const result = await db.transaction(async (tx) => {
      const r = await fn(tx, pending);
      if (r.changes.length) {
        await refreshViews(tx, [...pending.values()]);
        if (onChange) await onChange(tx, r.changes);
      }
      return r;
    });
    setCache([...pending.values()]);
    return result.value;
  }

  return {
    find,
    get,
    all,

    /** Loads the cache from the database (at start-up, or when another node changed it). */
    async reload(): Promise<void> {
      setCache(await loadCollections(db.sys, db));
    },

    /** Creates a collection from PocketBase-shaped input. */
    create(input: Record<string, unknown>, opts: { system?: boolean } = {}): Promise<Collection> {
      return commit(async (tx, pending) => {
        const next = prepareNew(input, [...pending.values()]);
        if (opts.system) next.system = true;
        await saveInTx(tx, next, undefined, pending, 'Failed to create collection.');
        return { value: next, changes: [{ before: undefined, after: next }] };
      });
    },

    /** Applies PocketBase-shaped changes to a collection. */
    update(idOrName: string, input: Record<string, unknown>): Promise<Collection> {
      const prev = get(idOrName);
      return commit(async (tx, pending) => {
        const next = cloneCollection(prev);
        overlay(next, { ...input, id: prev.id, type: input.type ?? prev.type });
        if (input.type !== undefined && input.type !== prev.type) next.type = input.type as CollectionType;
        await saveInTx(tx, next, prev, pending, 'Failed to update collection.');
        return { value: next, changes: [{ before: prev, after: next }] };
      });
    },

    /** Deletes a collection and its table; refused while other collections relate to it. */
    async delete(idOrName: string): Promise<void> {
      const c = get(idOrName);
      try {
        await commit(async (tx, pending) => {
          await deleteInTx(tx, c, pending);
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
              await saveInTx(tx, next, prev, pending, 'Failed to import collections.', upcoming);
              changes.push({ before: prev, after: next });
              seen.add(next.id);
            } else {
              const next = prepareNew(item, [...pending.values()]);
              await saveInTx(tx, next, undefined, pending, 'Failed to import collections.', upcoming);
              changes.push({ before: undefined, after: next });
              seen.add(next.id);
            }
          } catch (e) {
            if (e instanceof ValidationError) {
              throw new BadRequestError('Failed to import collections.', {
                collections: fieldError(
                  'validation_collections_import_failure',
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
            await deleteInTx(tx, c, pending, going);
            changes.push({ before: c, after: undefined });
          }
        }
        return { value: undefined, changes };
      });
    },
  };

  async function deleteInTx(
    tx: Transaction,
    c: Collection,
    pending: Map<string, Collection>,
    ignoreRefsFrom: Set<string> = new Set(),
  ): Promise<void> {
    if (c.system) throw new BadRequestError('Failed to delete collection.');
    const refs = [...pending.values()].filter(
      (o) =>
        o.id !== c.id &&
        !ignoreRefsFrom.has(o.id) &&
        o.fields.some((f) => f.type === 'relation' && f.collectionId === c.id),
    );
    if (refs.length) {
      throw new BadRequestError(
        `Failed to delete collection probably due to existing reference in ${refs.map((r) => r.name).join(', ')}.`,
      );
    }
    pending.delete(c.id);
    if (c.type === 'view') await db.ddl.dropView(tx, c.name);
    else await db.ddl.dropTable(tx, c.name);
    await removeCollection(db.sys, tx, c.id);
  }
}
