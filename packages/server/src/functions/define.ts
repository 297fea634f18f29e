import type { Static, TSchema } from 'typebox';
import type { EnqueueOptions, JobOptions } from '../jobs/job-options.ts';

export {
  ApiError,
  BadRequestError,
  ForbiddenError,
  NotFoundError,
  TooManyRequestsError,
  UnauthorizedError,
  ValidationError,
} from '../errors/api-error.ts';

/**
 * `@forgebase/server/functions`: the helpers a project's `fb_functions/*.ts` build their
 * exports with (docs/functions.md). Each returns a plain definition object the loader
 * recognises by its `FUNCTION_DEF` tag; nothing runs at import.
 *
 * @example
 * export const openTodos = query({
 *   args: Type.Object({ owner: Type.String() }),
 *   handler: (ctx, { owner }) => ctx.records('todos').list({ filter: 'owner = {:owner}', params: { owner } }),
 * });
 */

/** The tag of a definition (a registered symbol: the same in every copy of this module). */
export const FUNCTION_DEF: unique symbol = Symbol.for('forgebase.function');

// `workflow` (durable, memoised steps) will be one more kind, its runs being jobs of the
// queue (jobs/job-queue.ts `define`, completion through `JobRun.complete(tx)`)
export type FunctionKind = 'query' | 'mutation' | 'action' | 'route' | 'hook' | 'job' | 'cron';

/** The signed-in caller of a function: its record (as it sees itself) and collection. */
export interface FunctionAuth {
  id: string;
  collectionId: string;
  collectionName: string;
  superuser: boolean;
  record: Record<string, unknown>;
}

/** A list of records: PocketBase's list parameters, `{:name}` in `filter` bound from `params`. */
export interface FunctionListParams {
  page?: number;
  perPage?: number;
  sort?: string;
  filter?: string;
  params?: Record<string, unknown>;
  skipTotal?: boolean;
  expand?: string;
}

export interface FunctionListResult {
  items: Record<string, unknown>[];
  page: number;
  perPage: number;
  totalItems: number;
  totalPages: number;
}

/** One collection's records, as `ctx.records(name)` (the caller's rules) or `ctx.asSystem().records(name)` give them. */
export interface CollectionRecords {
  list(params?: FunctionListParams): Promise<FunctionListResult>;
  getOne(id: string, opts?: { expand?: string }): Promise<Record<string, unknown>>;
  /** The first record the filter matches; a 404 when none does. */
  getFirst(filter: string, params?: Record<string, unknown>): Promise<Record<string, unknown>>;
  create(body: Record<string, unknown>): Promise<Record<string, unknown>>;
  update(id: string, body: Record<string, unknown>): Promise<Record<string, unknown>>;
  delete(id: string): Promise<void>;
}

