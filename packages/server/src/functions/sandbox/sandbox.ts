import { ApiError, type ErrorData } from '../../errors/api-error.ts';
import { type SandboxWorker, sandboxWorker, type WorkerFailure } from './sandbox-worker.ts';
import type { HostCall, VmLimits } from './vm.ts';

export { stopSandboxWorker } from './sandbox-worker.ts';

/**
 * Isolated functions (docs/functions.md "Isolated functions"): a module of untrusted code
 * runs in QuickJS compiled to WebAssembly, with a CPU-time and a memory limit, and reaches
 * the server only through the `ctx` capabilities, each one a call of the host's bridge.
 *
 * Design: the VMs run in one worker thread (sandbox/worker.ts, started on first use), so a
 * busy loop stalls that thread until its CPU limit and never the server's event loop. A VM
 * is one QuickJS runtime + context (its own memory limit and CPU meter) with the prelude and
 * the module evaluated, from sources read and type-stripped once at load. Booting one costs
 * a few ms (QuickJS parses slowly), so VMs are pooled per module (sandbox/vm-pool.ts): a
 * call takes an idle VM or boots one, so concurrent calls never share a VM, and gives it
 * back when it ended cleanly. A VM that failed (a limit, an uncatchable error) or still has
 * a bridge call out is disposed, never reused. Every intrinsic and the global object are
 * frozen before user code runs, so one call cannot change what the next one sees, except
 * through the module's own top-level variables (as in-process modules, and as serverless
 * instances kept warm). The VM booted at load to list the exports serves the first call.
 */

export interface SandboxLimits {
  memoryBytes: number;
  cpuMs: number;
}

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = { memoryBytes: 32 * 1024 * 1024, cpuMs: 1000 };

/** The bridge methods a sandbox may call; functions/ answers them (docs/internals.md). */
const CAPABILITY =
  /^(?:(?:system\.)?records\.(?:list|getOne|getFirst|create|update|delete)|run|log\.(?:info|warn|error)|fetch|mail\.send)$/;

/** QuickJS's own stack limit: deep recursion fails cleanly long before the WASM stack does. */
const STACK_BYTES = 256 * 1024;

/** One call from sandboxed code to the host: JSON-serialisable args and result. */
export type SandboxBridge = (method: string, args: unknown[]) => Promise<unknown>;

export interface IsolatedExport {
  name: string;
  kind: 'query' | 'mutation' | 'action' | 'route' | 'hook';
  args?: unknown /* JSON schema */;
  method?: string;
  path?: string;
  collection?: string;
  event?: string;
}

export interface IsolatedInput {
  args: unknown;
  auth: unknown;
  env: Record<string, string>;
  request?: unknown;
}

export interface IsolatedModule {
  exports: IsolatedExport[];
  /**
   * Runs one export's handler as `handler(ctx, args)` (a route's: `handler(ctx, request)`);
   * resolves with its JSON result. A hook resolves with its payload as the handler left it
   * (before-hooks change `e.record` in place). A thrown error with a numeric `status` comes
   * back as ApiError; anything else as a plain Error (a 500) whose stack is the sandbox's.
   * A limit hit rejects with SandboxLimitError.
   */
  invoke(
    name: string,
    input: IsolatedInput,
    bridge: SandboxBridge,
    limits?: Partial<SandboxLimits>,
  ): Promise<unknown>;
  dispose(): void;
}

/** An invocation stopped at a limit; `limit` says which. */
export class SandboxLimitError extends Error {
  readonly limit: 'cpu' | 'memory';
  constructor(limit: 'cpu' | 'memory', message: string) {
    super(message);
    this.name = 'SandboxLimitError';
    this.limit = limit;
  }
}

/**
 * Loads a module file of `root` into QuickJS: TypeScript types are stripped, the module is
 * evaluated, and its definition exports are listed. It may import only
 * `@forgebase/server/functions` and relative files inside `root`. A syntax error or a throw
 * at the top level rejects with the file:line in the message.
 */
