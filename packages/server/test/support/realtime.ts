import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import { EventSource, type FetchLike } from 'eventsource';
import PocketBase from 'pocketbase';
import WebSocket from 'ws';

/** A FIFO of things that arrive over time; `next` waits (bounded) for the next one. */
export class Inbox<T> {
  readonly items: T[] = [];
  #waiters: { resolve: (v: T) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = [];

  push(item: T): void {
    const w = this.#waiters.shift();
    if (w) {
      clearTimeout(w.timer);
      w.resolve(item);
    } else this.items.push(item);
  }

  /** The next item, or a rejection after `timeoutMs`. */
  next(timeoutMs = 5000): Promise<T> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.timer !== timer);
        reject(new Error(`nothing arrived within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.push({ resolve, reject, timer });
    });
  }
}

/**
 * A fetch for EventSource over its own socket (no keep-alive pool): closing the stream
 * closes the socket, so no pooled connection outlives a test's server.
 */
const streamFetch: FetchLike = (url, init) =>
  new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: 'GET',
      headers: init?.headers as Record<string, string>,
      agent: false,
    });
    init?.signal?.addEventListener('abort', () =>
      req.destroy(Object.assign(new Error('aborted'), { name: 'AbortError' })),
    );
    req.on('response', (res) => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
      resolve(new Response(Readable.toWeb(res) as ReadableStream, { status: res.statusCode ?? 0, headers }));
    });
    req.on('error', reject);
    req.end();
  });

/** An EventSource that streams over its own socket (see streamFetch). */
export class TestEventSource extends EventSource {
  constructor(url: string | URL, init?: ConstructorParameters<typeof EventSource>[1]) {
    super(url, { ...init, fetch: streamFetch });
  }
}

/** The official PocketBase SDK in Node: it needs a global EventSource for realtime. */
export function sdk(url: string, token?: string): PocketBase {
  (globalThis as { EventSource?: unknown }).EventSource ??= TestEventSource;
  const pb = new PocketBase(url);
  pb.autoCancellation(false);
  if (token) pb.authStore.save(token, null);
  return pb;
}

/** A WebSocket client of `/api/ws` that collects events and answers frames by id. */
export class WsClient {
  readonly events = new Inbox<any>();
  /** `live.diff` and `live.error` frames (a `live` frame's first result is its reply). */
  readonly live = new Inbox<any>();
  readonly closed: Promise<{ code: number; reason: string }>;
  #replies = new Map<string, (frame: any) => void>();
  #next = 0;
  readonly ws: WebSocket;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.type === 'event') this.events.push(frame);
      else if (frame.type === 'live.diff' || frame.type === 'live.error') this.live.push(frame);
      else if (frame.id !== undefined) this.#replies.get(String(frame.id))?.(frame);
    });
  }

  static async open(url: string): Promise<WsClient> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/ws`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new WsClient(ws);
  }

  /** Sends a frame with a fresh id and waits for its ack or error frame. */
  request(frame: Record<string, unknown>, timeoutMs = 5000): Promise<any> {
    const id = `r${++this.#next}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to ${JSON.stringify(frame)}`)), timeoutMs);
      this.#replies.set(id, (reply) => {
        clearTimeout(timer);
        this.#replies.delete(id);
        resolve(reply);
      });
      this.ws.send(JSON.stringify({ ...frame, id }));
    });
  }

  close(): void {
    this.ws.close();
  }
}

/**
 * The `record.title` of the events in `inbox` up to and including the one titled
 * `marker` (a record every viewer under test may see), in arrival order.
 */
export async function titlesUntil(inbox: Inbox<any>, marker: string): Promise<string[]> {
  const seen: string[] = [];
  for (;;) {
    const e = await inbox.next();
    seen.push(e.record.title);
    if (e.record.title === marker) return seen;
  }
}
