import type { Kysely } from 'kysely';
import { type RuleDeps, ruleCondition } from '../rules/rule-condition.ts';
import type { Viewer } from '../rules/viewer.ts';
import type { Collection } from '../schema/collection.ts';

/**
 * matches PocketBase: an auth record's email is shown to a viewer the collection's
 * manageRule lets through for it, whatever its emailVisibility. Adds `email` (in field
 * order) to the exported records that hid it; one query for all of them.
 */
export async function revealManagedEmails(
  deps: RuleDeps,
  c: Collection,
  items: Record<string, unknown>[],
  viewer: Viewer,
): Promise<void> {
  if (c.type !== 'auth' || viewer.superuser || !c.manageRule?.trim()) return;
  const hidden = items.filter((r) => !('email' in r) && typeof r.id === 'string');
  if (!hidden.length) return;
  const rule = ruleCondition(deps, c, c.manageRule, viewer);
  const qb: Kysely<any> = deps.db.qb;
  let query = qb
    .selectFrom(c.name)
    .select(['id', 'email'])
    .where(
      'id',
      'in',
      hidden.map((r) => r.id),
    );
  if (rule.kind === 'where') query = query.where(rule.sql);
  const emails = new Map(
    (await deps.db.all<{ id: string; email: string }>(query)).map((r) => [String(r.id), r.email]),
  );
  for (const item of hidden) {
    const email = emails.get(String(item.id));
    if (email !== undefined) insertEmail(c, item, email);
  }
}

/** Puts `email` into an exported auth record in place, at its position among the fields. */
export function insertEmail(c: Collection, item: Record<string, unknown>, email: unknown): void {
  const order = c.fields.map((f) => f.name);
  const at = order.indexOf('email');
  const entries = Object.entries(item);
  for (const [k] of entries) delete item[k];
  let placed = false;
  for (const [k, v] of entries) {
    if (!placed && order.indexOf(k) > at) {
      item.email = email;
      placed = true;
    }
    item[k] = v;
  }
  if (!placed) item.email = email;
}
