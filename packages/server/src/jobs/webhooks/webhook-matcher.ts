import type { ChangeRow } from '../../changes/change-store.ts';
import { type Database, DbError } from '../../db/database.ts';
import { exportedFields } from '../../records/record-codec.ts';
import { VALUES_ALIAS, valuesMatch } from '../../rules/match-values.ts';
import { type RuleDeps, ruleCondition, ruleProblem } from '../../rules/rule-condition.ts';
import type { Viewer } from '../../rules/viewer.ts';
import type { Collection } from '../../schema/collection.ts';

/** The events a webhook can ask for: the change log's actions. */
export const WEBHOOK_EVENTS = ['create', 'update', 'delete'] as const;

/** One of WEBHOOK_EVENTS. */
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

// a filter is judged like a rule for a guest: `@request.*` is empty, nobody is signed in
const NOBODY: Viewer = Object.freeze({ superuser: false });

/** Why a webhook filter cannot be saved on `c` (as for a collection rule), or undefined when it can. */
export function filterProblem(deps: RuleDeps, c: Collection, filter: string): string | undefined {
  return ruleProblem(deps, c, filter);
}

/**
 * Whether a logged change meets a webhook's filter, judged in the database on the record as
 * logged (a delete on its last state), like a collection rule on a would-be record
 * (rules/match-values.ts). An empty filter matches every change.
 */
export async function changeMatches(
  deps: RuleDeps,
  db: Database,
  c: Collection,
  filter: string,
  row: ChangeRow,
): Promise<boolean> {
  if (!filter.trim()) return true;
  const cond = ruleCondition(deps, c, filter, NOBODY, VALUES_ALIAS);
  if (cond.kind === 'all') return true;
  try {
    return await valuesMatch(db, db, c, row.record, [cond.sql], exportedFields(c));
  } catch (e) {
    // a condition the database cannot judge on these values (a field since removed) is a "no"
    if (e instanceof DbError && e.code !== 'busy') return false;
    throw e;
  }
}

/**
 * The JSON body a receiver gets for one change: the event, the collection, the change's
 * seq and time, and the record as a superuser reads it through the API with its hidden
 * fields left out (for an update the record after it: the change log keeps no earlier state).
 */
export function deliveryBody(c: Collection, row: ChangeRow, webhookId: string): string {
  const record: Record<string, unknown> = { ...row.record };
  for (const f of c.fields) if (f.hidden) delete record[f.name];
  return JSON.stringify({
    type: `record.${row.action}`,
    event: row.action,
    collection: c.name,
    collectionId: c.id,
    webhookId,
    seq: row.seq,
    created: row.created,
    record,
  });
}
