import type { AuthStore } from '../auth/store.ts';
import type { Transport } from '../http/transport.ts';
import type { RecordModel } from '../types.ts';
import { DEFAULT_BACKOFF, type Frame, RealtimeSocket, type WebSocketFactory } from './socket.ts';
import { SseConnection } from './sse.ts';

/** A change delivered to a subscription. `seq` is its change-log position (WebSocket only). */
export interface RealtimeEvent<R = RecordModel> {
  action: 'create' | 'update' | 'delete';
  record: R;
  seq?: number;
}

/** A subscription's own filter and record shape (the rules of the collection apply first). */
export interface SubscribeOptions {
  filter?: string;
  expand?: string;
  fields?: string;
  /** Extra `@request.query.*` values the rule may read. */
  query?: Record<string, string>;
  headers?: Record<string, string>;
}

export interface RealtimeOptions {
  transport: Transport;
  authStore: AuthStore;
  /** The WebSocket constructor; absent (or `null`) uses SSE. Defaults to `globalThis.WebSocket`. */
  WebSocket?: WebSocketFactory | null;
  backoff?: number[];
  /**
   * Told of realtime failures no call awaits: a refused resume after a reconnect (more was
   * missed than the server replays: reload the data), or a failed reconnect.
   */
  onError?: (e: Error) => void;
}

type Callback = (e: RealtimeEvent) => void;

const BASELINE = { type: 'resume', since: Number.MAX_SAFE_INTEGER };

/** The topic key the server names events by: `posts/*` plus PocketBase's `?options=`. */
export function topicKey(topic: string, o: SubscribeOptions): string {
  const query = { ...o.query, filter: o.filter, expand: o.expand, fields: o.fields };
  const clean = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined && v !== ''));
  if (!Object.keys(clean).length && !o.headers) return topic;
  const options = { query: clean, ...(o.headers ? { headers: o.headers } : {}) };
  return `${topic}?options=${encodeURIComponent(JSON.stringify(options))}`;
}

/**
 * Record subscriptions over the WebSocket, with resume: after a reconnect every topic is
 * subscribed again and `resume` replays what was missed since the last seq seen, so no
 * event is lost or repeated. Without WebSockets it falls back to SSE (no replay there:
 * events during a reconnect are missed, as with PocketBase).
 */
export class Realtime {
  readonly #o: RealtimeOptions;
  readonly #subs = new Map<string, Set<Callback>>();
  #socket: RealtimeSocket | undefined;
  #sse: SseConnection | undefined;
  #ready: Promise<void> | undefined;
  #lastSeq = 0;
  #resuming = false;
  #held: Frame[] = [];
  #seen = new Set<string>();
  #offAuth: (() => void) | undefined;

  constructor(o: RealtimeOptions) {
    this.#o = o;
  }

  /** The WebSocket, once connected (undefined on SSE): the seam for features such as `live()`. */
  get socket(): RealtimeSocket | undefined {
    return this.#socket;
  }

  /** The seq of the newest change received. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Connects (WebSocket first, SSE if that fails); called by the first subscribe. */
  connect(): Promise<void> {
    this.#ready ??= this.#connect();
    return this.#ready;
  }

