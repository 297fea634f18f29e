import type { RawBuilder } from 'kysely';
import { sql } from '../db/kysely.ts';
import { BadRequestError } from '../errors/api-error.ts';
import type { Collection } from '../schema/collection.ts';

export interface SortTerm {
  expr: RawBuilder<unknown>;
  desc: boolean;
  rowid: boolean;
  /** The value may be NULL (a path through a relation). */
  nullable?: boolean;
  /** The term's SQL depends on the request (a joined collection's rule): never cache it. */
  volatile?: boolean;
}

/** Resolves a sort name that is not a plain field (e.g. `author.name`); throws when invalid. */
export type SortResolver = (name: string) => { sql: RawBuilder<unknown>; stable: boolean };

const MAX_SORT_TERMS = 8;

/**
 * Parses PocketBase's `sort` parameter: comma-separated field names, `-` for descending,
 * `+` optional for ascending, `@random`, `@rowid`, and field paths through relations
 * (`author.name`) when a resolver is given. Hidden fields need `allowHidden`.
 */
export function parseSort(
  param: string | undefined,
  c: Collection,
  rowIdColumn: string,
  allowHidden = false,
  resolvePath?: SortResolver,
): SortTerm[] {
  if (!param?.trim()) return [];
  const parts = param
    .split(',')
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
    if (!f && resolvePath && ((/^[\w.]+$/.test(name) && name.includes('.')) || name === '@rank')) {
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
    if (!f || f.type === 'password' || (f.hidden && !allowHidden))
      throw new BadRequestError(`Invalid sort field "${name.slice(0, 100)}".`);
    return { expr: sql.ref(f.name), desc, rowid: false };
  });
}
