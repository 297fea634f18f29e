import type { RawBuilder } from 'kysely';
import type { Database } from '../db/database.ts';
import { sql } from '../db/kysely.ts';
import { BadRequestError, ForbiddenError } from '../errors/api-error.ts';
import { FieldCode, fieldError } from '../errors/codes.ts';
import { type Expr, FilterSyntaxError } from '../query/ast.ts';
import { type CompileOptions, compileFilter, compileSearchRank, compileValue } from '../query/compile.ts';
import { parseFilter, parseOperand } from '../query/parser.ts';
import { emptyRequest, type RequestInfo } from '../query/request-info.ts';
import type { Collection, Rule } from '../schema/collection.ts';
import type { Viewer } from './viewer.ts';

/** What a rule lets through: every record, or those matching a SQL condition. */
export type RuleCondition = { kind: 'all' } | { kind: 'where'; sql: RawBuilder<boolean> };

export interface RuleDeps {
  db: Database;
  collection(idOrName: string): Collection | undefined;
}

/** The request a viewer's filter or rule runs in. */
export function requestOf(viewer: Viewer): RequestInfo {
  return viewer.request ?? { ...emptyRequest(), ...(viewer.auth ? { auth: viewer.auth } : {}) };
}

/**
 * Turns a collection rule into a condition for a viewer (PocketBase's semantics):
 * superusers pass every rule; `null` is superusers only (403); `""` is everyone; any other
 * rule is a filter over the records, with `@request.*` bound to the viewer's request.
 * Rules may read hidden fields. `baseAlias` names the rows the condition reads, when they
 * are not the collection's table itself (e.g. a would-be record in a CTE).
 */
export function ruleCondition(
  deps: RuleDeps,
  c: Collection,
  rule: Rule | undefined,
  viewer: Viewer,
  baseAlias?: string,
): RuleCondition {
  // an API key acts as a superuser only on the collection its scope was checked for
  if (viewer.superuser && (!viewer.keyScope || viewer.keyScope === c.id)) return { kind: 'all' };
  if (rule === null || rule === undefined)
    throw new ForbiddenError('Only superusers can perform this action.');
  if (rule.trim() === '') return { kind: 'all' };
  try {
    const sql = compileFilter(parseFilter(rule, { rule: true }), {
      db: deps.db,
      collection: deps.collection,
      base: c,
      ...(baseAlias ? { baseAlias } : {}),
      request: requestOf(viewer),
      allowHidden: true,
    });
    return { kind: 'where', sql };
  } catch (e) {
    // a stored rule that no longer compiles (e.g. a field was removed) denies, never allows
    if (e instanceof FilterSyntaxError) return { kind: 'where', sql: falseCondition() };
    throw e;
  }
}

/** A superuser not narrowed to one collection by an API key's scope. */
function unscoped(viewer: Viewer): boolean {
  return viewer.superuser && !viewer.keyScope;
}

/**
 * Compile options for what a client sends (filter, sort): hidden fields and joined
 * collections' listRules for non-superusers; `stable()` tells afterwards whether the SQL
 * depended on the text alone.
 */
function clientOptions(
  deps: RuleDeps,
  c: Collection,
  viewer: Viewer,
  baseAlias?: string,
): CompileOptions & { stable(): boolean } {
  let stable = true;
  return {
    db: deps.db,
    collection: deps.collection,
    base: c,
    ...(baseAlias ? { baseAlias } : {}),
    request: requestOf(viewer),
    allowHidden: unscoped(viewer),
    onVolatile: () => {
      stable = false;
    },
    // an API key's filter meets other collections' listRules, like any non-superuser's
    ...(unscoped(viewer)
      ? {}
      : { listRuleOf: (t: Collection) => (t.id === viewer.keyScope ? undefined : listRuleAst(t)) }),
    stable: () => stable,
  };
}

/** matches PocketBase: `@collection.*` and `@request.*` in a client's filter or sort are for superusers. */
function refuseRequestRefs(text: string, viewer: Viewer, what: 'filter' | 'sort'): void {
  if (unscoped(viewer)) return;
  for (const key of ['@collection.', '@request.']) {
    if (text.includes(key)) throw new ForbiddenError(`Only superusers can ${what} by ${key}`);
  }
}

/**
 * The part of a compiled-SQL cache key that stands for the viewer: an unscoped superuser,
 * an API key (its SQL meets other collections' listRules and no hidden fields, whatever
 * `superuser` says) or anyone else. Only meaningful where the rule lets everything through.
 */
