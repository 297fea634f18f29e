import type { RawBuilder } from 'kysely';
import { type Database, DbError, type Executor } from '../db/database.ts';
import { sql } from '../db/kysely.ts';
import { ApiError } from '../errors/api-error.ts';
import type { Collection, Rule } from '../schema/collection.ts';
import type { FieldModel } from '../schema/field.ts';
import { fieldType } from '../schema/field-registry.ts';
import type { RecordValues } from '../schema/record-values.ts';
import { filterCondition, type RuleDeps, ruleCondition } from './rule-condition.ts';
import type { Viewer } from './viewer.ts';

/**
 * How a condition names the values being judged: compile it with this `baseAlias`
 * (`ruleCondition(deps, c, rule, viewer, VALUES_ALIAS)`) and pass it to `valuesMatch`.
 */
export const VALUES_ALIAS = 'fb_values';

/**
 * Whether values held in memory (a would-be record, a logged change, a would-be storage
 * object) meet every condition. The one way to judge a rule on values that are not a row
 * of the table: the database judges them with the very SQL the list and view paths run on
 * stored rows, over a one-row CTE typed like the collection's table, so the two can never
 * disagree (security: a second evaluator in JS would drift from the SQL one).
 *
 * `values` are canonical (decoded) field values, encoded here as the table stores them.
 * `fields` are the columns the values carry (default: every field); a condition that
 * reads any other column fails in the database (a DbError the caller may treat as "no").
 * Values the table could not hold (a NUL on PostgreSQL) match nothing, like the insert
 * would fail. No conditions: true.
 */
export async function valuesMatch(
  db: Database,
  ex: Executor,
  c: Collection,
  values: RecordValues,
  conditions: RawBuilder<boolean>[],
  fields: readonly FieldModel[] = c.fields,
): Promise<boolean> {
  if (conditions.length === 0) return true;
  const columns = sql.join(fields.map((f) => sql.id(f.name)));
  const params = sql.join(
    fields.map((f) => {
      const v = fieldType(f.type).encode(values[f.name], f);
      return sql`${typeof v === 'boolean' ? db.filter.bool(v) : v}`;
    }),
  );
  const where = sql.join(
    conditions.map((cond) => sql<boolean>`(${cond})`),
    sql` AND `,
  );
  // the empty first branch gives the parameters the table's column types (PostgreSQL)
  const row = sql`SELECT ${columns} FROM ${sql.id(c.name)} WHERE 1 = 0 UNION ALL SELECT ${params}`;
  const query = sql`WITH ${sql.id(VALUES_ALIAS)} AS (${row}) SELECT 1 AS ok FROM ${sql.id(VALUES_ALIAS)} WHERE ${where}`;
  try {
    return (await ex.first(query.compile(db.qb))) !== undefined;
  } catch (e) {
    if (e instanceof DbError && e.code === 'invalid_text') return false;
    throw e;
  }
}

/** What a viewer's view of in-memory values is judged by: a collection rule and a client's filter. */
export interface ValueChecks {
  /** The collection rule (`null`: superusers only; `""`: everyone). */
  rule: Rule | undefined;
  /** A client's own filter, on top of the rule (e.g. a realtime subscription's). */
  filter?: string | undefined;
}

/**
 * Whether `viewer` may see `values` of `c` under a rule and an optional filter, judged in
 * the database like `valuesMatch`. A rule only superusers pass, or a filter the viewer may
 * not use, is a "no" (false), not an error; so is a condition the database rejects for
 * these values (one reading a column `fields` leaves out, or a client's filter it refuses):
 * what cannot be judged is not shown. Any other failure is thrown.
 */
export async function viewerMatchesValues(
  deps: RuleDeps,
  ex: Executor,
  c: Collection,
  values: RecordValues,
  checks: ValueChecks,
  viewer: Viewer,
  fields?: readonly FieldModel[],
): Promise<boolean> {
  const conditions: RawBuilder<boolean>[] = [];
  try {
    const r = ruleCondition(deps, c, checks.rule, viewer, VALUES_ALIAS);
    if (r.kind === 'where') conditions.push(r.sql);
    if (checks.filter?.trim())
      conditions.push(filterCondition(deps, c, checks.filter, viewer, VALUES_ALIAS).sql);
  } catch (e) {
    if (e instanceof ApiError) return false;
    throw e;
  }
  try {
    return await valuesMatch(deps.db, ex, c, values, conditions, fields);
  } catch (e) {
    if (e instanceof DbError && e.code !== 'busy') return false;
    throw e;
  }
}
