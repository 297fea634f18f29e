import { Readable } from 'node:stream';
import { NotFoundError } from '../errors/api-error.ts';
import type { EnqueueOptions } from '../jobs/job-options.ts';
import type { MailMessage } from '../mail/mailer.ts';
import type { Logger } from '../observability/logger.ts';
import { bindFilterParams } from '../query/filter-params.ts';
import type { RecordMethods } from '../records/record-api.ts';
import { exportRecord } from '../records/record-codec.ts';
import { asSystem, type Viewer } from '../rules/viewer.ts';
import type { StorageService } from '../storage/storage-service.ts';
import type {
  CollectionRecords,
  FunctionAuth,
  FunctionContext,
  FunctionDefinition,
  FunctionJobInfo,
  FunctionKind,
  FunctionListParams,
} from './define.ts';

/** A function used a capability its kind does not have (a write in a query, fetch outside actions). */
export class FunctionUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FunctionUsageError';
  }
}

/** Who runs a function and in what: its kind, the caller, the transaction a mutation holds. */
export interface CallScope {
  kind: FunctionKind;
  /** `module/export`, for logs and messages. */
  fn: string;
  viewer: Viewer;
  /** A mutation's (or a hook's) transaction, or a live query's snapshot: records read (and write) through it. */
  tx?: RecordMethods | undefined;
  /** The job being run, in a job's scope. */
  job?: FunctionJobInfo | undefined;
  /**
   * Told of every collection the call's `ctx.records` reads (nested `ctx.run` calls
   * included), with whether the read can reach related collections (an expand or a
   * relation path): a live query function's read set.
   */
  reads?: ((collection: string, related: boolean) => void) | undefined;
}

/** What every ctx is built from (one per function service). */
export interface ContextDeps {
  records: RecordMethods;
  mail: { send(message: MailMessage): Promise<void> };
  storage: StorageService;
  env: Record<string, string>;
  /** `ctx.secrets`: the current snapshot of the user secrets. */
  secrets(): Readonly<Record<string, string>>;
  logger: Logger;
  /** `ctx.run`: calls another function in the caller's scope. */
  run(ref: FunctionDefinition | string, args: unknown, from: CallScope): Promise<unknown>;
  /** `ctx.jobs.enqueue`: in the scope's transaction when it has one. */
  enqueue(
    ref: FunctionDefinition | string,
    args: unknown,
    opts: EnqueueOptions,
    from: CallScope,
  ): Promise<{ id: string; deduplicated: boolean }>;
  /** Adds the current trace's `traceparent` to headers, so a `ctx.fetch` callee joins the trace. */
  inject?: ((headers: Record<string, string>) => Record<string, string>) | undefined;
}

/**
 * The init of a `ctx.fetch` with the trace's headers added (W3C `traceparent`), unless the
 * caller set them itself; unchanged when there is no trace.
 */
function withTraceHeaders(
  input: string | URL | Request,
  init: RequestInit | undefined,
  inject: ContextDeps['inject'],
): RequestInit | undefined {
  const extra = inject?.({});
  if (!extra || Object.keys(extra).length === 0) return init;
  const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
  for (const [k, v] of Object.entries(extra)) if (!headers.has(k)) headers.set(k, v);
  return { ...init, headers };
}

/** The caller as `ctx.auth` shows it (null for anonymous and system calls). */
export function authOf(viewer: Viewer): FunctionAuth | null {
  if (!viewer.auth || !viewer.authId) return null;
  const { collection, record } = viewer.auth;
  return {
    id: viewer.authId,
    collectionId: collection.id,
    collectionName: collection.name,
    superuser: viewer.superuser,
    record: exportRecord(collection, record, viewer),
  };
}

