import type { Transport } from '../http/transport.ts';
import type { Schema } from '../types.ts';
import { readQuery } from './collection.ts';

type BatchRequest = { method: string; url: string; body?: unknown };

/** One collection's writes queued in a batch. */
export interface BatchCollection<C, U> {
  create(body: C, o?: { expand?: string; fields?: string }): void;
  /** Creates, or updates when a record with the body's `id` exists. */
  upsert(body: C & { id: string }, o?: { expand?: string; fields?: string }): void;
  update(id: string, body: U, o?: { expand?: string; fields?: string }): void;
  delete(id: string): void;
}

/** One answer of a batch, in request order. */
export interface BatchResult {
  status: number;
  body: any;
}

/**
 * Record writes sent together and run in one transaction (`POST /api/batch`): all commit,
 * or none does and the `ClientError`'s `data` names the request that failed. JSON bodies
 * only; upload files with a record's own create or update.
 *
 * @example
 * const b = fb.batch(); b.collection('todos').create({ title: 'a' }); b.collection('todos').delete(id);
 * await b.send();
 */
export class Batch<S extends Schema = Schema> {
  readonly #t: Transport;
  readonly #requests: BatchRequest[] = [];
  constructor(t: Transport) {
    this.#t = t;
  }

  /** Queues writes to collection `name`. */
  collection<N extends keyof S['collections'] & string>(
    name: N,
  ): BatchCollection<Record<string, unknown>, Record<string, unknown>> {
    const base = `/api/collections/${encodeURIComponent(name)}/records`;
    const q = (o?: { expand?: string; fields?: string }) => {
      const s = new URLSearchParams(
        Object.entries(readQuery(o)).filter(([, v]) => v !== undefined) as [string, string][],
      ).toString();
      return s ? `?${s}` : '';
    };
    return {
      create: (body, o) => void this.#requests.push({ method: 'POST', url: base + q(o), body }),
      upsert: (body, o) => void this.#requests.push({ method: 'PUT', url: base + q(o), body }),
      update: (id, body, o) =>
        void this.#requests.push({ method: 'PATCH', url: `${base}/${encodeURIComponent(id)}${q(o)}`, body }),
      delete: (id) =>
        void this.#requests.push({ method: 'DELETE', url: `${base}/${encodeURIComponent(id)}` }),
    };
  }

  /** Sends the queued writes; answers one result per request. */
  send(): Promise<BatchResult[]> {
    return this.#t.send('/api/batch', { method: 'POST', body: { requests: this.#requests } });
  }
}
