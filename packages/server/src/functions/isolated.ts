import { ApiError } from '../errors/api-error.ts';
import { errors } from '../errors/codes.ts';
import type { FunctionContext, FunctionDefinition, FunctionKind } from './define.ts';

// The sandbox's interface (helper `sandbox` implements src/functions/sandbox/sandbox.ts; the
// shapes are pinned, repeated here so this side type-checks before that file exists)

export interface SandboxLimits {
  memoryBytes: number;
  cpuMs: number;
}
export type SandboxBridge = (method: string, args: unknown[]) => Promise<unknown>;
export interface IsolatedExport {
  name: string;
  kind: FunctionKind;
  args?: unknown;
  method?: string;
  path?: string;
  collection?: string;
  event?: string;
}
export interface IsolatedModule {
  exports: IsolatedExport[];
  invoke(
    name: string,
    input: { args: unknown; auth: unknown; env: Record<string, string>; request?: unknown },
    bridge: SandboxBridge,
    limits?: Partial<SandboxLimits>,
  ): Promise<unknown>;
  dispose(): void;
}
export interface IsolatedSandbox {
  loadIsolatedModule(
    file: string,
    opts: { root: string; limits?: Partial<SandboxLimits> },
  ): Promise<IsolatedModule>;
}

// a variable, not a literal: the sandbox lands separately, and nothing loads it (QuickJS's
// WebAssembly) until a module needs it
const SANDBOX_MODULE = './sandbox/sandbox.ts';
let loading: Promise<IsolatedSandbox> | undefined;

/** The sandbox, loaded on first use (an app without isolated functions never loads it). */
export function loadSandbox(): Promise<IsolatedSandbox> {
  loading ??= import(new URL(SANDBOX_MODULE, import.meta.url).href) as Promise<IsolatedSandbox>;
  return loading;
}

const RECORD_OPS = ['list', 'getOne', 'getFirst', 'create', 'update', 'delete'] as const;

/**
 * The host side of the sandbox's `ctx`: each call names a capability of the caller's ctx
 * (pinned method names: `records.<op>`, `system.records.<op>`, `run`, `log.*`, `fetch`,
 * `mail.send`), with JSON arguments and a JSON answer.
 */
export function sandboxBridge(ctx: FunctionContext): SandboxBridge {
  return async (method, args) => {
    const [head, ...rest] = method.split('.');
    if (head === 'records' || (head === 'system' && rest[0] === 'records')) {
      const op = (head === 'system' ? rest[1] : rest[0]) as (typeof RECORD_OPS)[number];
      if (!RECORD_OPS.includes(op)) throw new Error(`unknown sandbox call ${method}`);
      const [collection, ...opArgs] = args as [string, ...unknown[]];
      const target = (head === 'system' ? ctx.asSystem() : ctx).records(String(collection));
      return (target[op] as (...a: unknown[]) => Promise<unknown>)(...opArgs);
    }
    if (method === 'run') return ctx.run(String(args[0]) as string | FunctionDefinition, args[1]);
    if (head === 'log' && (rest[0] === 'info' || rest[0] === 'warn' || rest[0] === 'error')) {
      ctx.log[rest[0]](String(args[0]), (args[1] ?? undefined) as Record<string, unknown> | undefined);
      return null;
    }
    if (method === 'fetch') {
      const res = await ctx.fetch(String(args[0]), (args[1] ?? {}) as RequestInit);
      return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
    }
    if (method === 'mail.send') {
      await ctx.mail.send(args[0] as { to: string; subject: string; html: string });
      return null;
    }
    throw new Error(`unknown sandbox call ${method}`);
  };
}

/** An error the sandbox passed back: `{status, message, data}` keeps its status as an ApiError. */
export function hostError(e: unknown): unknown {
  if (e instanceof ApiError) return e;
  // the function's own doing, not the client's: a 500 that says which limit it hit
  if (e instanceof Error && e.name === 'SandboxLimitError') {
    const limit = (e as { limit?: string }).limit === 'memory' ? 'memory' : 'CPU time';
    return errors.withStatus(500, `The function exceeded its ${limit} limit.`);
  }
  const o = e as { status?: unknown; message?: unknown; data?: unknown };
  if (o && typeof o === 'object' && typeof o.status === 'number' && o.status >= 400 && o.status < 600)
    return errors.withStatus(o.status, String(o.message ?? 'Error.'), (o.data ?? {}) as never);
  return e;
}