export async function loadIsolatedModule(
  file: string,
  opts: { root: string; limits?: Partial<SandboxLimits> },
): Promise<IsolatedModule> {
  const base = { ...DEFAULT_SANDBOX_LIMITS, ...opts.limits };
  const limitsOf = (l?: Partial<SandboxLimits>): VmLimits => ({ ...base, ...l, stackBytes: STACK_BYTES });
  const load = async (worker: SandboxWorker) => {
    try {
      return await worker.load(file, opts.root, limitsOf());
    } catch (e) {
      throw loadError(e, file, limitsOf());
    }
  };
  let worker = await sandboxWorker();
  let loaded = await load(worker);
  const exports = JSON.parse(loaded.exports) as IsolatedExport[];
  let disposed = false;
  let reloading: Promise<void> | undefined;
  /** The worker stopped (and took the VMs with it) since the load: load again, once. */
  const ensureLoaded = async () => {
    const current = await sandboxWorker();
    if (current === worker) return;
    reloading ??= load(current)
      .then((l) => {
        worker = current;
        loaded = l;
      })
      .finally(() => {
        reloading = undefined;
      });
    await reloading;
  };

  return {
    exports,
    async invoke(name, input, bridge, limits) {
      if (disposed) throw new Error(`isolated module ${loaded.moduleName} was disposed`);
      await ensureLoaded();
      const hostErrors: unknown[] = [];
      const callName = `${loaded.moduleName}/${name}`;
      const callLimits = limitsOf(limits);
      let envelope: string;
      try {
        envelope = await worker.invoke(
          loaded.id,
          name,
          JSON.stringify(input),
          callLimits,
          hostCallOf(bridge, hostErrors),
        );
      } catch (e) {
        throw isWorkerFailure(e) ? failureError(e, callName, callLimits) : e;
      }
      return decode(envelope, callName, hostErrors);
    },
    dispose() {
      disposed = true;
      worker.unload(loaded.id);
    },
  };
}

/** The host side of `hostCall`: checks the method, calls the bridge, answers an envelope. */
function hostCallOf(bridge: SandboxBridge, hostErrors: unknown[]): HostCall {
  return async (method, argsJson) => {
    try {
      if (!CAPABILITY.test(method)) throw new ApiError(400, `unknown capability "${method}"`);
      const args = JSON.parse(argsJson) as unknown;
      if (!Array.isArray(args)) throw new ApiError(400, `${method}: the arguments must be an array`);
      const value = await bridge(method, args);
      return JSON.stringify({ ok: true, value: value ?? null });
    } catch (e) {
      if (e instanceof ApiError) return JSON.stringify({ ok: false, error: e.toJSON() });
      hostErrors.push(e); // kept for the log; the sandbox learns only that the call failed
      return JSON.stringify({ ok: false, error: { message: `${method} failed` } });
    }
  };
}

interface Envelope {
  ok: boolean;
  value?: unknown;
  error?: { status?: unknown; message?: string; data?: unknown; stack?: string; name?: string };
}

/** The call's result, or its error as the host's: ApiError, SandboxLimitError or a plain Error. */
function decode(text: string, callName: string, hostErrors: unknown[]): unknown {
  const r = JSON.parse(text) as Envelope;
  if (r.ok) return r.value;
  const e = r.error ?? {};
  const message = typeof e.message === 'string' ? e.message : 'error';
  if (typeof e.status === 'number' && Number.isInteger(e.status) && e.status >= 400 && e.status <= 599) {
    const data = e.data && typeof e.data === 'object' ? (e.data as ErrorData) : {};
    throw new ApiError(e.status, message, data);
  }
  if (e.name === 'InternalError' && /^stack overflow/.test(message))
    throw new SandboxLimitError(
      'memory',
      `isolated function ${callName} exceeded its stack size limit (deep recursion)`,
    );
  if (e.name === 'InternalError' && /^out of memory/.test(message))
    throw new SandboxLimitError('memory', `isolated function ${callName} ran out of memory`);
  const err = new Error(`isolated function ${callName} threw: ${message}`, { cause: hostErrors.at(-1) });
  err.stack = `${err.message}\n${e.stack ?? ''}`.trimEnd();
  throw err;
}

const isWorkerFailure = (e: unknown): e is WorkerFailure =>
  typeof e === 'object' && e !== null && 'vmError' in e && !(e instanceof Error);

function failureError(e: WorkerFailure, callName: string, limits: VmLimits): Error {
  if (e.limit === 'cpu')
    return new SandboxLimitError(
      'cpu',
      `isolated function ${callName} exceeded its CPU time limit of ${limits.cpuMs} ms`,
    );
  if (e.limit === 'memory')
    return new SandboxLimitError(
      'memory',
      `isolated function ${callName} exceeded its memory limit of ${(limits.memoryBytes / 1048576).toFixed(0)} MiB`,
    );
  if (e.limit === 'stack')
    return new SandboxLimitError(
      'memory',
      `isolated function ${callName} exceeded its stack size limit (deep recursion)`,
    );
  const err = new Error(`isolated function ${callName} failed: ${e.vmError.message}`);
  err.stack = `${err.message}\n${e.vmError.stack ?? ''}`.trimEnd();
  return err;
}

function loadError(e: unknown, file: string, limits: VmLimits): Error {
  if (!isWorkerFailure(e)) return e instanceof Error ? e : new Error(String(e));
  if (e.limit) return failureError(e, `${file} (top level)`, limits);
  const where = e.vmError.stack
    ?.split('\n')
    .find((l) => /^\s*at /.test(l))
    ?.trim();
  const err = new Error(
    `cannot load isolated module ${file}: ${e.vmError.name ? `${e.vmError.name}: ` : ''}${e.vmError.message}${where ? ` (${where})` : ''}`,
  );
  err.stack = `${err.message}\n${e.vmError.stack ?? ''}`.trimEnd();
  return err;
}
