import { pathToFileURL } from 'node:url';
import type { ChangeLog } from '../changes/change-log.ts';
import type { CronRegistry } from '../crons/cron-registry.ts';
import { DbError } from '../db/database.ts';
import { errors } from '../errors/codes.ts';
import type { EnqueueOptions } from '../jobs/job-options.ts';
import type { JobQueue } from '../jobs/job-queue.ts';
import type { MailMessage } from '../mail/mailer.ts';
import type { Logger } from '../observability/logger.ts';
import type { Tracing } from '../observability/tracing-types.ts';
import type { RecordMethods } from '../records/record-api.ts';
import type { RecordService, RecordTx } from '../records/record-service.ts';
import type { Viewer } from '../rules/viewer.ts';
import type { CollectionService } from '../schema/collection-service.ts';
import type { StorageService } from '../storage/storage-service.ts';
import { type CallScope, createContext, FunctionUsageError } from './context.ts';
import {
  type FunctionContext,
  type FunctionDefinition,
  isFunctionDefinition,
  type RouteRequest,
} from './define.ts';
import { bindHooks, type HookBindings } from './hook-bindings.ts';
import { hostError, loadSandbox, sandboxBridge } from './isolated.ts';
import { bindJobs, jobName } from './job-bindings.ts';
import {
  type FunctionEntry,
  type LoadedModule,
  type LoadProblem,
  loadModule,
  moduleFiles,
  problemText,
} from './loader.ts';
import { serveFunctionsRoot } from './module-hooks.ts';
import { watchFunctions } from './watch.ts';

export { FunctionUsageError } from './context.ts';

/** What the function service is built from (wired in app.ts). */
export interface FunctionServiceDeps {
  /** The functions dir (config `functions_dir`). */
  dir: string;
  /** `ctx.env`. */
  env: Record<string, string>;
  /** `ctx.secrets`: the user secrets in clear, and how to hear of a change (secrets/user-secrets.ts). */
  secrets?: {
    values(): Promise<Record<string, string>>;
    onChange(listener: () => Promise<void>): () => void;
  };
  records: RecordService;
  collections: Pick<CollectionService, 'find'>;
  changes: ChangeLog;
  mail: { send(message: MailMessage): Promise<void> };
  storage: StorageService;
  logger: Logger;
  /** Reload changed files (`serve --dev`). */
  watch?: boolean;
  /** Checks a value against an args schema; throws the 400 with per-field errors. */
  checkArgs(schema: unknown, value: unknown): void | Promise<void>;
  /** A span per call (`function module/export`), and the trace's headers on `ctx.fetch`. */
  tracing?: Pick<Tracing, 'enabled' | 'span' | 'inject'>;
  /** The job queue (`job` exports, `ctx.jobs`) and the cron registry (`cron` exports). */
  jobs: JobQueue;
  crons: CronRegistry;
}

/** One export as `GET /api/functions` and `forgebase functions list` show it. */
export interface FunctionInfo {
  module: string;
  name: string;
  kind: string;
  isolated: boolean;
  args?: unknown;
  method?: string;
  path?: string;
  collection?: string;
  event?: string;
}

/** A user route, as the HTTP server registers it at start. */
export interface UserRoute {
  method: string;
  /** As written: `/hello/{name}`. */
  path: string;
  /** `module/export`, for messages. */
  fn: string;
}

/** Tries a mutation this often when PostgreSQL reports a write conflict (serialization failure, deadlock). */
const MUTATION_ATTEMPTS = 5;

const CALLABLE = new Set(['query', 'mutation', 'action']);

/** How often `ctx.secrets` is re-read (changes made elsewhere than this node's process). */
const SECRETS_REFRESH_MS = 5000;

export type FunctionService = ReturnType<typeof createFunctionService>;

/**
 * The project's server functions: loads `functions_dir` (module = relative path without the
 * extension), keeps the registry, runs queries/mutations/actions with a `ctx` for the
 * caller, binds hooks to the record service, and reloads changed files (`serve --dev`)
 * keeping the previous version of any file that fails. Isolated exports run in the sandbox.
 */