export function viewerScopeKey(viewer: Viewer): string {
  if (unscoped(viewer)) return 's';
  return viewer.keyScope ? `k:${viewer.keyScope}` : viewer.superuser ? 'k' : 'p';
}

/**
 * Compiles a client's `filter` parameter. Hidden fields are for superusers only, and so
 * are `@collection` and `@request` references (like PocketBase). `stable` tells whether
 * the SQL depends on the text alone (no request values, macros or joined rules).
 * `baseAlias` names the rows it reads when they are not the table (see ruleCondition).
 */
export function filterCondition(
  deps: RuleDeps,
  c: Collection,
  filter: string,
  viewer: Viewer,
  baseAlias?: string,
): { sql: RawBuilder<boolean>; stable: boolean } {
  refuseRequestRefs(filter, viewer, 'filter');
  try {
    const opts = clientOptions(deps, c, viewer, baseAlias);
    return { sql: compileFilter(parseFilter(filter), opts), stable: opts.stable() };
  } catch (e) {
    if (e instanceof FilterSyntaxError) {
      throw new BadRequestError(`Invalid filter: ${e.message}.`, {
        filter: fieldError(FieldCode.invalidFilter, e.message, { position: e.pos }),
      });
    }
    throw e;
  }
}

/**
 * A sort by an expression (`author.name`, `title:lower`, `geoDistance(...)`), with a filter's permissions: hidden fields and
 * joined collections' listRules apply to non-superusers. Invalid paths are a 400.
 */
export function sortValue(
  deps: RuleDeps,
  c: Collection,
  name: string,
  viewer: Viewer,
  filter?: string,
): { sql: RawBuilder<unknown>; stable: boolean } {
  refuseRequestRefs(name, viewer, 'sort');
  try {
    const opts = clientOptions(deps, c, viewer);
    if (name === '@rank') {
      return { sql: compileSearchRank(filter?.trim() ? parseFilter(filter) : undefined, opts), stable: true };
    }
    return { sql: compileValue(parseOperand(name), opts), stable: opts.stable() };
  } catch (e) {
    if (e instanceof FilterSyntaxError)
      throw new BadRequestError(`Invalid sort field "${name.slice(0, 100)}": ${e.message}.`);
    throw e;
  }
}

/**
 * Whether a non-superuser's `filter` on `c` can mean different things to different
 * viewers: it crosses a relation into a collection whose listRule reads the request
 * (`@request.auth.id`, …), which that filter meets per viewer. Realtime uses this to
 * judge such subscriptions per viewer rather than once per shared group (issue 12 #10).
 * A filter that does not compile is reported as viewer-dependent (the safe side).
 */
export function filterReadsViewer(deps: RuleDeps, c: Collection, filter: string): boolean {
  if (!filter.trim()) return false;
  let reads = false;
  try {
    compileFilter(parseFilter(filter), {
      db: deps.db,
      collection: deps.collection,
      base: c,
      request: emptyRequest(),
      allowHidden: false,
      listRuleOf: (target) => {
        if (target.listRule?.includes('@request')) reads = true;
        return undefined;
      },
    });
  } catch {
    return true;
  }
  return reads;
}

/**
 * A collection's listRule as a client filter meets it through a relation: `null` when
 * only superusers may list it (or the stored rule no longer parses), undefined when open.
 */
function listRuleAst(target: Collection): Expr | null | undefined {
  const rule = target.listRule;
  if (rule === null || rule === undefined) return null;
  if (rule.trim() === '') return undefined;
  try {
    return parseFilter(rule, { rule: true });
  } catch (e) {
    if (e instanceof FilterSyntaxError) return null;
    throw e;
  }
}

/** Checks that a rule text parses and resolves on a collection; returns the problem, if any. */
export function ruleProblem(deps: RuleDeps, c: Collection, rule: string): string | undefined {
  if (rule.trim() === '') return undefined;
  try {
    compileFilter(parseFilter(rule, { rule: true }), {
      db: deps.db,
      collection: deps.collection,
      base: c,
      request: emptyRequest(),
      allowHidden: true,
    });
    return undefined;
  } catch (e) {
    if (e instanceof FilterSyntaxError) return `${e.message} (at ${e.pos})`;
    throw e;
  }
}

function falseCondition(): RawBuilder<boolean> {
  return sql<boolean>`(1 = 0)`;
}
