import { ForbiddenError } from '../errors/api-error.ts';
import type { Viewer } from '../rules/viewer.ts';
import type { Rule } from '../schema/collection.ts';

/**
 * What a rule grants a viewer. Superusers pass every rule; `null` is superusers only
 * (403, like PocketBase); `""` is everyone. Any other rule is a filter: until the filter
 * language is compiled, such a rule matches no record (deny by default).
 */
export function ruleGrant(rule: Rule | undefined, viewer: Viewer): 'all' | 'none' {
  if (viewer.superuser) return 'all';
  if (rule === null || rule === undefined)
    throw new ForbiddenError('Only superusers can perform this action.');
  return rule === '' ? 'all' : 'none';
}
