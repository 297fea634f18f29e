import type { Collection } from '../schema/collection.ts';
import type { AuditInput } from './audit-service.ts';

const RULES = [
  'listRule',
  'viewRule',
  'createRule',
  'updateRule',
  'deleteRule',
  'authRule',
  'manageRule',
] as const;
/** Members that change on every save or are compared field by field. */
const SKIP = new Set(['id', 'created', 'updated', 'fields']);

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The audit entry of one schema change (create, update or delete of a collection): the
 * names of what changed (top-level options, fields added, removed or changed) and the old
 * and new text of changed rules. Option values are not copied, so the OAuth2 client
 * secrets and token secrets a collection holds never reach the log.
 */
export function collectionChangeEntry(
  before: Collection | undefined,
  after: Collection | undefined,
): AuditInput {
  const c = (after ?? before)!;
  const action = !before ? 'collection.create' : !after ? 'collection.delete' : 'collection.update';
  const data: Record<string, unknown> = { id: c.id, type: c.type };
  if (before && after) {
    if (before.name !== after.name) data.renamedFrom = before.name;
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    const options = [...keys]
      .filter((k) => !SKIP.has(k) && !(RULES as readonly string[]).includes(k))
      .filter(
        (k) =>
          !same(
            (before as unknown as Record<string, unknown>)[k],
            (after as unknown as Record<string, unknown>)[k],
          ),
      )
      .sort();
    if (options.length) data.options = options;
    const rules: Record<string, { from: unknown; to: unknown }> = {};
    for (const r of RULES)
      if (!same(before[r], after[r])) rules[r] = { from: before[r] ?? null, to: after[r] ?? null };
    if (Object.keys(rules).length) data.rules = rules;
    const byId = new Map(before.fields.map((f) => [f.id, f]));
    const added = after.fields.filter((f) => !byId.has(f.id)).map((f) => f.name);
    const kept = new Set(after.fields.map((f) => f.id));
    const removed = before.fields.filter((f) => !kept.has(f.id)).map((f) => f.name);
    const changedFields = after.fields
      .filter((f) => byId.has(f.id) && !same(byId.get(f.id), f))
      .map((f) => f.name);
    if (added.length || removed.length || changedFields.length)
      data.fields = { added, removed, changed: changedFields };
  } else {
    data.fields = c.fields.map((f) => f.name);
  }
  return { action, target: c.name, data };
}
