import type { ClientContext } from '../context.ts';
import { ClientError } from '../errors.ts';
import type { QueryValue } from '../http/query.ts';
import { type LiveListOptions, LiveQuery } from '../realtime/live.ts';
import type { RealtimeEvent, SubscribeOptions } from '../realtime/realtime.ts';
import type { ListOptions, ListResult, ReadOptions, RecordModel } from '../types.ts';
import { recordBody } from './body.ts';

/** The query of a read: `expand`, `fields` and the caller's extra parameters. */
export function readQuery(o: ReadOptions = {}): Record<string, QueryValue> {
  return { ...o.query, expand: o.expand, fields: o.fields };
}

const listQuery = (o: ListOptions = {}) => ({
  ...readQuery(o),
  page: o.page,
  perPage: o.perPage,
  sort: o.sort,
  filter: o.filter,
  skipTotal: o.skipTotal ? 1 : undefined,
});

/**
 * One collection's records (PocketBase's record API): typed by the schema the client was
 * made with. Every method rejects with a `ClientError` on failure.
 */
export class RecordService<R = RecordModel, C = Record<string, unknown>, U = Partial<C>> {
  protected readonly ctx: ClientContext;
  /** The collection's name (or id). */
  readonly name: string;

  constructor(ctx: ClientContext, name: string) {
    this.ctx = ctx;
    this.name = name;
  }

  /** The records API path of this collection (`/api/collections/{name}/records`). */
  protected path(tail = ''): string {
    return `/api/collections/${encodeURIComponent(this.name)}${tail}`;
  }

  /** One page, with every list option: `list({page: 2, perPage: 50, filter, sort})`. */
  list(opts: ListOptions = {}): Promise<ListResult<R>> {
    return this.ctx.transport.send(this.path('/records'), {
      query: listQuery(opts),
      headers: opts.headers,
      signal: opts.signal,
    });
  }

  /**
   * A live list (docs/live-queries.md): the list as these options give it, kept up to date
   * as writes change it (rules applied). A Svelte store; `ready()` gives the first result.
   */
  live(opts: LiveListOptions = {}): LiveQuery<ListResult<R>> {
    return new LiveQuery(this.ctx.realtime, { query: { ...opts, collection: this.name } });
  }

  /** PocketBase's `getList(page, perPage, opts)`. */
  getList(page = 1, perPage = 30, opts: ListOptions = {}): Promise<ListResult<R>> {
    return this.list({ ...opts, page, perPage });
  }

  /** Every record the options match, fetched `batch` (default 500) at a time. */
  async getFullList(opts: ListOptions & { batch?: number } = {}): Promise<R[]> {
    const perPage = opts.batch ?? 500;
    const all: R[] = [];
    for (let page = 1; ; page++) {
      const res = await this.list({ ...opts, page, perPage, skipTotal: true });
      all.push(...res.items);
      if (res.items.length < perPage) return all;
    }
  }

  /** One record by id (404 `not_found` when missing or hidden by the viewRule). */
  getOne(id: string, opts: ReadOptions = {}): Promise<R> {
    return this.ctx.transport.send(this.path(`/records/${encodeURIComponent(id)}`), {
      query: readQuery(opts),
      headers: opts.headers,
      signal: opts.signal,
    });
  }

  /** The first record a filter matches; rejects with a 404 `ClientError` when none does. */
  async getFirst(filter: string, opts: ListOptions = {}): Promise<R> {
    const res = await this.list({ ...opts, filter, page: 1, perPage: 1, skipTotal: true });
    const first = res.items[0];
    if (first === undefined) {
      throw new ClientError(404, "The requested resource wasn't found.", { url: this.path('/records') });
    }
    return first;
  }

  /** Creates a record; a body with `Blob`/`File` values (or a `FormData`) uploads them. */
  create(body: C | FormData, opts: ReadOptions = {}): Promise<R> {
    return this.ctx.transport.send(this.path('/records'), {
      method: 'POST',
      body: recordBody(body),
      query: readQuery(opts),
      headers: opts.headers,
      signal: opts.signal,
    });
  }

  /** Updates a record (PocketBase's `field+`/`field-` modifiers work in the body). */
  update(id: string, body: U | FormData, opts: ReadOptions = {}): Promise<R> {
    return this.ctx.transport.send(this.path(`/records/${encodeURIComponent(id)}`), {
      method: 'PATCH',
      body: recordBody(body),
      query: readQuery(opts),
      headers: opts.headers,
      signal: opts.signal,
    });
  }

  /** Deletes a record. */
  async delete(
    id: string,
    opts: { headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<void> {
    await this.ctx.transport.send(this.path(`/records/${encodeURIComponent(id)}`), {
      method: 'DELETE',
      ...opts,
    });
  }

  /**
   * Calls `cb` for every change to this collection (`'*'`) or one record (its id) that the
   * viewer may see, over the WebSocket (SSE when there is none), with resume across
   * reconnects. Answers the function that unsubscribes.
   *
   * @example
   * const stop = await fb.collection('todos').subscribe('*', (e) => console.log(e.action, e.record), { filter: 'done = false' });
   */
  subscribe(
    topic: string,
    cb: (e: RealtimeEvent<R>) => void,
    opts: SubscribeOptions = {},
  ): Promise<() => Promise<void>> {
    const key = topic === '*' ? this.name : `${this.name}/${topic}`;
    return this.ctx.realtime().subscribe(key, cb as (e: RealtimeEvent) => void, opts);
  }
}
