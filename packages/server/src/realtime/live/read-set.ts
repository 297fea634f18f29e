import type { ChangeRow } from '../../changes/change-log.ts';
import { type Expr, FilterSyntaxError, type Operand } from '../../query/ast.ts';
import { parseFilter } from '../../query/parser.ts';
import type { Viewer } from '../../rules/viewer.ts';
import type { Collection } from '../../schema/collection.ts';

/** A field value a filter pins: `status = 'open'` gives `status → 'open'`. */
export type KeyValue = string | number;

/**
 * What a live query can read, so a change that cannot touch it is skipped: the collections
 * (`all` for queries whose reads cannot be named, e.g. over a view), and on its main
 * collection the fields every matching record must equal (from the filter and the rule).
 */
export interface ReadSet {
  /** Collection ids whose changes may change the result. */
  collections: Set<string>;
  /** Every change may matter (a view collection, an unknown collection name). */
  all: boolean;
  /** The main collection of a list query, when there is one. */
  main?: string;
  /** Equalities every record of the main collection in the result meets (none: no key range). */
  keys: Map<string, KeyValue>;
}

/** Whether a text names a path through a relation or another collection (`author.name`, `@collection.x`). */
function readsOtherCollections(text: string | undefined): boolean {
  if (!text) return false;
  // dots outside `@request.*` and number literals mean a relation path or `@collection`
  const stripped = text.replace(/@request\.[\w.:]+/g, '').replace(/\d+\.\d+/g, '');
  return stripped.includes('.') || stripped.includes('_via_');
}

/**
 * The collections linked to `start` by relation fields, both ways, transitively: what an
 * expand, a relation path in a filter or sort, or a back-relation can read.
 */
export function relatedCollections(all: readonly Collection[], start: Collection): Set<string> {
  const out = new Set<string>([start.id]);
  const queue = [start.id];
  while (queue.length) {
    const id = queue.pop()!;
    for (const c of all) {
      for (const f of c.fields) {
        if (f.type !== 'relation' || typeof f.collectionId !== 'string') continue;
        // c → target (forward) and target ← c (back-relations)
        const next = c.id === id ? f.collectionId : f.collectionId === id ? c.id : undefined;
        if (next && !out.has(next)) {
          out.add(next);
          queue.push(next);
        }
      }
    }
  }
  return out;
}

/** `@collection.name` references of a text. */
function namedCollections(text: string | undefined): string[] {
  return [...(text ?? '').matchAll(/@collection\.(\w+)/g)].map((m) => m[1]!);
}

/** The value an operand stands for, when it is a literal or the viewer's own id. */
function constant(op: Operand, viewer: Viewer): KeyValue | undefined {
  if (op.kind === 'text' || op.kind === 'number') return op.value;
  if (op.kind === 'identifier' && op.name === '@request.auth.id') return viewer.authId ?? '';
  return undefined;
}

/**
 * Field types whose `=` is plain equality of the stored value (no date or JSON
 * normalisation), so a record's value can be compared with the literal in memory.
 */
const KEY_TYPES = new Set(['text', 'email', 'url', 'select', 'relation', 'number']);

/** `field = constant` conjuncts of an expression (a top-level AND chain) into `out`. */
function collectKeys(expr: Expr, c: Collection, viewer: Viewer, out: Map<string, KeyValue>): void {
  if (expr.kind === 'and') {
    collectKeys(expr.left, c, viewer, out);
    collectKeys(expr.right, c, viewer, out);
    return;
  }
  if (expr.kind !== 'compare' || expr.op !== '=' || expr.any) return;
  for (const [field, value] of [
    [expr.left, expr.right],
    [expr.right, expr.left],
  ] as const) {
    const f = field.kind === 'identifier' ? c.fields.find((x) => x.name === field.name) : undefined;
    if (!f || !KEY_TYPES.has(f.type)) continue;
    const v = constant(value, viewer);
    // two different values for one field match nothing: keep the first (still a superset)
    if (v !== undefined && !out.has(f.name)) out.set(f.name, v);
  }
}

/** Key equalities of a filter or rule text; none when it does not parse. */
function keysOf(text: string | null | undefined, c: Collection, viewer: Viewer, rule: boolean) {
  const out = new Map<string, KeyValue>();
  if (!text?.trim()) return out;
  try {
    collectKeys(parseFilter(text, { rule }), c, viewer, out);
  } catch (e) {
    if (!(e instanceof FilterSyntaxError)) throw e;
  }
  return out;
}

/** What a live list query needs to say which changes it may see. */
export interface ListReadParams {
  filter?: string | undefined;
  sort?: string | undefined;
  expand?: string | undefined;
}

/**
 * The read set of a list query on `c` for `viewer`: `c` itself, plus every collection a
 * relation path, expand or `@collection` of its filter, sort or listRule can reach; the key
 * equalities of its filter and (for non-superusers) its listRule.
 */
export function listReadSet(
  all: readonly Collection[],
  c: Collection,
  params: ListReadParams,
  viewer: Viewer,
): ReadSet {
  const rule = viewer.superuser ? undefined : c.listRule;
  const texts = [params.filter, params.sort, rule ?? undefined];
  const collections =
    params.expand || texts.some(readsOtherCollections) ? relatedCollections(all, c) : new Set([c.id]);
  let unknown = false;
  for (const name of texts.flatMap(namedCollections)) {
    const named = all.find((x) => x.name === name || x.id === name);
    if (named) collections.add(named.id);
    else unknown = true;
  }
  const keys = keysOf(params.filter, c, viewer, false);
  for (const [k, v] of keysOf(rule, c, viewer, true)) if (!keys.has(k)) keys.set(k, v);
  return { collections, all: unknown || c.type === 'view', main: c.id, keys };
}

/**
 * False only when the record surely fails a key equality (both sides strings, or both
 * numbers, and different); any other pair may match in SQL, so it is kept.
 */
export function mayMatchKeys(keys: ReadonlyMap<string, KeyValue>, record: Record<string, unknown>): boolean {
  for (const [field, want] of keys) {
    const have = record[field];
    if (typeof have === typeof want && have !== want) return false;
  }
  return true;
}

/** Whether a change row is in a read set at all (its collection). */
export function touches(set: ReadSet, row: ChangeRow): boolean {
  return set.all || set.collections.has(row.collectionId);
}
