import type { RawBuilder } from 'kysely';
import { sql } from '../db/kysely.ts';
import { BadRequestError } from '../errors/api-error.ts';
import type { Collection } from '../schema/collection.ts';

export interface SortTerm {
  expr: RawBuilder<unknown>;
  desc: boolean;
  rowid: boolean;
}

const MAX_SORT_TERMS = 8;

/**
 * Parses PocketBase's `sort` parameter: comma-separated field names, `-` for descending,
 * `+` optional for ascending, `@random`, `@rowid`. Hidden fields need `allowHidden`.
 */
export function parseSort(
  param: string | undefined,
  c: Collection,
  rowIdColumn: string,
  allowHidden = false,
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
    // PocketBase answers a generic 400 here; the status and shape match, the message says what is wrong
    // like PocketBase, hidden fields sort only for superusers (their order would leak them)
    if (!f || f.type === 'password' || (f.hidden && !allowHidden))
      throw new BadRequestError(`Invalid sort field "${name.slice(0, 100)}".`);
    return { expr: sql.ref(f.name), desc, rowid: false };
  });
}
