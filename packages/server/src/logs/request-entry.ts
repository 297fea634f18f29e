/** What the HTTP layer knows about a finished request, for its log entry. */
export interface RequestFacts {
  method: string;
  /** The URL as sent, credentials already redacted. */
  url: string;
  status: number;
  /** Milliseconds from arrival to the response's end. */
  execTime: number;
  referer: string;
  userAgent: string;
  /** The signed-in record's collection name and id; absent for a guest. */
  auth?: { collection: string; id: string };
  /** The client's address (behind a trusted proxy, the one its header names). */
  userIp: string;
  /** The socket's peer. */
  remoteIp: string;
  /** The error the request ended with, if any: its message and public field details. */
  error?: { message: string; details?: unknown };
}

/** A slog level, as PocketBase stores it. */
export const LOG_LEVEL = { debug: -4, info: 0, warn: 4, error: 8 } as const;

/** The request line's log entry, with what it records about the client. */
export interface RequestEntry {
  level: number;
  message: string;
  data: Record<string, unknown>;
}

/** PocketBase's cutStr: long values are cut and marked. */
function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

/** The URL with its %-escapes decoded, for the message (PocketBase: url.PathUnescape). */
function unescapeUrl(url: string): string {
  try {
    return decodeURIComponent(url);
  } catch {
    return url;
  }
}

/**
 * PocketBase's request log entry (apis/middlewares.go logRequest): `type: "request"`,
 * method, url, status, execTime, referer, userAgent, `auth` (the auth collection's name,
 * "" for a guest), `authId` only with `logAuthId`, `userIP` and `remoteIP` only with
 * `logIP`, and `error`/`details` for a failed request. A failed request (status 400 and
 * up: in PocketBase, a handler that returned an error) is an error entry, others info;
 * the message is `METHOD url` with the URL unescaped.
 */
export function requestEntry(
  facts: RequestFacts,
  opts: { logIp: boolean; logAuthId: boolean },
): RequestEntry {
  const method = cut(facts.method.toUpperCase(), 50);
  const url = cut(facts.url, 3000);
  const data: Record<string, unknown> = { type: 'request', execTime: facts.execTime };
  if (facts.error) {
    data.error = facts.error.message;
    if (facts.error.details !== undefined) data.details = facts.error.details;
  }
  data.url = url;
  data.method = method;
  data.status = facts.status;
  data.referer = cut(facts.referer, 2000);
  data.userAgent = cut(facts.userAgent, 2000);
  data.auth = facts.auth?.collection ?? '';
  if (facts.auth && opts.logAuthId) data.authId = facts.auth.id;
  if (opts.logIp) {
    data.userIP = facts.userIp;
    data.remoteIP = facts.remoteIp;
  }
  const failed = facts.status >= 400 || facts.error !== undefined;
  return {
    level: failed ? LOG_LEVEL.error : LOG_LEVEL.info,
    message: `${method} ${unescapeUrl(url)}`,
    data,
  };
}
