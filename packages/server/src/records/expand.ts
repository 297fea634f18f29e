import type { RawBuilder } from 'kysely';
import type { Database, Executor } from '../db/database.ts';
import { sql } from '../db/kysely.ts';
import { ApiError } from '../errors/api-error.ts';
import { type RuleDeps, ruleCondition } from '../rules/rule-condition.ts';
import type { Viewer } from '../rules/viewer.ts';
import type { Collection } from '../schema/collection.ts';
import { isMulti } from '../schema/field.ts';
import { parseIndex } from '../schema/indexes.ts';
import { decodeRow, exportRecord } from './record-codec.ts';

/** PocketBase expands at most six levels deep. */
export const MAX_EXPAND_DEPTH = 6;
const VIA_RE = /^(\w+)_via_(\w+)$/;

type ExpandTree = Map<string, ExpandTree>;
type Exported = Record<string, unknown>;

/** Parses `expand=author,comments_via_post.user` into a tree; deeper paths are cut at six levels. */
export function parseExpand(param: string | undefined): ExpandTree | undefined {
  if (!param?.trim()) return undefined;
  const root: ExpandTree = new Map();
  for (const path of param.split(',')) {
    let node = root;
    for (const name of path.trim().split('.').slice(0, MAX_EXPAND_DEPTH)) {
      if (!name) break;
      let child = node.get(name);
      if (!child) {
        child = new Map();
        node.set(name, child);
      }
      node = child;
    }
  }
  return root.size ? root : undefined;
}

export interface ExpandDeps extends RuleDeps {
  db: Database;
  /** Where to read (a transaction, to see its own writes); the database by default. */
  ex?: Executor | undefined;
}

/**
 * Adds `expand` to exported records (PocketBase's semantics): relation fields become the
 * related record (single) or records in stored order (multi); `x_via_field` becomes the
 * records of `x` pointing back here (one record when that field is single and unique).
 * Every expanded record must pass its own collection's viewRule for the viewer; those
 * that do not are left out, and unknown names are ignored. One query per level and name.
 */
export async function expandRecords(
  deps: ExpandDeps,
  c: Collection,
  items: Exported[],
  tree: ExpandTree,
  viewer: Viewer,
): Promise<void> {
  if (items.length === 0) return;
  for (const [name, subtree] of tree) {
    const field = c.fields.find((f) => f.name === name && f.type === 'relation');
    if (field) {
      if (field.hidden && !viewer.superuser) continue;
      const target = deps.collection(String(field.collectionId));
      if (!target) continue;
      const ids = new Set<string>();
      for (const item of items) for (const id of idsOf(item[name])) ids.add(id);
      const found = await fetchVisible(
        deps,
        target,
        viewer,
        ids.size ? sql<boolean>`${sql.ref('id')} IN (${sql.join([...ids])})` : undefined,
      );
      if (!found) continue;
      if (subtree.size) await expandRecords(deps, target, [...found.values()], subtree, viewer);
      for (const item of items) {
        initExpand(item);
        const related = idsOf(item[name])
          .map((id) => found.get(id))
          .filter((r): r is Exported => !!r);
        if (related.length === 0) continue;
        attach(item, name, isMulti(field) ? related : related[0]!);
      }
      continue;
    }
    const via = VIA_RE.exec(name);
    if (!via) continue;
    const back = deps.collection(via[1]!);
    const backField = back?.fields.find(
      (f) => f.name === via[2] && f.type === 'relation' && f.collectionId === c.id,
    );
    if (!back || !backField || (backField.hidden && !viewer.superuser)) continue;
    const parentIds = items.map((i) => String(i.id));
    const multi = isMulti(backField);
    const where = multi
      ? sql<boolean>`(${sql.join(
          parentIds.map((id) =>
            deps.db.filter.jsonArrayContains(sql.ref(`${back.name}.${backField.name}`), sql`${id}`),
          ),
          sql` OR `,
        )})`
      : sql<boolean>`${sql.ref(backField.name)} IN (${sql.join(parentIds)})`;
    const found = await fetchVisible(deps, back, viewer, where);
    if (!found) continue;
    if (subtree.size) await expandRecords(deps, back, [...found.values()], subtree, viewer);
    const unique =
      !multi &&
      back.indexes.some((text) => {
        const p = parseIndex(text);
        return p?.unique && p.columns.length === 1 && p.columns[0]!.name === backField.name;
      });
    for (const item of items) {
      initExpand(item);
      const related = [...found.values()].filter((r) => idsOf(r[backField.name]).includes(String(item.id)));
      if (related.length === 0) continue;
      attach(item, name, unique ? related[0]! : related);
    }
  }
}

function idsOf(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  return typeof v === 'string' && v !== '' ? [v] : [];
}

/**
 * Like PocketBase, a record whose requested relation resolved (a relation the viewer may
 * expand) answers with an `expand` object even when nothing was related.
 */
function initExpand(item: Exported): void {
  if (item.expand === undefined) item.expand = {};
}

function attach(item: Exported, name: string, value: Exported | Exported[]): void {
  const expand = (item.expand as Record<string, unknown> | undefined) ?? {};
  expand[name] = value;
  item.expand = expand;
}

/**
 * Records of `c` matching `where` that the viewer may view, exported and keyed by id;
 * undefined when the viewer may not expand `c` at all (like PocketBase's failed expand,
 * which leaves no `expand` key).
 */
async function fetchVisible(
  deps: ExpandDeps,
  c: Collection,
  viewer: Viewer,
  where: RawBuilder<boolean> | undefined,
): Promise<Map<string, Exported> | undefined> {
  const out = new Map<string, Exported>();
  // an API key reaches only the collection its scope names: nothing is expanded beyond it
  if (viewer.keyScope && viewer.keyScope !== c.id) return undefined;
  let rule: ReturnType<typeof ruleCondition>;
  try {
    rule = ruleCondition(deps, c, c.viewRule, viewer);
  } catch (e) {
    // a superusers-only collection is simply not expanded for others
    if (e instanceof ApiError) return undefined;
    throw e;
  }
  if (!where) return out;
  let query = deps.db.qb.selectFrom(c.name).selectAll(c.name).where(where);
  if (rule.kind === 'where') query = query.where(rule.sql);
  const rows = await (deps.ex ?? deps.db).all<Record<string, unknown>>(query);
  for (const row of rows) {
    const exported = exportRecord(c, decodeRow(c, row), viewer);
    out.set(String(exported.id), exported);
  }
  return out;
}
