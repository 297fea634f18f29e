import type { Transport } from '../http/transport.ts';

/** The kinds of function a client may call. */
export type CallableKind = 'query' | 'mutation' | 'action';

/**
 * A reference to one export of `fb_functions/`: its path and, as types only, its kind,
 * args and result. Get them from `createApi<Api>()` with the `Api` typegen writes.
 */
export interface FunctionRef<K extends CallableKind = CallableKind, A = any, R = any> {
  /** `module/export`, e.g. `todos/openTodos`. */
  readonly path: string;
  readonly __kind?: K;
  readonly __args?: A;
  readonly __result?: R;
}

/** The args of a function definition (what typegen reads from each export). */
export type ArgsOf<D> = D extends { handler: (ctx: any, args: infer A) => any } ? A : never;

/** The JSON result of a function definition. */
export type ResultOf<D> = D extends { handler: (...a: any[]) => infer R } ? Awaited<R> : never;

/** The args parameter: optional when every arg is optional. */
// biome-ignore lint/complexity/noBannedTypes: `{}` is what an args object with no required key extends
export type ArgsParam<A> = {} extends A ? [args?: NoInfer<A>] : [args: NoInfer<A>];

/** A tree of function refs (modules, then exports) built from the path read off it. */
export type ApiTree = { [key: string]: ApiTree | FunctionRef };

/**
 * The `api` object of a project: `api.todos.openTodos` is the ref of
 * `fb_functions/todos.ts`'s `openTodos` (nested folders nest: `api.billing.invoices.create`).
 *
 * @example
 * import type { Api } from './forgebase.d.ts';
 * export const api = createApi<Api>();
 * await fb.query(api.todos.openTodos, { owner: 'u1' });
 */
export function createApi<T = any>(): T {
  const at = (parts: string[]): unknown =>
    new Proxy(
      {},
      {
        get(_t, key) {
          if (key === 'path') return parts.join('/');
          if (typeof key !== 'string' || key === 'then') return undefined;
          return at([...parts, key]);
        },
      },
    );
  return at([]) as T;
}

/** Calls `POST /api/functions/{module}/{export}` with the args as JSON. */
export function callFunction<R>(t: Transport, ref: FunctionRef | string, args: unknown): Promise<R> {
  const path = typeof ref === 'string' ? ref : ref.path;
  const encoded = path.split('/').map(encodeURIComponent).join('/');
  return t.send<R>(`/api/functions/${encoded}`, { method: 'POST', body: args ?? {} });
}
