import assert from 'node:assert/strict';
import PocketBase, { ClientResponseError } from 'pocketbase';

/** A fresh official SDK client with no auto-cancellation (tests may repeat a request), signed in with `token` if given. */
export function sdkClient(url: string, token?: string): PocketBase {
  const pb = new PocketBase(url);
  pb.autoCancellation(false);
  if (token) pb.authStore.save(token);
  return pb;
}

/** Runs `fn`, expects it to reject with a ClientResponseError, and returns that error. */
export async function clientError(fn: () => Promise<unknown>): Promise<ClientResponseError> {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof ClientResponseError, `expected a ClientResponseError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the request to fail');
}
