import type { RawBuilder, SelectQueryBuilder } from 'kysely';
import { sql } from '../db/kysely.ts';
import { BadRequestError } from '../errors/api-error.ts';
import type { Collection } from '../schema/collection.ts';
import { isSecret } from '../schema/field-registry.ts';

export interface SortTerm {
  expr: RawBuilder<unknown>;
  desc: boolean;
  rowid: boolean;
  /** The value may be NULL (a path through a relation). */
  nullable?: boolean;
  /** The term's SQL depends on the request (a joined collection's rule): never cache it. */
  volatile?: boolean;
}

/** Resolves a sort expression that is not a plain field (e.g. `author.name`); throws when invalid. */
export type SortResolver = (name: string) => { sql: RawBuilder<unknown>; stable: boolean };

const MAX_SORT_TERMS = 8;

/**
 * Parses PocketBase's `sort` parameter: comma-separated field names, `-` for descending,
 * `+` optional for ascending, `@random`, `@rowid`, and, when a resolver is given, any
 * single-valued filter operand: paths through relations (`author.name`), modifiers
 * (`title:lower`), functions (`geoDistance(lon, lat, 10, 20)`) and `@rank`. Commas inside
 * parentheses or quotes do not split. Hidden fields need `allowHidden`; without it an auth
 * collection's hidden emails sort as NULL.
 */
export function parseSort(
  param: string | undefined,
  c: Collection,
  rowIdColumn: string,
  allowHidden = false,
  resolvePath?: SortResolver,
): SortTerm[] {
  if (!param?.trim()) return [];
  const parts = splitSort(param)
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length > MAX_SORT_TERMS)
    throw new BadRequestError(`Too many sort expressions (max ${MAX_SORT_TERMS}).`);
  return parts.map((p) => {
    const desc = p.startsWith('-');
    const name = p.replace(/^[-+]/, '');
    if (name === '@random') return { expr: sql`RANDOM()`, desc: false, rowid: false };
    if (name === '@rowid') return { expr: sql.ref(rowIdColumn), desc, rowid: true };
    const f = c.fields.find((x) => x.name === name);
    if (!f && resolvePath && !/^\w+$/.test(name)) {
      const resolved = resolvePath(name);
      return {
        expr: resolved.sql,
        desc,
        rowid: false,
        nullable: true,
        ...(resolved.stable ? {} : { volatile: true }),
      };
    }
    // PocketBase answers a generic 400 here; the status and shape match, the message says what is wrong
    // like PocketBase, hidden fields sort only for superusers (their order would leak them)
    if (!f || isSecret(f) || (f.hidden && !allowHidden))
      throw new BadRequestError(`Invalid sort field "${name.slice(0, 100)}".`);
    // an auth record's email orders only where its owner made it visible, as filters see it
    if (c.type === 'auth' && f.name === 'email' && !allowHidden) {
      const masked = sql`(CASE WHEN ${sql.ref('emailVisibility')} THEN ${sql.ref(f.name)} END)`;
      return { expr: masked, desc, rowid: false, nullable: true };
    }
    return { expr: sql.ref(f.name), desc, rowid: false };
  });
}

/** Splits a sort parameter at the commas outside quotes and parentheses. */
function splitSort(param: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < param.length; i++) {
    const ch = param[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(param.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(param.slice(start));
  return parts;
}

/**
 * Adds the ORDER BY of parsed sort terms to a query. Ties go by insertion order
 * (`rowIdColumn`) unless a term is `@rowid`; pass undefined where rows have none (views).
 */
export function orderBySort<QB extends SelectQueryBuilder<any, any, any>>(
  query: QB,
  terms: SortTerm[],
  rowIdColumn: string | undefined,
): QB {
  let q = query;
  for (const t of terms) {
    // a path may be missing: order its NULLs as SQLite does on both dialects (first when ascending)
    q = (
      t.nullable
        ? q.orderBy(sql`${t.expr} ${sql.raw(t.desc ? 'DESC NULLS LAST' : 'ASC NULLS FIRST')}`)
        : q.orderBy(t.expr, t.desc ? 'desc' : 'asc')
    ) as QB;
  }
  if (rowIdColumn !== undefined && !terms.some((t) => t.rowid))
    q = q.orderBy(sql.ref(rowIdColumn), 'asc') as QB;
  return q;
}
