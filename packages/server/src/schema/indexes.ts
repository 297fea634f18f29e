import type { DbError, IndexSpec } from '../db/database.ts';
import type { ErrorData } from '../errors/api-error.ts';
import { FieldCode, fieldError } from '../errors/codes.ts';

/** An index as PocketBase writes it, parsed. */
export interface ParsedIndex extends IndexSpec {
  table: string;
}

const INDEX_RE =
  /^\s*create\s+(unique\s+)?\s*index\s*(if\s+not\s+exists\s+)?(\S+)\s+on\s+(\S+?)\s*\(([\s\S]*)\)(?:\s*where\s+([\s\S]*?))?\s*;?\s*$/i;
const NAME_RE = /^\w+$/;

function trimName(s: string): string {
  return s.replace(/^[`"'[\s]+|[`"'\]\s]+$/g, '');
}

/**
 * Parses `CREATE [UNIQUE] INDEX name ON table (col [COLLATE NOCASE] [ASC|DESC], ...)
 * [WHERE col != '']`. Only plain column names are accepted, so the index can be rebuilt
 * with quoted identifiers on any dialect; anything else returns undefined.
 */
export function parseIndex(text: string): ParsedIndex | undefined {
  const m = INDEX_RE.exec(text);
  if (!m) return undefined;
  const name = trimName(m[3]!);
  const table = trimName(m[4]!);
  if (!NAME_RE.test(name) || !NAME_RE.test(table)) return undefined;
  const columns: IndexSpec['columns'] = [];
  for (const part of m[5]!.split(',')) {
    const cm = /^\s*([`"[]?\w+[`"\]]?)(\s+collate\s+nocase)?(\s+(asc|desc))?\s*$/i.exec(part);
    if (!cm) return undefined;
    columns.push({
      name: trimName(cm[1]!),
      desc: (cm[4] ?? '').toLowerCase() === 'desc',
      ...(cm[2] ? { nocase: true } : {}),
    });
  }
  if (columns.length === 0) return undefined;
  let where: IndexSpec['where'];
  if (m[6] !== undefined) {
    const wm = /^\s*([`"[]?\w+[`"\]]?)\s*(!=|<>)\s*(''|"")\s*$/.exec(m[6]);
    if (!wm) return undefined;
    where = { notEmpty: trimName(wm[1]!) };
  }
  return { name, table, unique: !!m[1], columns, ...(where ? { where } : {}) };
}

/** Writes an index back in PocketBase's canonical form (used when a collection is renamed). */
export function buildIndex(idx: ParsedIndex): string {
  const cols = idx.columns
    .map((c) => `\`${c.name}\`${c.nocase ? ' COLLATE NOCASE' : ''}${c.desc ? ' DESC' : ''}`)
    .join(',\n  ');
  const body = idx.columns.length > 1 ? `(\n  ${cols}\n)` : `(${cols})`;
  const where = idx.where ? ` WHERE \`${idx.where.notEmpty}\` != ''` : '';
  return `CREATE ${idx.unique ? 'UNIQUE ' : ''}INDEX \`${idx.name}\` ON \`${idx.table}\` ${body}${where}`;
}

/**
 * The error for a table change the database refused, pinned on the index that most likely
 * caused it (PocketBase: `indexes.<i>` "Failed to create index <name> - <reason>."): a new
 * or changed index named in the error or covering its columns, else the first new one.
 */
export function indexFailure(next: string[], prev: string[], e: DbError): ErrorData {
  const changed = next
    .map((text, i) => ({ i, p: parseIndex(text) }))
    .filter((x): x is { i: number; p: ParsedIndex } => !!x.p && !prev.includes(next[x.i]!));
  const cols = (p: ParsedIndex) => p.columns.map((c) => c.name).join(',');
  const blamed =
    changed.find((x) => e.message.includes(x.p.name)) ??
    changed.find((x) => e.columns.length > 0 && cols(x.p) === e.columns.join(',')) ??
    changed[0];
  if (!blamed) {
    return {
      indexes: fieldError(FieldCode.invalidIndexExpression, 'Failed to apply the table change.'),
    };
  }
  const reason =
    e.code === 'unique_violation' ? 'existing records have duplicate values' : 'the database refused it';
  return {
    indexes: {
      [blamed.i]: fieldError(
        FieldCode.invalidIndexExpression,
        `Failed to create index ${blamed.p.name} - ${reason}.`,
      ),
    },
  };
}
