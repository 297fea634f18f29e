import type { Kysely, RawBuilder } from 'kysely';
import { type Database, DbError, type Executor } from '../db/database.ts';
import { sql } from '../db/kysely.ts';
import { BadRequestError } from '../errors/api-error.ts';
import { FieldCode, fieldError } from '../errors/codes.ts';
import { VALUES_ALIAS, valuesMatch } from '../rules/match-values.ts';
import {
  filterCondition,
  type RuleCondition,
  type RuleDeps,
  ruleCondition,
  sortValue,
  viewerScopeKey,
} from '../rules/rule-condition.ts';
import type { Viewer } from '../rules/viewer.ts';
import type { Collection } from '../schema/collection.ts';
import type { CollectionService } from '../schema/collection-service.ts';
import type { RecordValues } from '../schema/record-values.ts';
import type { ListCondition } from './list.ts';
import { decodeRow } from './record-codec.ts';
import { statementsFor } from './statements.ts';

/** Every record passes. */
export const ALL: RuleCondition = { kind: 'all' };
/** How a createRule names the would-be record it checks. */
export const NEW_RECORD = VALUES_ALIAS;

export type RecordRules = ReturnType<typeof createRecordRules>;

/**
 * The rule checks of the record service: records by id under a rule, the list condition
 * (listRule and filter), manage access, and rules met by a would-be record (createRule,
 * manageRule on create). Each read takes the executor it runs on (the database, or the
 * transaction of a write).
 */
export function createRecordRules({ db, collections }: { db: Database; collections: CollectionService }) {
  const qb: Kysely<any> = db.qb;
  const ruleDeps: RuleDeps = { db, collection: (idOrName: string) => collections.find(idOrName) };

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
    // a viewer no rule narrows has SQL that depends only on its scope and the filter text: cache it
    const cacheKey = rule.kind === 'all' ? `${viewerScopeKey(viewer)}:${text ?? ''}` : undefined;
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
      if (filtered && e instanceof DbError && e.code !== 'query_timeout') {
        throw new BadRequestError(
          'Invalid filter: the database could not evaluate it.',
          { filter: fieldError(FieldCode.invalidFilter, 'The filter could not be evaluated.') },
          { cause: e },
        );
      }
      throw e;
    }
  }

  /** Whether a would-be record meets a rule condition (judged like a stored row: rules/match-values.ts). */
  async function newRecordMatches(
    ex: Executor,
    c: Collection,
    values: RecordValues,
    cond: RawBuilder<boolean>,
  ): Promise<boolean> {
    // like PocketBase, a rule may not rely on a `verified` the creator sets
    return valuesMatch(db, ex, c, c.type === 'auth' ? { ...values, verified: false } : values, [cond]);
  }

  /**
   * Matches PocketBase: the createRule is checked against the would-be record before it is
   * validated or stored, so a caller the rule rejects learns nothing from field errors (not
   * even which unique values are taken).
   */
  async function checkCreateRule(
    ex: Executor,
    c: Collection,
    values: RecordValues,
    cond: RawBuilder<boolean>,
  ): Promise<void> {
    if (!(await newRecordMatches(ex, c, values, cond))) throw new BadRequestError('Failed to create record.');
  }

  return { ruleDeps, findValues, canManage, listWhere, clientQuery, newRecordMatches, checkCreateRule };
}
