import type { Transport } from '../http/transport.ts';
import type { AuthStore } from './store.ts';
import { secondsLeft, tokenClaims } from './token.ts';

/**
 * Refreshes the token before it expires: checked before every request (a token with less
 * than `marginSeconds` left is refreshed first, once, even with requests in parallel).
 * Superuser impersonation tokens (`refreshable: false`) are left alone.
 */
export function autoRefresh(store: AuthStore, transport: () => Transport, marginSeconds: number) {
  let inflight: Promise<void> | undefined;
  return async function beforeSend(path: string): Promise<void> {
    if (path.endsWith('/auth-refresh') || !store.token) return;
    const left = secondsLeft(store.token);
    const claims = tokenClaims(store.token);
    if (left <= 0 || left > marginSeconds || claims.refreshable === false || claims.type !== 'auth') return;
    const collection = store.record?.collectionName ?? claims.collectionId;
    if (!collection) return;
    inflight ??= transport()
      .send<{ token: string; record: never }>(
        `/api/collections/${encodeURIComponent(collection)}/auth-refresh`,
        {
          method: 'POST',
        },
      )
      .then(
        (r) => store.save(r.token, r.record),
        // a refused refresh leaves the token as it is: the request itself will say why
        () => {},
      )
      .finally(() => {
        inflight = undefined;
      });
    await inflight;
  };
}
