// The dashboard's one way to the server: @forgebase/client. Screens import `api` (a call by
// method and path, for the endpoints the SDK has no method for: settings, logs, backups…)
// and `fb` (the SDK itself: auth, records, realtime); nothing else calls fetch.
import { ClientError, ForgeBase, localStoragePersistence } from '@forgebase/client';

/** The SDK, on the page's own origin; the session is kept in localStorage. */
export const fb = new ForgeBase(location.origin, {
  persistence: localStoragePersistence('forgebase_dashboard_auth'),
});

/** An error answer of the server: PocketBase's `{status, message, data}` (the SDK's ClientError). */
export { ClientError as ApiError };

export interface RequestOptions {
  /** JSON, or a FormData sent as multipart (file uploads). */
  body?: unknown;
  /** Sent as `Authorization` instead of the session's token (the install token). */
  token?: string;
  query?: Record<string, string | number | boolean | undefined>;
}

/** Calls the API and answers the parsed JSON; a non-2xx answer throws ClientError. */
export function api<T = any>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  return fb.send<T>(path, {
    method,
    ...(opts.body !== undefined ? { body: opts.body } : {}),
    ...(opts.query ? { query: opts.query } : {}),
    ...(opts.token ? { headers: { authorization: opts.token }, anonymous: true } : {}),
  });
}

/** An absolute URL of the API with a query (a download link the browser follows itself). */
export function apiUrl(path: string, query: Record<string, string> = {}): string {
  return fb.transport.url(path, query);
}
