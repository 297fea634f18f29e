import { ForbiddenError } from '../errors/api-error.ts';
import type { KeyGrant, Viewer } from '../rules/viewer.ts';
import type { Collection } from '../schema/collection.ts';

/** A record operation an API key may be scoped to. */
export type KeyOperation = Parameters<KeyGrant['allows']>[1];

const OPERATIONS: readonly KeyOperation[] = ['list', 'view', 'create', 'update', 'delete'];

/**
 * ForgeBase's API keys, checked by the record service itself so HTTP, functions and jobs
 * meet the same policy: a key whose scope covers the collection and operation acts as a
 * superuser there, and only there (Viewer.keyScope: other collections' rules apply as
 * usual, and nothing beyond it is expanded); any other use of a key is 403. Viewers
 * without a key pass through unchanged.
 */
export function keyScoped(viewer: Viewer, c: Collection, op: KeyOperation): Viewer {
  if (!viewer.apiKey) return viewer;
  if (!viewer.apiKey.allows(c, op))
    throw new ForbiddenError('The API key is not allowed to perform this action.');
  if (viewer.superuser && viewer.keyScope === c.id) return viewer;
  return { ...viewer, superuser: true, keyScope: c.id };
}

/**
 * The viewer that expands records of `c` for a key: scoped to `c` when the key may do
 * anything there (an expand follows the write or read it was checked for), else bound to
 * `c` without powers (rules apply, nothing beyond `c` is expanded). Never throws.
 */
export function keyScopedForExpand(viewer: Viewer, c: Collection): Viewer {
  if (!viewer.apiKey || viewer.keyScope === c.id) return viewer;
  const key = viewer.apiKey;
  if (OPERATIONS.some((op) => key.allows(c, op))) return { ...viewer, superuser: true, keyScope: c.id };
  return { ...viewer, superuser: false, keyScope: c.id };
}
