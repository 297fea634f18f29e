import { ClientError } from '../errors.ts';
import { type QueryValue, queryString } from './query.ts';

/** One request: JSON bodies are encoded, `FormData`/`Blob`/streams are sent as they are. */
export interface SendOptions {
  method?: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Send no `Authorization` header even when signed in. */
  anonymous?: boolean;
  /** Return the raw `Response` (for downloads and tus), still throwing on a non-2xx status. */
  raw?: boolean;
}

/** What the SDK sends through: the base URL, the fetch to use, and where the token comes from. */
export interface Transport {
  readonly baseUrl: string;
  /** The full URL of a path (`/api/...`) with its query. */
  url(path: string, query?: Record<string, QueryValue>): string;
  /** Sends one request and answers its parsed JSON (undefined for an empty body). */
  send<T = unknown>(path: string, opts?: SendOptions): Promise<T>;
}

export interface TransportOptions {
  baseUrl: string;
  fetch?: typeof fetch;
  /** The current auth token ('' when signed out). */
  token: () => string;
  /** Called before each request, e.g. to refresh a token about to expire. */
  beforeSend?: (path: string) => Promise<void>;
}

const isBinary = (b: unknown) =>
  (typeof FormData !== 'undefined' && b instanceof FormData) ||
  (typeof Blob !== 'undefined' && b instanceof Blob) ||
  b instanceof ArrayBuffer ||
  ArrayBuffer.isView(b) ||
  (typeof ReadableStream !== 'undefined' && b instanceof ReadableStream) ||
  b instanceof URLSearchParams;

/** Turns a non-2xx answer (or a failed fetch) into a `ClientError`. */
export async function errorOf(res: Response, url: string): Promise<ClientError> {
  const text = await res.text().catch(() => '');
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { message: text };
  }
  const message = typeof body.message === 'string' && body.message ? body.message : res.statusText;
  const data = body.data && typeof body.data === 'object' ? (body.data as Record<string, unknown>) : {};
  return new ClientError(res.status, message || `HTTP ${res.status}`, { data, url, response: body });
}

/** Builds the transport every service of a client shares. */
export function createTransport(opts: TransportOptions): Transport {
  const baseUrl = opts.baseUrl.replace(/\/+$/, '');
  const doFetch = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const url = (path: string, query?: Record<string, QueryValue>) =>
    `${baseUrl}${path.startsWith('/') ? '' : '/'}${path}${queryString(query)}`;

  async function send<T>(path: string, o: SendOptions = {}): Promise<T> {
    if (!o.anonymous) await opts.beforeSend?.(path);
    const target = url(path, o.query);
    const headers: Record<string, string> = { ...o.headers };
    const token = o.anonymous ? '' : opts.token();
    if (token && !('authorization' in headers) && !('Authorization' in headers))
      headers.authorization = token;
    let body: BodyInit | undefined;
    if (o.body !== undefined) {
      if (isBinary(o.body)) body = o.body as BodyInit;
      else {
        headers['content-type'] ??= 'application/json';
        body = JSON.stringify(o.body);
      }
    }
    const init: RequestInit & { duplex?: string } = { method: o.method ?? 'GET', headers };
    if (body !== undefined) init.body = body;
    if (typeof ReadableStream !== 'undefined' && body instanceof ReadableStream) init.duplex = 'half';
    if (o.signal) init.signal = o.signal;
    let res: Response;
    try {
      res = await doFetch(target, init);
    } catch (e) {
      const aborted = (e as Error)?.name === 'AbortError';
      throw new ClientError(0, aborted ? 'The request was aborted.' : 'The server could not be reached.', {
        url: target,
        code: aborted ? 'aborted' : 'network',
        cause: e,
      });
    }
    if (!res.ok) throw await errorOf(res, target);
    if (o.raw) return res as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  return { baseUrl, url, send };
}