/** The `ctx` a handler receives for one call. */
export function createContext(deps: ContextDeps, scope: CallScope): FunctionContext {
  const base = scope.tx ?? deps.records;
  const { viewer, kind } = scope;
  const readOnly = kind === 'query';
  const refuseWrite = (op: string) => {
    throw new FunctionUsageError(
      `${scope.fn}: a query cannot write (records().${op}); make it a mutation or an action`,
    );
  };
  const log = deps.logger.child({ fn: scope.fn });
  const read = (collection: string, ...texts: (string | undefined)[]) =>
    scope.reads?.(
      collection,
      texts.some((t) => !!t && (t.includes('.') || t.includes('_via_'))),
    );
  const records = (collection: string): CollectionRecords => ({
    list: (params: FunctionListParams = {}) => {
      read(collection, params.expand, params.filter, params.sort);
      return base.list(collection, listParams(params), viewer);
    },
    getOne: (id, opts = {}) => {
      read(collection, opts.expand);
      return base.view(collection, id, viewer, opts);
    },
    async getFirst(filter, params) {
      read(collection, filter);
      const page = await base.list(
        collection,
        { filter: bindFilterParams(filter, params), perPage: 1, skipTotal: true },
        viewer,
      );
      const first = page.items[0];
      if (!first) throw new NotFoundError();
      return first;
    },
    create: (body) => (readOnly ? refuseWrite('create') : base.create(collection, body, viewer)),
    update: (id, body) => (readOnly ? refuseWrite('update') : base.update(collection, id, body, viewer)),
    delete: (id) => (readOnly ? refuseWrite('delete') : base.delete(collection, id, viewer)),
  });
  let system: FunctionContext | undefined;
  const ctx: FunctionContext = {
    auth: authOf(viewer),
    records,
    asSystem: () => {
      system ??= viewer.system ? ctx : createContext(deps, { ...scope, viewer: asSystem() });
      return system;
    },
    run: (ref, args) => deps.run(ref as FunctionDefinition | string, args, scope) as never,
    env: deps.env,
    secrets: deps.secrets(),
    log: {
      info: (message, data) => log.info(data ?? {}, message),
      warn: (message, data) => log.warn(data ?? {}, message),
      error: (message, data) => log.error(data ?? {}, message),
    },
    fetch: ((input: string | URL | Request, init?: RequestInit) => {
      if (kind !== 'action')
        throw new FunctionUsageError(
          `${scope.fn}: ctx.fetch is for actions only (queries and mutations may run again on a conflict)`,
        );
      return fetch(input, withTraceHeaders(input, init, deps.inject));
    }) as typeof fetch,
    mail: {
      send: (message) => {
        if (readOnly) refuseWrite('mail.send');
        return deps.mail.send(message);
      },
    },
    storage: {
      async upload(bucket, name, body, opts = {}) {
        if (readOnly) refuseWrite('storage.upload');
        const row = await deps.storage.upload(bucket, name, Readable.from([Buffer.from(body)]), {
          contentType: opts.contentType,
          upsert: opts.upsert ?? false,
          viewer,
        });
        return { ...row };
      },
      list: (bucket, opts = {}) => deps.storage.list(bucket, opts, viewer),
      async remove(bucket, names) {
        if (readOnly) refuseWrite('storage.remove');
        await deps.storage.remove(bucket, names, viewer);
      },
      signDownload: (bucket, name, expiresIn) => deps.storage.signDownload(bucket, name, expiresIn, viewer),
    },
    jobs: {
      enqueue: (ref, args, opts = {}) => {
        if (readOnly) refuseWrite('jobs.enqueue');
        return deps.enqueue(ref as FunctionDefinition | string, args ?? null, opts, scope);
      },
    },
    ...(scope.job ? { job: scope.job } : {}),
  };
  return ctx;
}

function listParams(p: FunctionListParams) {
  return {
    ...(p.page !== undefined ? { page: p.page } : {}),
    ...(p.perPage !== undefined ? { perPage: p.perPage } : {}),
    ...(p.sort !== undefined ? { sort: p.sort } : {}),
    ...(p.filter !== undefined ? { filter: bindFilterParams(p.filter, p.params) } : {}),
    ...(p.skipTotal !== undefined ? { skipTotal: p.skipTotal } : {}),
    ...(p.expand !== undefined ? { expand: p.expand } : {}),
  };
}
