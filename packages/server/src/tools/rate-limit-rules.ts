/** A rate limit rule as PocketBase stores it (settings `rateLimits.rules`). */
export interface RuleShape {
  label: string;
  audience: string;
  duration: number;
  maxRequests: number;
}

/** What is wrong with one rule's field (turned into a field error by the caller). */
export interface RuleProblem {
  index: number;
  field: 'label' | 'audience' | 'duration' | 'maxRequests';
  kind: 'required' | 'match' | 'min' | 'in' | 'conflict';
  message: string;
}

// PocketBase's label forms: `METHOD /path`, `/path` or `/path/`, `collection:action`, `*:action`, a tag
const LABEL_RE = /^(\w+ \/[\w/-]*|\/[\w/-]*|\w+:\w+|\*:\w+|\w+)$/;
const AUDIENCES = new Set(['', '@guest', '@auth']);

/**
 * Checks rules as PocketBase does (core/settings_model.go RateLimitRule.Validate and
 * checkUniqueRuleLabel): a label of one of the known forms, a positive integer duration
 * and maxRequests, a known audience, and no two rules whose `label@@audience` keys are
 * prefixes of one another. Returns every problem found (empty when the list is valid).
 */
export function rateLimitRuleProblems(rules: readonly unknown[]): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const seen: string[] = [];
  for (const [index, raw] of rules.entries()) {
    const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
    const label = r.label;
    if (typeof label !== 'string' || label === '')
      problems.push({ index, field: 'label', kind: 'required', message: 'Cannot be blank.' });
    else if (!LABEL_RE.test(label))
      problems.push({ index, field: 'label', kind: 'match', message: 'Must be in a valid format.' });
    for (const field of ['duration', 'maxRequests'] as const) {
      const n = r[field];
      if (n === undefined || n === 0 || n === null)
        problems.push({ index, field, kind: 'required', message: 'Cannot be blank.' });
      else if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1)
        problems.push({ index, field, kind: 'min', message: 'Must be no less than 1.' });
    }
    const audience = r.audience ?? '';
    if (typeof audience !== 'string' || !AUDIENCES.has(audience))
      problems.push({ index, field: 'audience', kind: 'in', message: 'Must be a valid value.' });
    if (typeof label !== 'string') continue;
    const key = `${label}@@${String(audience)}`;
    if (seen.some((k) => k.startsWith(key) || key.startsWith(k)))
      problems.push({
        index,
        field: 'label',
        kind: 'conflict',
        message: `Rate limit rule configuration with label ${label} already exists or conflicts with another rule.`,
      });
    else seen.push(key);
  }
  return problems;
}

/**
 * The rule for a request, PocketBase's FindRateLimitRule: labels are tried in order
 * (most specific first); for each, an exact label match wins, then a prefix rule
 * (`/api/` matches `/api/x`, and `/api/x/`'s own path). Prefix rules are those ending in `/`,
 * collected while the first label is tried. Only rules whose audience is in `audiences`.
 */
export function findRateLimitRule<R extends RuleShape>(
  rules: readonly R[],
  labels: readonly string[],
  audiences: readonly string[],
): R | undefined {
  const prefixRules: R[] = [];
  for (const [i, label] of labels.entries()) {
    for (const rule of rules) {
      if (rule.label === label && audiences.includes(rule.audience)) return rule;
      if (i === 0 && rule.label.endsWith('/')) prefixRules.push(rule);
    }
    for (const rule of prefixRules)
      if (`${label}/`.startsWith(rule.label) && audiences.includes(rule.audience)) return rule;
  }
  return undefined;
}