  /** Subscribes `cb` to a topic (`posts`, `posts/<id>`); answers the unsubscribe function. */
  async subscribe(topic: string, cb: Callback, o: SubscribeOptions = {}): Promise<() => Promise<void>> {
    await this.connect();
    const key = topicKey(topic, o);
    const fresh = !this.#subs.has(key);
    const set = this.#subs.get(key) ?? new Set();
    this.#subs.set(key, set);
    set.add(cb);
    if (fresh) {
      try {
        await this.#subscribeKey(key);
      } catch (e) {
        this.#subs.delete(key);
        throw e;
      }
    }
    return async () => {
      set.delete(cb);
      if (set.size || this.#subs.get(key) !== set) return;
      this.#subs.delete(key);
      if (this.#socket?.connected) await this.#socket.request({ type: 'unsubscribe', topic: key });
      else if (this.#sse) await this.#sse.setTopics([...this.#subs.keys()]);
    };
  }

  /** Closes the connection and forgets every subscription. */
  close(): void {
    this.#offAuth?.();
    this.#socket?.close();
    this.#sse?.close();
    this.#subs.clear();
    this.#socket = undefined;
    this.#sse = undefined;
    this.#ready = undefined;
  }

  async #subscribeKey(key: string): Promise<void> {
    if (!this.#socket) return void (await this.#sse?.setTopics([...this.#subs.keys()]));
    await this.#socket.request({ type: 'subscribe', topic: key });
    // learn where the log stood, so a reconnect before any event still resumes from there:
    // a resume from beyond the end replays nothing and acks the newest seq it covers
    if (this.#lastSeq === 0) this.#advance((await this.#socket.request(BASELINE)).seq);
  }

  #advance(seq: unknown): void {
    if (typeof seq === 'number' && seq > this.#lastSeq) this.#lastSeq = seq;
  }

  async #connect(): Promise<void> {
    const WS =
      this.#o.WebSocket === undefined
        ? (globalThis.WebSocket as WebSocketFactory | undefined)
        : this.#o.WebSocket;
    if (WS) {
      const socket = new RealtimeSocket({
        url: `${this.#o.transport.url('/api/ws').replace(/^http/, 'ws')}`,
        token: () => this.#o.authStore.token,
        WebSocket: WS,
        ...(this.#o.backoff ? { backoff: this.#o.backoff } : {}),
        ...(this.#o.onError ? { onError: this.#o.onError } : {}),
      });
      socket.on('event', (f) => this.#onEvent(f));
      let first = true;
      socket.onOpen(async () => {
        if (first) {
          first = false;
          return;
        }
        await this.#resubscribe(socket);
      });
      try {
        await socket.connect();
        this.#socket = socket;
        // a new sign-in (or sign-out) needs a new connection: the server binds one auth per socket
        this.#offAuth = this.#o.authStore.onChange(() => socket.reconnect());
        return;
      } catch {
        socket.close();
      }
    }
    await this.#connectSse();
  }

  async #connectSse(): Promise<void> {
    const sse = new SseConnection(this.#o.transport, (m) => {
      const set = this.#subs.get(m.event);
      if (!set) return;
      const e = JSON.parse(m.data) as RealtimeEvent;
      for (const cb of set) cb(e);
    });
    this.#sse = sse;
    const { ended } = await sse.connect();
    // the server binds the first auth to the client: a new sign-in needs a new stream
    this.#offAuth ??= this.#o.authStore.onChange(() => this.#sse?.close());
    void ended.then(() => {
      if (this.#sse === sse) this.#reconnectSse(0);
    });
  }

  /** The stream dropped (or was closed for a new auth): connect again and post the topics again. */
  #reconnectSse(attempt: number): void {
    const delays = this.#o.backoff ?? DEFAULT_BACKOFF;
    setTimeout(
      () => {
        if (!this.#sse) return; // closed meanwhile
        this.#connectSse()
          .then(() => this.#sse?.setTopics([...this.#subs.keys()]))
          .catch((e: Error) => {
            this.#o.onError?.(e);
            this.#reconnectSse(attempt + 1);
          });
      },
      delays[Math.min(attempt, delays.length - 1)] ?? 1000,
    );
  }

  async #resubscribe(socket: RealtimeSocket): Promise<void> {
    this.#resuming = true;
    this.#held = [];
    const subs = [...this.#subs.keys()].map((topic) => socket.request({ type: 'subscribe', topic }));
    // resume right after the subscribes, without waiting (docs/realtime.md "Reconnecting without gaps")
    const since = this.#lastSeq > 0 ? this.#lastSeq : Number.MAX_SAFE_INTEGER;
    const resume = socket.request({ type: 'resume', since });
    try {
      const [ack] = await Promise.all([resume, ...subs]);
      this.#advance(ack.seq);
    } finally {
      this.#resuming = false;
      const held = this.#held.sort((a, b) => Number(a.seq) - Number(b.seq));
      this.#held = [];
      for (const f of held) this.#deliver(f);
    }
  }

  #onEvent(f: Frame): void {
    if (this.#resuming) this.#held.push(f);
    else this.#deliver(f);
  }

  #deliver(f: Frame): void {
    const seq = Number(f.seq);
    const id = `${seq}:${String(f.topic)}`;
    if (this.#seen.has(id)) return;
    this.#seen.add(id);
    if (this.#seen.size > 5000) this.#seen = new Set([...this.#seen].slice(-1000));
    this.#advance(seq);
    const set = this.#subs.get(String(f.topic));
    if (!set) return;
    const e: RealtimeEvent = {
      action: f.action as RealtimeEvent['action'],
      record: f.record as RecordModel,
      seq,
    };
    for (const cb of set) cb(e);
  }
}
