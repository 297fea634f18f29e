import { viewerScopeKey } from '../rules/rule-condition.ts';
import type { Viewer } from '../rules/viewer.ts';
import type { Collection, Rule } from '../schema/collection.ts';

/**
 * Who a viewer counts as for what `c` shows them under `rule`: viewers of one class see the
 * same records, so realtime checks a change once per class and live queries share one
 * re-run per class. Superusers by their scope (API keys apart); everyone else together
 * (`p`), unless the rule, the expand, an auth collection's own visibility or the filter
 * (`personalFilter`: through a relation into a collection whose rule reads the request)
 * depends on who asks: then one class per signed-in record.
 */
export function viewerClass(
  c: Collection,
  rule: Rule | undefined,
  viewer: Viewer,
  opts: { personalFilter: boolean; expand: boolean },
): string {
  if (viewer.superuser) return viewerScopeKey(viewer);
  const personal =
    opts.personalFilter || (rule ?? '').includes('@request') || c.type === 'auth' || opts.expand;
  return personal ? `u:${viewer.authCollectionId ?? ''}/${viewer.authId ?? ''}` : 'p';
}
