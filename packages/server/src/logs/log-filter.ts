import type { RawBuilder } from 'kysely';
import type { Database } from '../db/database.ts';
import { errors, FieldCode, fieldError } from '../errors/codes.ts';
import type { Expr, Operand } from '../query/ast.ts';
import { FilterSyntaxError } from '../query/ast.ts';
import { type CompileOptions, compileFilter, compileValue } from '../query/compile.ts';
import { parseFilter, parseOperand } from '../query/parser.ts';
import { emptyRequest } from '../query/request-info.ts';
import { parseSort, type SortTerm } from '../records/sort.ts';
import { type Collection, tableAsCollection } from '../schema/collection.ts';

/**
 * `_logs` seen as a collection, so the filter compiler and the sort parser read it like
 * any table: `id`, `created`, `level`, `message`, and `data` with its JSON paths
 * (`data.status`, `data.auth`), PocketBase's logFilterFields.
 */
export const LOGS_TABLE: Collection = tableAsCollection('_logs', [
  { name: 'id', type: 'text' },
  { name: 'created', type: 'date' },
  { name: 'data', type: 'json' },
  { name: 'message', type: 'text' },
  { name: 'level', type: 'number' },
]);

/** Only the table's own columns: no other table, no request (PocketBase's SimpleFieldResolver). */
function compileOptions(db: Database, table: Collection): CompileOptions {
  return {
    db,
    collection: () => undefined,
    base: table,
    request: emptyRequest(),
    allowHidden: true,
  };
}

/** `@request.*` means nothing for logs: refused like any unknown name. */
function refuseRequestRefs(e: Expr | Operand): void {
  if (e.kind === 'and' || e.kind === 'or') {
    refuseRequestRefs(e.left);
    refuseRequestRefs(e.right);
  } else if (e.kind === 'compare') {
    refuseRequestRefs(e.left);
    refuseRequestRefs(e.right);
  } else if (e.kind === 'call') {
    for (const a of e.args) refuseRequestRefs(a);
  } else if (e.kind === 'identifier' && e.name.startsWith('@request.')) {
    throw new FilterSyntaxError(`Unknown identifier "${e.name}"`, e.pos);
  }
}

/**
 * A `filter` parameter over a system table seen as a collection (`_logs`, `_audit`) as a
 * parameterised SQL condition (undefined when empty). A filter that does not parse or
 * names an unknown field is a 400.
 */
export function tableCondition(
  db: Database,
  table: Collection,
  filter: string | undefined,
): RawBuilder<boolean> | undefined {
  if (!filter?.trim()) return undefined;
  try {
    const expr = parseFilter(filter);
    refuseRequestRefs(expr);
    return compileFilter(expr, compileOptions(db, table));
  } catch (e) {
    if (e instanceof FilterSyntaxError) {
      throw errors.invalid(`Invalid filter: ${e.message}.`, {
        filter: fieldError(FieldCode.invalidFilter, e.message, { position: e.pos }),
      });
    }
    throw e;
  }
}

/**
 * The `sort` parameter over such a table: columns, JSON paths, `@rowid` (the `rowId`
 * column: the dialect's row id unless the table orders by one of its own), `@random`.
 */
export function tableSort(
  db: Database,
  table: Collection,
  sort: string | undefined,
  rowId: string = db.filter.rowIdColumn,
): SortTerm[] {
  return parseSort(sort, table, rowId, true, (name) => {
    try {
      const operand = parseOperand(name);
      refuseRequestRefs(operand);
      return { sql: compileValue(operand, compileOptions(db, table)), stable: true };
    } catch (e) {
      if (e instanceof FilterSyntaxError)
        throw errors.badRequest(`Invalid sort field "${name.slice(0, 100)}": ${e.message}.`);
      throw e;
    }
  });
}

/** The `filter` parameter over the logs (`tableCondition` over LOGS_TABLE). */
export function logCondition(db: Database, filter: string | undefined): RawBuilder<boolean> | undefined {
  return tableCondition(db, LOGS_TABLE, filter);
}

/** The `sort` parameter over the logs: columns, `data.*` paths, `@rowid`, `@random`. */
export function logSort(db: Database, sort: string | undefined): SortTerm[] {
  return tableSort(db, LOGS_TABLE, sort);
}
