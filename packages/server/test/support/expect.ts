import assert from 'node:assert/strict';
import { ClientResponseError } from 'pocketbase';
import type { TestResponse } from './app.ts';

// PocketBase's error shapes and the rule sets the suites share, so that every suite
// asserts the same exact bodies (pb-spec §1.3).

/** The field error of a required value left blank. */
export const REQUIRED = { code: 'validation_required', message: 'Cannot be blank.' };

/** The field error of a value a UNIQUE index already holds. */
export const NOT_UNIQUE = { code: 'validation_not_unique', message: 'Value must be unique.' };

/** The 404 body of an unknown record or collection. */
export const NOT_FOUND = { data: {}, message: "The requested resource wasn't found.", status: 404 };

/** The 403 body of an action whose rule is null (superusers only). */
export const SUPERUSERS_ONLY = { data: {}, message: 'Only superusers can perform this action.', status: 403 };

/**
 * Rules that let anyone list, view, create and update records; delete stays superuser-only.
 * Spread into a collection definition: `t.createCollection({ name, fields, ...PUBLIC_RULES })`.
 */
export const PUBLIC_RULES = { listRule: '', viewRule: '', createRule: '', updateRule: '' };

/** Asserts PocketBase's 400 validation shape with exactly these field errors. */
export function assertInvalid(
  res: TestResponse,
  data: Record<string, unknown>,
  message = 'Failed to create record.',
): void {
  assert.deepEqual(res.body, { data, message, status: 400 });
  assert.equal(res.status, 400);
}

/** The SDK's error of a call that must fail (fails the test when the call succeeds). */
export async function sdkFailure(p: Promise<unknown>): Promise<ClientResponseError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ClientResponseError) return e;
    throw e;
  }
  assert.fail('expected the call to fail');
}
