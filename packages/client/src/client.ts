import { AuthCollection } from './auth/auth-collection.ts';
import { autoRefresh } from './auth/auto-refresh.ts';
import { type AuthPersistence, AuthStore, localStoragePersistence, memoryPersistence } from './auth/store.ts';
import type { ClientContext } from './context.ts';
import { DatabaseService } from './databases.ts';
import { type FilterValue, filter } from './filter.ts';
import {
  type ArgsParam,
  type CallableKind,
  callFunction,
  createApi,
  type FunctionRef,
} from './functions/functions.ts';
import { createTransport, type SendOptions, type Transport } from './http/transport.ts';
import { LiveQuery } from './realtime/live.ts';
import { Realtime } from './realtime/realtime.ts';
import type { WebSocketFactory } from './realtime/socket.ts';
import { Batch } from './records/batch.ts';
import { BucketService } from './storage/buckets.ts';
import { FileService } from './storage/files.ts';
import type { CreateOf, RecordOf, Schema, UntypedSchema, UpdateOf } from './types.ts';

/** Options of a client. */
export interface ClientOptions {
  /** The auth store (default: localStorage in browsers, memory elsewhere). */
  authStore?: AuthStore;
  /** Or just where the default store keeps its state. */
  persistence?: AuthPersistence;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
  /** The WebSocket constructor (default: the global one); `null` forces SSE. */
  WebSocket?: WebSocketFactory | null;
  /** Refresh the token when it has less than this many seconds left (default 300; 0 turns it off). */
  refreshMarginSeconds?: number;
  /** Realtime reconnect delays in ms. */
  reconnectBackoff?: number[];
  /** Told of realtime failures no call awaits, e.g. a resume the server refused after a long disconnect. */
  onRealtimeError?: (e: Error) => void;
}

type Ref<K extends CallableKind> = FunctionRef<K, any, any>;
type Args<F> = F extends FunctionRef<any, infer A, any> ? A : never;
type Result<F> = F extends FunctionRef<any, any, infer R> ? R : never;

/**
 * A ForgeBase client. Generic over the schema `forgebase typegen` writes, so record types,
 * create bodies and function args are checked; without one, everything is `RecordModel`.
 *
 * @example
 * import type { Schema } from './forgebase.d.ts';
 * const fb = new ForgeBase<Schema>('https://api.example.com');
 * await fb.collection('users').authWithPassword('a@example.com', 'secret123');
 * const todo = await fb.collection('todos').getOne(id); // typed
 */
export class ForgeBase<S extends Schema = UntypedSchema> {
  readonly authStore: AuthStore;
  readonly transport: Transport;
  /** Record files: URLs, thumbs, tokens. */
  readonly files: FileService;
  /** Buckets: uploads with progress, resumable uploads, signed URLs. */
  readonly buckets: BucketService;
  /** Tenant databases (management; SQL goes through `@libsql/client`). */
  readonly databases: DatabaseService;
  /** The function refs of this project (`fb.api.todos.openTodos`). */
  readonly api: S['functions'];
  readonly #ctx: ClientContext;
  #realtime: Realtime | undefined;

  constructor(baseUrl: string, o: ClientOptions = {}) {
    const browser = typeof (globalThis as { document?: unknown }).document !== 'undefined';
    this.authStore =
      o.authStore ??
      new AuthStore(o.persistence ?? (browser ? localStoragePersistence() : memoryPersistence()));
    const margin = o.refreshMarginSeconds ?? 300;
    const beforeSend = margin > 0 ? autoRefresh(this.authStore, () => this.transport, margin) : undefined;
    this.transport = createTransport({
      baseUrl,
      token: () => this.authStore.token,
      ...(o.fetch ? { fetch: o.fetch } : {}),
      ...(beforeSend ? { beforeSend } : {}),
    });
    const realtime = () => {
      this.#realtime ??= new Realtime({
        transport: this.transport,
        authStore: this.authStore,
        ...(o.WebSocket !== undefined ? { WebSocket: o.WebSocket } : {}),
        ...(o.reconnectBackoff ? { backoff: o.reconnectBackoff } : {}),
        ...(o.onRealtimeError ? { onError: o.onRealtimeError } : {}),
      });
      return this.#realtime;
    };
    this.#ctx = { transport: this.transport, authStore: this.authStore, realtime };
    this.files = new FileService(this.transport);
    this.buckets = new BucketService(this.transport, () => this.authStore.token);
    this.databases = new DatabaseService(this.transport);
    this.api = createApi<S['functions']>();
  }

  /** The base URL requests go to. */
  get baseUrl(): string {
    return this.transport.baseUrl;
  }

  /** The realtime connection (opened on first subscribe); `realtime.socket` is the WebSocket. */
  get realtime(): Realtime {
    return this.#ctx.realtime();
  }

  /** The records (and, for auth collections, the sign-in methods) of one collection. */
  collection<N extends keyof S['collections'] & string>(
    name: N,
  ): AuthCollection<RecordOf<S, N>, CreateOf<S, N>, UpdateOf<S, N>> {
    return new AuthCollection(this.#ctx, name);
  }

  /** Record writes in one transaction. */
  batch(): Batch<S> {
    return new Batch<S>(this.transport);
  }

  /** Binds `{:name}` placeholders safely: `fb.filter('owner = {:id}', { id })`. */
  filter(expr: string, params?: Record<string, FilterValue>): string {
    return filter(expr, params);
  }

  /** Calls a query function (reads with the caller's rules). */
  query<F extends Ref<'query'>>(fn: F, ...args: ArgsParam<Args<F>>): Promise<Result<F>> {
    return callFunction(this.transport, fn, args[0]);
  }

  /**
   * A live query function (docs/live-queries.md): its result, then every change to it as
   * writes change what it read. A Svelte store; `ready()` gives the first result.
   */
  live<F extends Ref<'query'>>(fn: F | string, ...args: ArgsParam<Args<F>>): LiveQuery<Result<F>> {
    const path = typeof fn === 'string' ? fn : fn.path;
    return new LiveQuery(this.#ctx.realtime, { function: path, args: args[0] ?? {} });
  }

  /** Calls a mutation function (one transaction). */
  mutation<F extends Ref<'mutation'>>(fn: F, ...args: ArgsParam<Args<F>>): Promise<Result<F>> {
    return callFunction(this.transport, fn, args[0]);
  }

  /** Calls an action function (side effects, no transaction). */
  action<F extends Ref<'action'>>(fn: F, ...args: ArgsParam<Args<F>>): Promise<Result<F>> {
    return callFunction(this.transport, fn, args[0]);
  }

  /** Any other request to the server, with this client's auth (e.g. a function's `route()`). */
  send<T = unknown>(path: string, o?: SendOptions): Promise<T> {
    return this.transport.send<T>(path, o);
  }

  /** Closes the realtime connection (subscriptions end). */
  close(): void {
    this.#realtime?.close();
    this.#realtime = undefined;
  }
}
