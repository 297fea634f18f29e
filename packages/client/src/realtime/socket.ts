/**
 * The WebSocket connection to `/api/ws` (docs/realtime.md), shared by everything realtime:
 * record subscriptions today, live queries next. It signs in, reconnects with backoff, and
 * offers a small API:
 *
 * - `request(frame)` sends a frame with a fresh `id` and resolves with the server's `ack`
 *   (rejects with its `error`); `send(frame)` sends without waiting;
 * - `on(type, fn)` routes incoming frames by their `type` (`event`, `message`, or a type a
 *   later feature adds), answering the function that removes the handler;
 * - `onOpen(fn)` runs after every (re)connect, once signed in: re-send subscriptions there.
 *
 * A feature (e.g. `live()`) adds itself with `on('its-type', …)` and `onOpen(…)`, without
 * touching this file.
 */

/** A JSON frame of the protocol. */
export type Frame = { type: string; id?: string; [key: string]: unknown };

/** What a `WebSocket` constructor must offer (the browser's, Node's, Deno's, Bun's, RN's). */
export type WebSocketLike = {
  readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: any) => void) | null;
  onclose: ((ev: any) => void) | null;
  onerror: ((ev: any) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
};

export type WebSocketFactory = new (url: string) => WebSocketLike;

export interface SocketOptions {
  /** `ws://host/api/ws`. */
  url: string;
  /** The token to sign in with at each connect ('' for a guest). */
  token: () => string;
  WebSocket: WebSocketFactory;
  /** Reconnect delays in ms, the last one repeating (default 0, 200, 500, 1000, 2000, 5000). */
  backoff?: number[];
  /** Told of failures nobody awaits (an `onOpen` hook that threw, e.g. a refused resume). */
  onError?: (e: Error) => void;
}

/** The default reconnect delays in ms. */
export const DEFAULT_BACKOFF = [0, 200, 500, 1000, 2000, 5000];

/** Rejected requests carry the server's `status` (and 0 when the socket closed first). */
export class SocketError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'SocketError';
    this.status = status;
  }
}

type Pending = { resolve: (f: Frame) => void; reject: (e: Error) => void };

/** One reconnecting, signed-in WebSocket. `connect()` resolves once the first open is signed in. */
export class RealtimeSocket {
  readonly #o: SocketOptions;
  #ws: WebSocketLike | undefined;
  #nextId = 1;
  #attempt = 0;
  #closed = false;
  #ready: Promise<void> | undefined;
  #opened = false;
  readonly #pending = new Map<string, Pending>();
  readonly #handlers = new Map<string, Set<(f: Frame) => void>>();
  readonly #openHooks = new Set<() => void | Promise<void>>();
  readonly #closeHooks = new Set<() => void>();

  constructor(o: SocketOptions) {
    this.#o = o;
  }

  /** True while the socket is open and signed in. */
  get connected(): boolean {
    return this.#opened;
  }

  /** Opens the socket (once); rejects when the very first attempt fails (e.g. no WebSocket route). */
  connect(): Promise<void> {
    this.#ready ??= new Promise<void>((resolve, reject) => this.#open(resolve, reject));
    return this.#ready;
  }

  /** Routes frames of `type` to `fn`; answers the function that stops it. */
  on(type: string, fn: (f: Frame) => void): () => void {
    const set = this.#handlers.get(type) ?? new Set();
    this.#handlers.set(type, set);
    set.add(fn);
    return () => set.delete(fn);
  }

  /** Runs `fn` after every (re)connect, once signed in (before queued requests go out). */
  onOpen(fn: () => void | Promise<void>): () => void {
    this.#openHooks.add(fn);
    return () => this.#openHooks.delete(fn);
  }

  /** Runs `fn` whenever the connection drops (a reconnect follows unless closed). */
  onDisconnect(fn: () => void): () => void {
    this.#closeHooks.add(fn);
    return () => this.#closeHooks.delete(fn);
  }

  /** Sends a frame without waiting for its reply (dropped while disconnected). */
  send(frame: Frame): void {
    if (this.#ws?.readyState === 1) this.#ws.send(JSON.stringify(frame));
  }

  /** Sends a frame with a fresh id; resolves with the `ack`/`pong`, rejects with the `error`. */
  request(frame: Frame): Promise<Frame> {
    const id = String(this.#nextId++);
    return new Promise<Frame>((resolve, reject) => {
      const ws = this.#ws;
      if (ws?.readyState !== 1) return reject(new SocketError(0, 'The realtime connection is not open.'));
      this.#pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ ...frame, id }));
    });
  }

  /** Drops the connection on purpose to reconnect (e.g. after the auth changed). */
  reconnect(): void {
    this.#ws?.close(4000, 'reconnect');
  }

  /** Closes for good. */
  close(): void {
    this.#closed = true;
    this.#ws?.close(1000, 'closed by client');
  }

  #open(resolve?: () => void, reject?: (e: Error) => void): void {
    const ws = new this.#o.WebSocket(this.#o.url);
    this.#ws = ws;
    let wasOpen = false;
    ws.onopen = () => {
      wasOpen = true;
      void this.#signIn().then(
        async () => {
          this.#attempt = 0;
          this.#opened = true;
          for (const fn of [...this.#openHooks]) {
            try {
              await fn();
            } catch (e) {
              this.#o.onError?.(e as Error);
            }
          }
          resolve?.();
        },
        (e: Error) => {
          reject?.(e);
          ws.close(4001, 'sign-in refused');
        },
      );
    };
    ws.onmessage = (ev) => this.#receive(ev.data);
    ws.onerror = () => {};
    ws.onclose = () => {
      this.#opened = false;
      for (const [id, p] of this.#pending) {
        this.#pending.delete(id);
        p.reject(new SocketError(0, 'The realtime connection closed.'));
      }
      for (const fn of [...this.#closeHooks]) fn();
      if (!wasOpen && reject) return reject(new SocketError(0, 'The realtime WebSocket could not connect.'));
      if (this.#closed) return;
      const delays = this.#o.backoff ?? DEFAULT_BACKOFF;
      const delay = delays[Math.min(this.#attempt++, delays.length - 1)] ?? 1000;
      setTimeout(() => {
        if (!this.#closed) this.#open();
      }, delay);
    };
  }

  async #signIn(): Promise<void> {
    const token = this.#o.token();
    if (token) await this.request({ type: 'auth', token });
  }

  #receive(data: unknown): void {
    let f: Frame;
    try {
      f = JSON.parse(String(data)) as Frame;
    } catch {
      return;
    }
    const p = f.id !== undefined ? this.#pending.get(String(f.id)) : undefined;
    if (p && (f.type === 'ack' || f.type === 'error' || f.type === 'pong')) {
      this.#pending.delete(String(f.id));
      if (f.type === 'error') p.reject(new SocketError(Number(f.status) || 0, String(f.message)));
      else p.resolve(f);
      return;
    }
    for (const fn of this.#handlers.get(f.type) ?? []) fn(f);
  }
}
