import type { Realtime } from './realtime.ts';
import type { Frame, RealtimeSocket } from './socket.ts';
import { SocketError } from './socket.ts';

/** The list options of a live list query (PocketBase's list parameters). */
export interface LiveListOptions {
  filter?: string;
  sort?: string;
  expand?: string;
  fields?: string;
  page?: number;
  perPage?: number;
  skipTotal?: boolean;
}

/** What a `live` frame asks for (docs/live-queries.md). */
export type LiveTarget =
  | { query: LiveListOptions & { collection: string } }
  | { function: string; args: unknown };

type Row = { id: string } & Record<string, unknown>;
type Diff = Frame & {
  removed?: { index: number }[];
  inserted?: { index: number; record: Row }[];
  updated?: { index: number; record: Row }[];
  result?: unknown;
};

/** Applies a `live.diff` to the previous value: a new object, so frameworks see the change. */
export function applyLiveDiff(prev: unknown, d: Diff): unknown {
  if ('result' in d) return d.result;
  const items = [...(((prev as { items?: Row[] }) ?? {}).items ?? [])];
  for (const r of d.removed ?? []) items.splice(r.index, 1);
  for (const r of d.inserted ?? []) items.splice(r.index, 0, r.record);
  for (const r of d.updated ?? []) items[r.index] = r.record;
  const { type: _t, live: _l, seq: _s, removed: _r, inserted: _i, updated: _u, ...meta } = d;
  return { ...(prev as object), ...meta, items };
}

/**
 * A live query: the server's first result, then every change to it (rules applied), as
 * one value. A Svelte store (`subscribe(fn)` calls `fn` at once, then on every change, and
 * answers the unsubscribe); it opens on the first subscriber and stops (`unlive`) when the
 * last one leaves. After a reconnect it asks again and gets a fresh full result.
 *
 * @example
 * const todos = fb.collection('todos').live({ filter: 'done = false', sort: '-created' });
 * const stop = todos.subscribe((page) => render(page?.items ?? []));
 */
export class LiveQuery<T> {
  readonly #realtime: () => Realtime;
  readonly #target: LiveTarget;
  readonly #subs = new Set<(value: T | undefined) => void>();
  #id = '';
  #value: T | undefined;
  #error: Error | undefined;
  #off: (() => void)[] = [];
  #socket: RealtimeSocket | undefined;
  #first: { resolve(v: T): void; reject(e: Error): void }[] = [];

  constructor(realtime: () => Realtime, target: LiveTarget) {
    this.#realtime = realtime;
    this.#target = target;
  }

  /** The current result (undefined until the first one came). */
  get value(): T | undefined {
    return this.#value;
  }

  /** Why the query stopped (a bad filter, a rule only superusers pass), if it did. */
  get error(): Error | undefined {
    return this.#error;
  }

  /** Svelte's store contract: `fn(value)` now and on every change; answers the unsubscribe. */
  subscribe(fn: (value: T | undefined) => void): () => void {
    this.#subs.add(fn);
    fn(this.#value);
    if (this.#subs.size === 1 && !this.#id) void this.#start();
    return () => {
      this.#subs.delete(fn);
      if (this.#subs.size === 0) this.close();
    };
  }

  /** The first result (opens the query if nothing subscribed yet, and keeps it open). */
  ready(): Promise<T> {
    if (this.#value !== undefined) return Promise.resolve(this.#value);
    if (this.#error) return Promise.reject(this.#error);
    const p = new Promise<T>((resolve, reject) => this.#first.push({ resolve, reject }));
    if (!this.#id) void this.#start();
    return p;
  }

  /** Stops the query (`unlive`); subscribers keep the last value. */
  close(): void {
    for (const off of this.#off) off();
    this.#off = [];
    if (this.#id && this.#socket?.connected) this.#socket.send({ type: 'unlive', live: this.#id });
    this.#id = '';
  }

  async #start(): Promise<void> {
    const id = `live-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`;
    this.#id = id;
    try {
      const rt = this.#realtime();
      await rt.connect();
      const socket = rt.socket;
      if (!socket) throw new SocketError(0, 'Live queries need the realtime WebSocket.');
      if (this.#id !== id) return;
      this.#socket = socket;
      const mine = (f: Frame) => f.live === id || f.id === id;
      const open = () => socket.send({ type: 'live', id, ...this.#target });
      this.#off = [
        socket.on('live.result', (f) => mine(f) && this.#set(f.result as T)),
        socket.on('live.diff', (f) => mine(f) && this.#set(applyLiveDiff(this.#value, f as Diff) as T)),
        socket.on('live.error', (f) => mine(f) && this.#fail(f)),
        socket.on('error', (f) => mine(f) && this.#fail(f)),
        // the server forgets live queries with their socket: ask again after a reconnect
        socket.onOpen(open),
      ];
      open();
    } catch (e) {
      this.#fail({ type: 'error', status: 0, message: (e as Error).message });
    }
  }

  #set(value: T): void {
    this.#value = value;
    for (const w of this.#first.splice(0)) w.resolve(value);
    for (const fn of [...this.#subs]) fn(value);
  }

  #fail(f: Frame): void {
    this.#error = new SocketError(Number(f.status) || 0, String(f.message));
    for (const w of this.#first.splice(0)) w.reject(this.#error);
    this.close();
  }
}
