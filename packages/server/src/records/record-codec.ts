import type { RequestInfo } from '../query/request-info.ts';
import type { Collection } from '../schema/collection.ts';
import { fieldType } from '../schema/field-registry.ts';

/** A record's values by field name, decoded to their canonical form. */
export type RecordValues = Record<string, unknown>;

/** Who is asking: decides which hidden values a response may carry. */
export interface Viewer {
  superuser: boolean;
  /** The signed-in auth record and its collection (for `@request.auth.*`). */
  auth?: { collection: Collection; record: RecordValues };
  /** The request being served (for `@request.*` in rules); absent for internal calls. */
  request?: RequestInfo;
  /** The signed-in auth record, when any. */
  authId?: string;
  authCollectionId?: string;
  /** The API key the request was signed with (ForgeBase's own), when any. */
  apiKey?: KeyGrant;
  /**
   * With an API key: the one collection its superuser powers apply to in this request
   * (the route checked the key's scope); rules of every other collection apply as usual.
   */
  keyScope?: string;
}

/**
 * The system viewer: passes every rule and sees hidden fields. The one way internal code
 * (auth flows, commands, the change log, tests) bypasses rules, instead of writing
 * `{ superuser: true }` literals, so every bypass is easy to find.
 */
export function asSystem(): Viewer {
  return { superuser: true };
}

/** What an API key allows, per collection and record operation (see auth/api-keys.ts). */
export interface KeyGrant {
  id: string;
  name: string;
  allows(c: Collection, op: 'list' | 'view' | 'create' | 'update' | 'delete'): boolean;
}

/** Decodes a table row into canonical values for every field of the collection. */
export function decodeRow(c: Collection, row: Record<string, unknown>): RecordValues {
  const out: RecordValues = {};
  for (const f of c.fields) out[f.name] = fieldType(f.type).decode(row[f.name], f);
  return out;
}

/**
 * The record as a client sees it (PocketBase's export): collectionId, collectionName, then
 * fields in collection order. Hidden fields are only shown to superusers; password and
 * tokenKey never; an auth record's email only when visible, owned, or to a superuser.
 */
export function exportRecord(c: Collection, values: RecordValues, viewer: Viewer): Record<string, unknown> {
  const out: Record<string, unknown> = { collectionId: c.id, collectionName: c.name };
  const isAuth = c.type === 'auth';
  for (const f of c.fields) {
    if (f.type === 'password') continue;
    if (isAuth && f.name === 'tokenKey') continue;
    if (f.hidden && !viewer.superuser) continue;
    out[f.name] = values[f.name];
  }
  if (isAuth && !viewer.superuser && !values.emailVisibility) {
    const owner = viewer.authCollectionId === c.id && viewer.authId === values.id;
    if (!owner) delete out.email;
  }
  return out;
}
