import type { RawBuilder } from 'kysely';
import type { Database } from '../db/database.ts';
import { sql } from '../db/kysely.ts';
import { ApiError } from '../errors/api-error.ts';
import { filterCondition, type RuleDeps, ruleCondition } from '../rules/rule-condition.ts';
import type { Viewer } from '../rules/viewer.ts';
import type { Collection, Rule } from '../schema/collection.ts';
import { fieldType } from '../schema/field-registry.ts';

/** How the rule and filter read the changed record: a one-row CTE of its logged state. */
const EVENT_RECORD = 'fb_event';

/**
 * Whether a viewer may see a changed record, judged on the record as it was logged (so a
 * delete is judged on its last state, like PocketBase judges it before the row goes):
 * the collection's rule (listRule for `collection/*`, viewRule for `collection/id`), then
 * the subscription's own filter. One query, and none when neither narrows.
 */
export async function canSeeChange(
  deps: RuleDeps & { db: Database },
  c: Collection,
  record: Record<string, unknown>,
  rule: Rule | undefined,
  viewer: Viewer,
  filter: string | undefined,
): Promise<boolean> {
  let conditions: RawBuilder<boolean>[] = [];
  try {
    const r = ruleCondition(deps, c, rule, viewer, EVENT_RECORD);
    if (r.kind === 'where') conditions.push(r.sql);
    if (filter?.trim()) conditions.push(filterCondition(deps, c, filter, viewer, EVENT_RECORD).sql);
  } catch (e) {
    // a rule only superusers pass, or a filter the viewer may not use: nothing to see
    if (e instanceof ApiError) return false;
    throw e;
  }
  if (conditions.length === 0) return true;
  const fields = c.fields.filter(
    (f) => f.type !== 'password' && !(c.type === 'auth' && f.name === 'tokenKey'),
  );
  const columns = sql.join(fields.map((f) => sql.id(f.name)));
  const params = sql.join(
    fields.map((f) => {
      const v = fieldType(f.type).encode(record[f.name], f);
      return sql`${typeof v === 'boolean' ? deps.db.bool(v) : v}`;
    }),
  );
  conditions = conditions.map((cond) => sql<boolean>`(${cond})`);
  // the empty first branch gives the parameters the table's column types (PostgreSQL)
  const row = sql`SELECT ${columns} FROM ${sql.id(c.name)} WHERE 1 = 0 UNION ALL SELECT ${params}`;
  const query = sql`WITH ${sql.id(EVENT_RECORD)} AS (${row}) SELECT 1 AS ok FROM ${sql.id(EVENT_RECORD)} WHERE ${sql.join(conditions, sql` AND `)}`;
  try {
    return (await deps.db.first(query.compile(deps.db.qb))) !== undefined;
  } catch {
    // a rule that reads a field the log does not carry, or a filter the database rejects
    return false;
  }
}