export function createFunctionService(deps: FunctionServiceDeps) {
  const { dir, records, logger } = deps;
  const rootUrl = `${pathToFileURL(dir).href}/`;
  const unserve = serveFunctionsRoot(rootUrl);
  let modules = new Map<string, LoadedModule>();
  let version = 0;
  let reloading: Promise<LoadProblem[]> | undefined;
  let reloadAgain = false;
  let hooks: HookBindings | undefined;
  let unwatch: (() => void) | undefined;
  const reloadListeners = new Set<(problems: LoadProblem[]) => void>();

  const entry = (module: string, name: string): FunctionEntry | undefined =>
    modules.get(module)?.entries.find((e) => e.name === name);
  const find = (ref: FunctionDefinition | string): FunctionEntry | undefined => {
    if (typeof ref === 'string') {
      const at = ref.lastIndexOf('/');
      return at > 0 ? entry(ref.slice(0, at), ref.slice(at + 1)) : undefined;
    }
    // a definition imported from another module is that module's export of the same load
    for (const m of modules.values()) for (const e of m.entries) if (e.def === ref) return e;
    return undefined;
  };

  // ctx.secrets is read synchronously: a snapshot, re-read on a local change and every few
  // seconds (a `forgebase secrets set` from another process, another node)
  let secrets: Readonly<Record<string, string>> = Object.freeze({});
  const refreshSecrets = async () => {
    if (!deps.secrets) return;
    try {
      secrets = Object.freeze(await deps.secrets.values());
    } catch (err) {
      logger.error({ err }, 'reading the user secrets failed; functions keep the previous ones');
    }
  };
  let secretsTimer: NodeJS.Timeout | undefined;
  let unhearSecrets: (() => void) | undefined;

  const contextDeps = {
    records,
    mail: deps.mail,
    storage: deps.storage,
    env: deps.env,
    secrets: () => secrets,
    logger,
    inject: deps.tracing?.enabled ? deps.tracing.inject : undefined,
    run: (ref: FunctionDefinition | string, args: unknown, from: CallScope) => {
      const target = find(ref);
      if (!target || !CALLABLE.has(target.kind)) {
        const name =
          typeof ref === 'string' ? ref : isFunctionDefinition(ref) ? `a ${ref.kind}` : String(ref);
        throw new FunctionUsageError(
          `${from.fn}: ctx.run: ${name} is not a registered query, mutation or action`,
        );
      }
      return execute(target, args ?? {}, from.viewer, from);
    },
    enqueue: (ref: FunctionDefinition | string, args: unknown, opts: EnqueueOptions, from: CallScope) => {
      const target = find(ref);
      if (target?.kind !== 'job') {
        const name =
          typeof ref === 'string' ? ref : isFunctionDefinition(ref) ? `a ${ref.kind}` : String(ref);
        throw new FunctionUsageError(`${from.fn}: ctx.jobs.enqueue: ${name} is not a registered job`);
      }
      // inside a mutation or an after-hook the job commits (or rolls back) with its write
      const tx = from.tx && 'tx' in from.tx ? (from.tx as RecordTx).tx : undefined;
      return deps.jobs.enqueue(jobName(target), args, opts, tx);
    },
  };
  const contextFor = (scope: CallScope): FunctionContext => createContext(contextDeps, scope);
  const jobBindings = bindJobs({
    jobs: deps.jobs,
    crons: deps.crons,
    records,
    run: (e, args, scope) => invoke(e, contextFor(scope), args),
  });

  /** Runs one export's handler, in a span of its own when tracing is on. */
  function invoke(
    e: FunctionEntry,
    ctx: FunctionContext,
    input: unknown,
    request?: unknown,
  ): Promise<unknown> {
    const tracing = deps.tracing;
    if (!tracing?.enabled) return run(e, ctx, input, request);
    // a job or cron run is a span of its own kind (a root span: no request runs it)
    const kind = e.kind === 'job' || e.kind === 'cron' ? e.kind : 'function';
    return tracing.span(`${kind} ${e.module}/${e.name}`, () => run(e, ctx, input, request), {
      'forgebase.function': `${e.module}/${e.name}`,
      'forgebase.function.kind': e.kind,
      'forgebase.function.isolated': e.isolated,
    });
  }

  /** Runs one export's handler: in-process, or in the sandbox for an isolated one. */
  async function run(e: FunctionEntry, ctx: FunctionContext, input: unknown, request?: unknown) {
    if (!e.isolated) return e.def!.handler(ctx, input);
    const sandboxed = modules.get(e.module)?.sandboxed;
    if (!sandboxed) throw new Error(`${e.module}/${e.name}: its sandbox is not loaded`);
    try {
      const result = await sandboxed.invoke(
        e.name,
        { args: input, auth: ctx.auth, env: deps.env, ...(request !== undefined ? { request } : {}) },
        sandboxBridge(ctx),
      );
      // a hook answers its payload as the handler left it: a before-hook's changes come back
      if (e.kind === 'hook' && result && typeof result === 'object' && 'record' in result)
        (input as { record: unknown }).record = (result as { record: unknown }).record;
      return result;
    } catch (err) {
      throw hostError(err);
    }
  }

  async function execute(
    e: FunctionEntry,
    args: unknown,
    viewer: Viewer,
    outer?: CallScope,
  ): Promise<unknown> {
    if (e.args !== undefined) await deps.checkArgs(e.args, args);
    const fn = `${e.module}/${e.name}`;
    if (e.kind === 'query')
      return invoke(e, contextFor({ kind: 'query', fn, viewer, tx: outer?.tx, reads: outer?.reads }), args);
    if (e.kind === 'action') {
      if (outer && outer.kind !== 'action')
        throw new FunctionUsageError(`${outer.fn}: a ${outer.kind} cannot run an action (${fn})`);
      return invoke(e, contextFor({ kind: 'action', fn, viewer }), args);
    }
    if (outer?.kind === 'query')
      throw new FunctionUsageError(`${outer.fn}: a query cannot run a mutation (${fn})`);
    // inside a mutation (or a hook's transaction) it joins that transaction
    if (outer?.tx) return invoke(e, contextFor({ kind: 'mutation', fn, viewer, tx: outer.tx }), args);
    for (let attempt = 1; ; attempt++) {
      try {
        return await records.inTransaction((tx) =>
          invoke(e, contextFor({ kind: 'mutation', fn, viewer, tx }), args),
        );
      } catch (err) {
        // a write conflict (PostgreSQL's serialization failure or deadlock) rolled it all back: run it again
        if (!(err instanceof DbError && err.code === 'busy') || attempt >= MUTATION_ATTEMPTS) throw err;
        logger.debug({ fn, attempt }, 'mutation retried after a write conflict');
        await new Promise((r) => setTimeout(r, Math.random() * 10 * 2 ** attempt));
      }
    }
  }

  /** Loads every file; `keep` holds the modules to fall back on when a file fails (a reload). */
  async function loadAll(
    keep?: Map<string, LoadedModule>,
  ): Promise<{ next: Map<string, LoadedModule>; problems: LoadProblem[] }> {
    version += 1;
    const next = new Map<string, LoadedModule>();
    const problems: LoadProblem[] = [];
    for (const file of moduleFiles(dir)) {
      try {
        const m = await loadModule(dir, file, version, loadSandbox);
        next.set(m.name, m);
      } catch (p) {
        problems.push(p as LoadProblem);
        const old = keep && [...keep.values()].find((m) => m.file === (p as LoadProblem).file);
        if (old) next.set(old.name, old);
      }
    }
    return { next, problems };
  }

  async function swap(next: Map<string, LoadedModule>): Promise<void> {
    const previous = modules;
    modules = next;
    const kept = new Set(next.values());
    for (const m of previous.values()) if (!kept.has(m)) m.sandboxed?.dispose();
    try {
      jobBindings.update(allEntries());
    } catch (err) {
      logger.error({ err }, 'function jobs and crons: rebinding failed');
    }
    await hooks
      ?.update(allEntries())
      .catch((err: unknown) => logger.error({ err }, 'function hooks: rebinding failed'));
  }

  const allEntries = (): FunctionEntry[] => [...modules.values()].flatMap((m) => m.entries);

  const service = {
    dir,

    /** Loads the functions dir at start: a file that fails stops the start with its file:line. */
    async load(): Promise<void> {
      const { next, problems } = await loadAll();
      if (problems.length) {
        for (const m of next.values()) m.sandboxed?.dispose();
        unserve();
        throw new Error(`functions failed to load:\n${problems.map(problemText).join('\n')}`, {
          cause: problems[0]!.error,
        });
      }
      modules = next;
      checkRoutes();
      try {
        jobBindings.update(allEntries());
      } catch (err) {
        jobBindings.stop();
        unserve();
        throw err;
      }
    },

    /**
     * Loads the dir again (a file changed): each file that fails keeps its previous version
     * and its problem is logged (file:line). Requests keep being served by the old
     * registry until the new one is swapped in whole. Concurrent calls coalesce.
     */
    reload(): Promise<LoadProblem[]> {
      if (reloading) {
        reloadAgain = true;
        return reloading;
      }
      reloading = (async () => {
        let problems: LoadProblem[] = [];
        do {
          reloadAgain = false;
          const started = performance.now();
          const loaded = await loadAll(modules);
          problems = loaded.problems;
          await swap(loaded.next);
          for (const p of problems)
            logger.error({ file: p.file, line: p.line }, `function reload failed: ${problemText(p)}`);
          logger.info(
            { ms: Math.round(performance.now() - started), modules: modules.size },
            'functions reloaded',
          );
          for (const l of reloadListeners) l(problems);
        } while (reloadAgain);
        return problems;
      })().finally(() => {
        reloading = undefined;
      });
      return reloading;
    },

    /** Told after each reload, with the files that failed (their previous version kept). */
    onReload(listener: (problems: LoadProblem[]) => void): () => void {
      reloadListeners.add(listener);
      return () => reloadListeners.delete(listener);
    },

    /** Every export, in module order. */
    list(): FunctionInfo[] {
      return allEntries().map((e) => ({
        module: e.module,
        name: e.name,
        kind: e.kind,
        isolated: e.isolated,
        ...(e.args !== undefined ? { args: e.args } : {}),
        ...(e.method ? { method: e.method, path: e.path } : {}),
        ...(e.collection ? { collection: e.collection, event: e.event } : {}),
      }));
    },

    /** `POST /api/functions/{module}/{export}`: a query, mutation or action, as `viewer`. */
    async call(module: string, name: string, args: unknown, viewer: Viewer): Promise<unknown> {
      const e = entry(module, name);
      if (!e || !CALLABLE.has(e.kind)) throw errors.notFound('The function was not found.');
      return (await execute(e, args, viewer)) ?? null;
    },

    /**
     * Runs a query function for a live query (`module/export`), as `viewer`, telling
     * `reads` of every collection its `ctx.records` read; it reads through `via` (one
     * snapshot). Only queries: anything else is a 400.
     */
    async liveQuery(
      ref: string,
      args: unknown,
      viewer: Viewer,
      reads: (collection: string, related: boolean) => void,
      via?: RecordMethods,
    ): Promise<unknown> {
      const e = find(ref);
      if (!e || !CALLABLE.has(e.kind)) throw errors.notFound('The function was not found.');
      if (e.kind !== 'query') throw errors.badRequest('Only query functions can be live.');
      if (e.args !== undefined) await deps.checkArgs(e.args, args);
      const scope = { kind: 'query' as const, fn: ref, viewer, reads, tx: via };
      return (await invoke(e, contextFor(scope), args)) ?? null;
    },

    /** The user routes of the loaded files (registered once, at start). */
    routes(): UserRoute[] {
      return allEntries()
        .filter((e) => e.kind === 'route')
        .map((e) => ({ method: e.method!, path: e.path!, fn: `${e.module}/${e.name}` }));
    },

    /** Serves a user route with the current version of its handler (a 404 once it is gone). */
    async route(method: string, path: string, req: RouteRequest, viewer: Viewer): Promise<unknown> {
      const e = allEntries().find((x) => x.kind === 'route' && x.method === method && x.path === path);
      if (!e) throw errors.notFound();
      const fn = `${e.module}/${e.name}`;
      return invoke(e, contextFor({ kind: 'action', fn, viewer }), req, req);
    },

    /** Binds the hooks of the loaded files (record hooks, durable after-commit consumers, auth hooks). */
    async start(): Promise<void> {
      await refreshSecrets();
      unhearSecrets = deps.secrets?.onChange(refreshSecrets);
      secretsTimer = setInterval(() => void refreshSecrets(), SECRETS_REFRESH_MS);
      secretsTimer.unref();
      hooks = bindHooks({
        records,
        collections: deps.collections,
        changes: deps.changes,
        logger,
        run: (e, payload, scope) => invoke(e, contextFor(scope), payload),
      });
      await hooks.update(allEntries());
      if (deps.watch) unwatch = watchFunctions(dir, () => void service.reload());
    },

    async stop(): Promise<void> {
      clearInterval(secretsTimer);
      unhearSecrets?.();
      unwatch?.();
      await hooks?.stop();
      hooks = undefined;
      jobBindings.stop();
      await reloading;
      for (const m of modules.values()) m.sandboxed?.dispose();
      unserve();
    },

    /** Runs the beforeAuth/afterAuth hooks (app.ts adds this as a sign-in hook of the auth service). */
    authHook: (
      event: 'beforeAuth' | 'afterAuth',
      collection: string,
      record: Record<string, unknown>,
      method: string,
      viewer: Viewer,
    ): Promise<void> => hooks?.auth(event, collection, record, method, viewer) ?? Promise.resolve(),
  };
  return service;

  /** Two routes of the loaded files on one method and path refuse the start. */
  function checkRoutes(): void {
    const seen = new Map<string, string>();
    for (const e of allEntries()) {
      if (e.kind !== 'route') continue;
      const key = `${e.method} ${e.path!.replace(/\{[^}]*\}/g, '{}')}`;
      const other = seen.get(key);
      if (other)
        throw new Error(
          `functions: route ${e.method} ${e.path} of ${e.module}/${e.name} is also defined by ${other}`,
        );
      seen.set(key, `${e.module}/${e.name}`);
    }
  }
}
