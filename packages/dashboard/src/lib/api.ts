// The dashboard's one way to the server. It speaks the PocketBase-compatible HTTP API and is
// meant to be replaced by @forgebase/client as soon as that package covers these calls:
// every screen imports from here, never calls fetch itself.

/** An error answer of the server: PocketBase's `{status, message, data}`. */
export class ApiError extends Error {
  readonly status: number;
  readonly data: Record<string, { code?: string; message?: string }>;
  /** The whole answer (a 401 of a first factor carries `mfaId` beside the error). */
  readonly body: any;
  constructor(status: number, message: string, data: ApiError['data'] = {}, body?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.data = data;
    this.body = body;
  }

  /** The message of one field's error, if the server named it. */
  field(name: string): string | undefined {
    return this.data[name]?.message;
  }
}

let authToken = '';

/** Sets the token sent as `Authorization` on every call (empty: none). */
export function useToken(token: string): void {
  authToken = token;
}

export interface RequestOptions {
  /** JSON, or a FormData sent as multipart (file uploads). */
  body?: unknown;
  /** Overrides the session's token (the install token). */
  token?: string;
  query?: Record<string, string | number | boolean | undefined>;
}

/** Calls the API and answers the parsed JSON; a non-2xx answer throws ApiError. */
export async function api<T = any>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(opts.query ?? {}))
    if (v !== undefined) url.searchParams.set(k, String(v));
  const headers: Record<string, string> = {};
  const token = opts.token ?? authToken;
  if (token) headers.authorization = token;
  const form = opts.body instanceof FormData;
  if (opts.body !== undefined && !form) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers,
      body: opts.body === undefined ? undefined : form ? (opts.body as FormData) : JSON.stringify(opts.body),
    });
  } catch {
    throw new ApiError(0, 'The server cannot be reached.');
  }
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok)
    throw new ApiError(
      res.status,
      json?.message ?? `The server answered ${res.status}.`,
      json?.data ?? {},
      json,
    );
  return json as T;
}