export interface FunctionLog {
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

export interface FunctionMail {
  send(message: { to: string; subject: string; html: string }): Promise<void>;
}

/** Storage objects, with the caller's bucket rules (the superuser's under asSystem()). */
export interface FunctionStorage {
  upload(
    bucket: string,
    name: string,
    body: string | Uint8Array,
    opts?: { contentType?: string; upsert?: boolean },
  ): Promise<Record<string, unknown>>;
  list(bucket: string, opts?: { prefix?: string; limit?: number }): Promise<unknown>;
  remove(bucket: string, names: string[]): Promise<void>;
  /** A time-limited download URL path (`expiresIn` seconds). */
  signDownload(bucket: string, name: string, expiresIn: number): Promise<string>;
}

/** `ctx.jobs`: the job queue (docs/jobs.md). */
export interface FunctionJobs {
  /**
   * Enqueues a job (its definition, or `"module/export"`). Inside a mutation or a record
   * hook the job is written in the same transaction: a rolled-back write enqueues nothing.
   * With a `key`, a pending job of that name and key is returned instead of a new one.
   */
  enqueue(
    job: FunctionDefinition<any, unknown> | string,
    args?: unknown,
    opts?: EnqueueOptions,
  ): Promise<{ id: string; deduplicated: boolean }>;
}

/** In a job's run: which job and which attempt (key idempotent effects by `id`). */
export interface FunctionJobInfo {
  id: string;
  name: string;
  /** 1 for the first attempt. */
  attempt: number;
  maxAttempts: number;
}

/** What every handler receives first. */
export interface FunctionContext {
  /** The caller, or null (anonymous, or internal work such as an afterCommit hook). */
  auth: FunctionAuth | null;
  /** A collection's records with the caller's rules. In a query, writes throw. */
  records(collection: string): CollectionRecords;
  /** The same context without rules (the system viewer). */
  asSystem(): FunctionContext;
  /** Calls another function (its definition, or `"module/export"`) with the same caller. */
  run<R = unknown>(fn: FunctionDefinition<unknown, R> | string, args?: unknown): Promise<R>;
  /** forgebase.toml `[env]` and `FORGEBASE_ENV_*`. */
  env: Record<string, string>;
  /**
   * The project's secrets (`forgebase secrets set NAME`), opened: never log or return them.
   * A change reaches running functions within seconds. Not given to isolated functions.
   */
  secrets: Readonly<Record<string, string>>;
  log: FunctionLog;
  /** The global fetch; actions only (elsewhere it throws: queries and mutations may be retried). */
  fetch: typeof fetch;
  mail: FunctionMail;
  storage: FunctionStorage;
  /** The job queue: `ctx.jobs.enqueue(sendWelcome, { userId })`. */
  jobs: FunctionJobs;
  /** Set while a job runs: its id and attempt. */
  job?: FunctionJobInfo;
}

/** What a route handler receives beside `ctx`. */
export interface RouteRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export type Handler<A, R> = (ctx: FunctionContext, args: A) => R | Promise<R>;

/** A callable function's definition (what the loader registers). */
export interface FunctionDefinition<A = unknown, R = unknown> {
  readonly [FUNCTION_DEF]: true;
  kind: FunctionKind;
  handler: (ctx: FunctionContext, args: A) => R | Promise<R>;
  /** The JSON schema of the args (TypeBox), validated before the handler runs. */
  args?: TSchema;
  /** Runs in the QuickJS sandbox (docs/functions.md "Isolation"). */
  isolated?: boolean;
  method?: string;
  path?: string;
  collection?: string;
  event?: string;
  /** A job's retry, backoff, timeout, concurrency and transaction options. */
  job?: JobDefinitionOptions;
  /** A cron's schedule. */
  schedule?: CronSchedule;
}

/** `job({...})`'s options: the queue's, and whether the run is one transaction. */
export interface JobDefinitionOptions extends JobOptions {
  /**
   * Runs the handler in one transaction (like a mutation: `ctx.records` writes through it)
   * that also marks the job completed, so its writes happen exactly once even when the
   * job runs again after a crash. Without it the job runs like an action.
   */
  transaction?: boolean;
}

/** When a cron runs: a cron expression, in a time zone (default config `cron_timezone`). */
export interface CronSchedule {
  expression: string;
  timezone?: string;
}

interface Options<S extends TSchema | undefined, A, R> {
  args?: S;
  handler: Handler<S extends TSchema ? Static<S> : A, R>;
  isolated?: boolean;
}

function define(kind: FunctionKind, input: unknown, extra: Record<string, unknown> = {}): never {
  const opts = (typeof input === 'function' ? { handler: input } : input) as Record<string, unknown>;
  if (!opts || typeof opts.handler !== 'function')
    throw new TypeError(`${kind}(): expected a handler function or { handler, args? }`);
  return {
    [FUNCTION_DEF]: true,
    kind,
    handler: opts.handler,
    ...(opts.args !== undefined ? { args: opts.args } : {}),
    ...(opts.isolated ? { isolated: true } : {}),
    ...extra,
  } as never;
}

type Definer = {
  <A = Record<string, never>, R = unknown>(handler: Handler<A, R>): FunctionDefinition<A, R>;
  <S extends TSchema | undefined = undefined, A = unknown, R = unknown>(
    opts: Options<S, A, R>,
  ): FunctionDefinition<S extends TSchema ? Static<S> : A, R>;
};

/** A read: the caller's rules apply and writes throw. `POST /api/functions/{module}/{export}`. */
export const query: Definer = (input: unknown) => define('query', input);

/** Writes in one transaction (retried on a write conflict); a throw rolls all of it back. */
export const mutation: Definer = (input: unknown) => define('mutation', input);

/** Side effects (fetch, mail), no transaction; may `ctx.run` queries and mutations. */
export const action: Definer = (input: unknown) => define('action', input);

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * A route of its own beside the built-in API: `route('GET', '/hello/{name}', (ctx, req) => …)`.
 * The handler answers a JSON value (status 200), or a web `Response` for another status,
 * headers or a body that is not JSON.
 */
export function route<R>(
  method: string,
  path: string,
  input:
    | ((ctx: FunctionContext, req: RouteRequest) => R | Promise<R>)
    | { handler: (ctx: FunctionContext, req: RouteRequest) => R | Promise<R>; isolated?: boolean },
): FunctionDefinition<RouteRequest, R> {
  const m = method.toUpperCase();
  if (!METHODS.includes(m)) throw new TypeError(`route(): method must be one of ${METHODS.join(', ')}`);
  if (!path.startsWith('/')) throw new TypeError(`route(): the path must start with "/" (got ${path})`);
  return define('route', input, { method: m, path });
}

/**
 * A background job, enqueued with `ctx.jobs.enqueue(def, args, opts)`: retried with backoff
 * after a failure (`retries`, `backoff`, `backoffDelay`), bounded by `timeout`, at most
 * `concurrency` at once across the cluster. It runs with the system viewer.
 *
 * @example
 * export const sendWelcome = job({ retries: 5, backoff: 'exponential', concurrency: 4, timeout: '30s' },
 *   async (ctx, { userId }: { userId: string }) => { … });
 */
export function job<A = unknown, R = unknown>(
  options: JobDefinitionOptions,
  handler: Handler<A, R>,
): FunctionDefinition<A, R>;
export function job<A = unknown, R = unknown>(handler: Handler<A, R>): FunctionDefinition<A, R>;
export function job(a: unknown, b?: unknown): FunctionDefinition {
  const handler = typeof a === 'function' ? a : b;
  const options = (typeof a === 'function' ? {} : (a ?? {})) as JobDefinitionOptions;
  if (typeof options !== 'object') throw new TypeError('job(): expected options and a handler');
  return define('job', handler, { job: { ...options } });
}

/**
 * A user cron, listed by `GET /api/crons` as `module/export` and run on demand by `POST
 * /api/crons/{id}`: once per tick across the cluster, in its time zone; a tick missed
 * while every node was down runs once at the next start.
 *
 * @example
 * export const nightly = cron('0 3 * * *', { timezone: 'Europe/Berlin' }, async (ctx) => { … });
 */
export function cron(
  expression: string,
  options: { timezone?: string },
  handler: Handler<Record<string, never>, unknown>,
): FunctionDefinition<Record<string, never>, unknown>;
export function cron(
  expression: string,
  handler: Handler<Record<string, never>, unknown>,
): FunctionDefinition<Record<string, never>, unknown>;
export function cron(expression: string, a: unknown, b?: unknown): FunctionDefinition {
  if (typeof expression !== 'string' || !expression.trim())
    throw new TypeError('cron(): expected a cron expression first');
  const handler = typeof a === 'function' ? a : b;
  const options = (typeof a === 'function' ? {} : (a ?? {})) as { timezone?: string };
  const schedule: CronSchedule = {
    expression: expression.trim(),
    ...(options.timezone ? { timezone: options.timezone } : {}),
  };
  return define('cron', handler, { schedule });
}

/** Record hook events, PocketBase's OnRecord* and the durable after-commit ones. */
export const HOOK_EVENTS = [
  'beforeCreate',
  'beforeUpdate',
  'beforeDelete',
  'afterCreate',
  'afterUpdate',
  'afterDelete',
  'afterCommitCreate',
  'afterCommitUpdate',
  'afterCommitDelete',
  'afterCommit',
  'beforeAuth',
  'afterAuth',
] as const;

export type HookEvent = (typeof HOOK_EVENTS)[number];

/** What a record hook receives beside `ctx`. `record` is the input in before-hooks: change it in place. */
export interface HookPayload {
  collection: string;
  action?: 'create' | 'update' | 'delete';
  id?: string;
  record: Record<string, unknown>;
  previous?: Record<string, unknown>;
  /** afterCommit*: the change's position in the log (use it to make the work idempotent). */
  seq?: number;
  /** beforeAuth/afterAuth: how the record signs in (password, otp, oauth2, totp, passkey). */
  method?: string;
}

/**
 * A record hook: `before*` may change `e.record` or throw to refuse; `after*` run in the
 * write's transaction; `afterCommit*` run once per change from the change log, at least
 * once, after a crash too. `beforeAuth`/`afterAuth` target an auth collection.
 */
export function hook(
  collection: string,
  event: HookEvent,
  input:
    | ((ctx: FunctionContext, e: HookPayload) => unknown)
    | { handler: (ctx: FunctionContext, e: HookPayload) => unknown; isolated?: boolean },
): FunctionDefinition<HookPayload, unknown> {
  if (!(HOOK_EVENTS as readonly string[]).includes(event))
    throw new TypeError(`hook(): unknown event ${event} (one of ${HOOK_EVENTS.join(', ')})`);
  return define('hook', input, { collection, event });
}

/** True for a value one of the helpers above made. */
export function isFunctionDefinition(v: unknown): v is FunctionDefinition {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[FUNCTION_DEF] === true;
}
