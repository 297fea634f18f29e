import type { ColumnKind } from '../db/database.ts';
import type { ErrorData, FieldError } from '../errors/api-error.ts';

/** A field as stored in a collection's `fields` array (PocketBase's JSON shape). */
export interface FieldModel {
  id: string;
  name: string;
  type: string;
  system: boolean;
  hidden: boolean;
  presentable: boolean;
  [option: string]: unknown;
}

/** What a field's value validation may ask about the world. */
export interface ValueContext {
  /** True on create, false on update. */
  isNew: boolean;
  /** The stored value before this change (update only). */
  previous: unknown;
  /** Returns which of `ids` exist in the collection `collectionId`. */
  existingIds(collectionId: string, ids: string[]): Promise<Set<string>>;
}

/** What field option validation may ask about the schema. */
export interface OptionsContext {
  /** The type of the collection with this id or name, if it exists. */
  collectionType(idOrName: string): string | undefined;
  /** The field as it was before this save, when it existed. */
  previous: FieldModel | undefined;
  /** The type of the collection that owns the field. */
  ownerType: string;
}

/** One of the modifiers a body key can carry: `name+` append/add, `+name` prepend, `name-` remove/subtract. */
export type Modifier = 'append' | 'prepend' | 'remove';

/**
 * A field type: its options, storage, input normalisation and validation. One file per
 * type under `fields/`; all of them are listed in `field-registry.ts`.
 */
export interface FieldType {
  readonly type: string;
  /** Options with their defaults, in the order they appear in JSON. */
  defaults(): Record<string, unknown>;
  /** The column that stores the field. */
  column(field: FieldModel): { kind: ColumnKind; nullable?: boolean };
  /** Checks the field's options when a collection is saved. */
  validateOptions?(field: FieldModel, ctx: OptionsContext): ErrorData | undefined;
  /** The value a record shows when nothing is stored. */
  zero(field: FieldModel): unknown;
  /** Turns client input (JSON or multipart text) into the canonical value. */
  normalize(raw: unknown, field: FieldModel): unknown;
  /** Applies a modifier to the current value. Absent: the type takes no modifiers. */
  modify?(current: unknown, mod: Modifier, raw: unknown, field: FieldModel): unknown;
  /** Checks a canonical value; returns the first error. */
  validate(
    value: unknown,
    field: FieldModel,
    ctx: ValueContext,
  ): FieldError | undefined | Promise<FieldError | undefined>;
  /** Canonical value → bound parameter. */
  encode(value: unknown, field: FieldModel): unknown;
  /** Stored value → canonical value. */
  decode(raw: unknown, field: FieldModel): unknown;
  /** Ignores client input entirely (e.g. autodate). */
  readonly readOnly?: boolean;

  // Traits: what the rest of the platform may do with a field of this type, said once here
  // rather than re-checked as `f.type === '...'` wherever it matters.

  /**
   * A secret (a password hash): clients write it, nobody reads it back. It is never
   * exported, filtered, sorted, aggregated, put in a mail or carried into a view, and a
   * client may set it even though it is hidden.
   */
  readonly secret?: true;
  /** May carry a full-text index, when its `searchable` option is on (`search()`, `@rank`). */
  readonly searchable?: true;
  /**
   * What a filter path may go on with after the field: `json`, a path into the value
   * (`data.a.0`, `place.lat`); `relation`, the fields of the record it points to
   * (`author.name`). Absent: the field ends the path.
   */
  readonly subPaths?: 'json' | 'relation';
  /** Holds a list of values (one or several, by `maxSelect`): `:each` and `:length` apply. */
  readonly list?: true;
  /** Holds free-form JSON: a filter compares it as JSON, and takes `@request.body` values as sent. */
  readonly jsonValue?: true;
}

/** Options every field carries, in JSON order. */
export function commonOptions(): Record<string, unknown> {
  return { hidden: false, presentable: false, system: false };
}

/** Reads a numeric option, treating null/undefined as 0. */
export function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** Multi-value fields (select, file, relation) hold arrays when maxSelect > 1. */
export function isMulti(field: FieldModel): boolean {
  return num(field.maxSelect) > 1;
}

/**
 * PocketBase's ToUniqueStringSlice: arrays stay arrays, a string holding `[` is parsed as
 * JSON, any other string is one value; empty strings and duplicates are dropped.
 */
export function toUniqueStrings(raw: unknown): string[] {
  let list: unknown[];
  if (raw === null || raw === undefined) list = [];
  else if (Array.isArray(raw)) list = raw;
  else if (typeof raw === 'string') {
    if (raw.includes('[')) {
      try {
        const parsed = JSON.parse(raw);
        list = Array.isArray(parsed) ? parsed : [raw];
      } catch {
        list = [raw];
      }
    } else list = [raw];
  } else list = [raw];
  const out: string[] = [];
  for (const v of list) {
    if (v === null || v === undefined) continue;
    const s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
    if (s !== '' && !out.includes(s)) out.push(s);
  }
  return out;
}

/** Normalises a select/relation/file value: a list when multi, else the last entry or "". */
export function normalizeMulti(raw: unknown, field: FieldModel): string | string[] {
  const list = toUniqueStrings(raw);
  if (isMulti(field)) return list;
  return list.length ? list[list.length - 1]! : '';
}

/** Applies PocketBase's select/relation modifiers. */
export function modifyMulti(
  current: unknown,
  mod: Modifier,
  raw: unknown,
  field: FieldModel,
): string | string[] {
  const cur = toUniqueStrings(current);
  const add = toUniqueStrings(raw);
  let next: string[];
  if (mod === 'append') next = [...cur, ...add];
  else if (mod === 'prepend') next = [...add, ...cur];
  else next = cur.filter((v) => !add.includes(v));
  return normalizeMulti(next, field);
}

/** Stored text of a multi-value column → list. */
export function decodeList(raw: unknown): string[] {
  if (Array.isArray(raw)) return raw.map(String);
  if (typeof raw !== 'string' || raw === '') return [];
  try {
    const v = JSON.parse(raw);
    return Array.isArray(v) ? v.map(String) : [];
  } catch {
    return [];
  }
}

/** The text a user typed, whatever JSON type it arrived as. */
export function toText(raw: unknown): string {
  if (raw === null || raw === undefined) return '';
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  return JSON.stringify(raw);
}

/** Domain part of an email or URL host check against only/except lists. */
export function domainAllowed(domain: string, field: FieldModel): boolean {
  const only = (field.onlyDomains as string[] | null) ?? [];
  const except = (field.exceptDomains as string[] | null) ?? [];
  const d = domain.toLowerCase();
  if (only.length && !only.some((x) => x.toLowerCase() === d)) return false;
  if (except.length && except.some((x) => x.toLowerCase() === d)) return false;
  return true;
}
