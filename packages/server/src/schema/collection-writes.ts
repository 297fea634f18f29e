import { type Database, DbError, type Transaction } from '../db/database.ts';
import { BadRequestError, type ErrorData, ValidationError } from '../errors/api-error.ts';
import { FieldCode, fieldError } from '../errors/codes.ts';
import type { SecretBox } from '../tools/secret-box.ts';
import { nowDate } from '../tools/time.ts';
import { type Collection, ensureSystemFields, RULE_KEYS } from './collection.ts';
import { normalizeFields, retargetIndexes } from './collection-input.ts';
import { removeCollection, storeCollection } from './collection-store.ts';
import { isSearchable } from './field-registry.ts';
import { indexFailure } from './indexes.ts';
import { planIsNoop, planTable } from './table-plan.ts';
import { INTERNAL_TABLES, validateCollection } from './validate-collection.ts';
import { inferViewFields } from './view-fields.ts';
import { deniedViewName } from './view-query-guard.ts';

/** Fields with a full-text index (ForgeBase's `searchable` option on text and editor fields). */
export function searchColumns(c: Collection): string[] {
  return c.fields.filter(isSearchable).map((f) => f.name);
}

/** A schema change that a view collection's query no longer works with. */
export class ViewBreakError extends BadRequestError {
  constructor(view: string, cause: unknown) {
    super(`The change breaks the view collection "${view}".`, {}, { cause });
  }
}

/** What the schema writes need: the database, and the schema as it is before the change. */
export interface CollectionWritesDeps {
  db: Database;
  /** Seals the OAuth2 provider secrets of the stored rows. */
  secrets: SecretBox;
  all: () => Collection[];
  /** Why a rule is invalid (rules/rule-condition.ts `ruleProblem`, injected: rules/ sits above schema/). */
  ruleProblem: (
    deps: { db: Database; collection(idOrName: string): Collection | undefined },
    c: Collection,
    rule: string,
  ) => string | undefined;
}

/**
 * The steps of a schema change inside its transaction: validate a collection, sync its
 * table or view, store or remove its row. `pending` maps every collection as it will be
 * once the surrounding change commits, so several steps of one change see each other.
 */
export function createCollectionWrites({ db, secrets, all, ruleProblem }: CollectionWritesDeps) {
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
          FieldCode.invalidViewQuery,
          'Invalid query - only a single SELECT statement is allowed.',
        ),
      };
    }
    c.viewQuery = query;
    const reserved = new Set(
      [
        ...INTERNAL_TABLES,
        ...all()
          .filter((o) => o.system)
          .map((o) => o.name),
      ].map((n) => n.toLowerCase()),
    );
    const denied = deniedViewName(query, reserved);
    if (denied) {
      return {
        viewQuery: fieldError(
          FieldCode.invalidViewQuery,
          `Invalid query - "${denied.slice(0, 100)}" is a system table or function that view queries may not use.`,
        ),
      };
    }
    try {
      const columns = await db.ddl.queryColumns(tx, query);
      if (!columns.some((col) => col.name === 'id')) {
        return {
          viewQuery: fieldError(
            FieldCode.invalidViewQuery,
            // PocketBase's wording (core/view.go)
            "Invalid query - missing required id column (you can use `(ROW_NUMBER() OVER()) as id` if you don't have one).",
          ),
        };
      }
      c.fields = inferViewFields(columns, query, all(), prev?.fields);
    } catch (e) {
      const msg = e instanceof DbError ? e.message : 'the query could not be prepared';
      return { viewQuery: fieldError(FieldCode.invalidViewQuery, `Invalid query - ${msg}.`) };
    }
    return undefined;
  }

  /** Rules must parse and name real fields (checked against the collection being saved). */
  function ruleErrors(next: Collection, others: Collection[]): ErrorData {
    const errors: ErrorData = {};
    const deps = {
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
      if (problem) errors[key] = fieldError(FieldCode.invalidRule, `Invalid rule. Raw error: ${problem}.`);
    }
    return errors;
  }

  return {
    /** Recreates every view so they follow table changes (PostgreSQL drops them on rebuild). */
    async refreshViews(tx: Transaction, collections: Collection[]): Promise<void> {
      for (const v of collections.filter((c) => c.type === 'view')) {
        try {
          await db.ddl.createView(tx, v.name, v.viewQuery ?? '');
        } catch (e) {
          throw new ViewBreakError(v.name, e);
        }
      }
    },

    /**
     * Saves one collection inside `tx`: validates, syncs the table or view, stores the row.
     * `upcoming` are collections an import will still create (relations may point at them).
     */
    async save(
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
          // new indexes on a table with rows: the planner needs figures to choose them
          if (prev && next.indexes.length && JSON.stringify(next.indexes) !== JSON.stringify(prev.indexes))
            await db.ddl.analyze(tx, next.name);
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
      await storeCollection(db.sys, tx, next, !prev, secrets);
      pending.set(next.id, next);
    },

    /** Drops a collection's table or view and row; refused while other collections relate to it. */
    async remove(
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
    },
  };
}

/** The in-transaction steps of schema changes (see createCollectionWrites). */
export type CollectionWrites = ReturnType<typeof createCollectionWrites>;
