import {
  AUTH_KEYS,
  type Collection,
  type CollectionType,
  defaultCollectionId,
  defaultFieldId,
  fieldWithDefaults,
  keepProviderSecrets,
  scaffold,
  WRITABLE_KEYS,
} from './collection.ts';
import type { FieldModel } from './field.ts';
import { buildIndex, parseIndex } from './indexes.ts';

/**
 * Builds the collection a create request describes, without saving it; a missing id is
 * derived from type and name, made unique among `others`.
 */
export function prepareNew(input: Record<string, unknown>, others: Collection[]): Collection {
  const type = (input.type ?? 'base') as CollectionType;
  const name = typeof input.name === 'string' ? input.name : '';
  const c = scaffold(['base', 'auth', 'view'].includes(type) ? type : ('base' as CollectionType), name);
  c.type = type;
  overlay(c, input);
  if (!c.id) {
    let id = defaultCollectionId(c.type, c.name);
    for (let n = 2; others.some((o) => o.id === id) && n < 1000; n++)
      id = `${defaultCollectionId(c.type, c.name)}${n}`;
    c.id = id;
  }
  return c;
}

/** Lays client input over a collection: known keys only; auth option objects merge one level. */
export function overlay(c: Collection, input: Record<string, unknown>): void {
  const target = c as unknown as Record<string, unknown>;
  for (const key of WRITABLE_KEYS) {
    if (!(key in input) || input[key] === undefined) continue;
    const v = input[key];
    if ((AUTH_KEYS as readonly string[]).includes(key) && c.type !== 'auth') continue;
    if (key === 'viewQuery' && c.type !== 'view') continue;
    const cur = target[key];
    if (
      (AUTH_KEYS as readonly string[]).includes(key) &&
      v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      cur &&
      typeof cur === 'object'
    ) {
      target[key] = { ...(cur as object), ...(v as object) };
      if (key === 'oauth2') keepProviderSecrets(cur, target[key]);
    } else target[key] = structuredClone(v);
  }
  if (!Array.isArray(c.fields)) c.fields = [];
  if (!Array.isArray(c.indexes)) c.indexes = [];
}

/** Fills field defaults and ids; a field without id reuses the id of a same-named old field. */
export function normalizeFields(c: Collection, prev: Collection | undefined): void {
  const taken = new Set<string>();
  c.fields = c.fields.map((raw) => {
    const input = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
    const f = fieldWithDefaults(input);
    if (!f.id) {
      const same = prev?.fields.find((p) => p.name === f.name);
      let id = same?.id ?? defaultFieldId(f.type, f.name);
      for (let n = 2; taken.has(id) || c.fields.some((x) => x !== raw && (x as FieldModel).id === id); n++) {
        id = `${defaultFieldId(f.type, f.name)}${n}`;
      }
      f.id = id;
    }
    taken.add(f.id);
    return f;
  });
}

/** Keeps index strings pointing at the collection's current table name. */
export function retargetIndexes(c: Collection): void {
  c.indexes = c.indexes.map((text) => {
    const p = typeof text === 'string' ? parseIndex(text) : undefined;
    return p && p.table !== c.name ? buildIndex({ ...p, table: c.name }) : text;
  });
}
