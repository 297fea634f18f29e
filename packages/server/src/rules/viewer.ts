import type { RequestInfo } from '../query/request-info.ts';
import type { Collection } from '../schema/collection.ts';
import type { RecordValues } from '../schema/record-values.ts';

/**
 * Who is asking: decides which rules apply and which hidden values a response may carry.
 * Every service call that reads or writes records takes one; it lives in rules/ so that
 * rules, query and every service can share it without importing records/.
 */
export interface Viewer {
  superuser: boolean;
  /**
   * Set only on the viewer `asSystem()` returns: internal work (clean-ups, migrations,
   * hooks) that is not done on behalf of anyone and so bypasses every rule.
   */
  system?: true;
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

/** What an API key allows, per collection and record operation (see auth/api-keys.ts). */
export interface KeyGrant {
  id: string;
  name: string;
  allows(c: Collection, op: 'list' | 'view' | 'create' | 'update' | 'delete'): boolean;
  /** The key has the `{ "databases": true }` scope: it manages and opens every tenant database. */
  manageDatabases?: boolean;
}

const SYSTEM: Viewer = Object.freeze({ superuser: true, system: true });

/**
 * The system viewer: the only way to bypass rules. Use it for work the platform does on
 * its own account (clean-ups, migrations, hooks writing related records), never for a
 * request; a request always carries the viewer its credentials give.
 *
 * @example records.update(users, id, { verified: true }, asSystem())
 */
export function asSystem(): Viewer {
  return SYSTEM;
}
