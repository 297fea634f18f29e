import type { QuickJSContext, QuickJSHandle, QuickJSRuntime, QuickJSWASMModule } from 'quickjs-emscripten';
import type { ModuleSources } from './module-sources.ts';
import { PRELUDE_SOURCE } from './prelude.ts';

const REFUSED = 'forgebase:refused:';

/** VM time between two measures of the heap (see Vm.#overLimit). */
const MEMORY_CHECK_MS = 2;

/** The limits of one VM (sandbox.ts SandboxLimits plus QuickJS's stack size). */
export interface VmLimits {
  memoryBytes: number;
  cpuMs: number;
  stackBytes: number;
}

/** How the VM ended, when it did not end normally: which limit it hit. */
export type LimitHit = 'cpu' | 'memory' | 'stack';

/** A bridge call from the sandbox: JSON in, JSON envelope out (never rejects). */
export type HostCall = (method: string, argsJson: string) => Promise<string>;

/** A thrown value as the VM hands it over: its message and, if any, its name and stack. */
export interface VmError {
  name?: string;
  message: string;
  stack?: string;
}

export class VmFailure extends Error {
  readonly limit: LimitHit | undefined;
  readonly vmError: VmError;
  constructor(vmError: VmError, limit?: LimitHit) {
    super(vmError.message);
    this.vmError = vmError;
    this.limit = limit;
  }
}

/**
 * One QuickJS runtime + context with the prelude and the entry module evaluated. It serves
 * one call at a time (vm-pool.ts hands it out) and is disposed after any failure. CPU time
 * is the worker thread's CPU time inside QuickJS, summed over the synchronous slices between
 * bridge calls, and checked by the interrupt handler; awaiting the host does not count.
 */
export class Vm {
  readonly #rt: QuickJSRuntime;
  readonly #ctx: QuickJSContext;
  #limits: VmLimits;
  readonly #handles: QuickJSHandle[] = [];
  readonly #pending = new Set<{ dispose(): void; alive: boolean }>();
  /** The bridge of each call in progress, by call id; a ctx of a finished call is refused. */
  readonly #calls = new Map<number, HostCall>();
  #nextCall = 1;
  #api!: QuickJSHandle;
  #ns!: QuickJSHandle;
  #usedMs = 0;
  #sliceStart = 0;
  #sliceCpu = 0;
  #tripped: LimitHit | undefined;
  #onFailure: ((e: VmFailure) => void) | undefined;
  #disposed = false;
  #failed = false;
  #bootHandles = 0;
  #memoryCheckedAt = 0;
  #memoryCheckEvery = MEMORY_CHECK_MS;

  constructor(engine: QuickJSWASMModule, sources: ModuleSources, entry: string, limits: VmLimits) {
    this.#limits = limits;
    this.#rt = engine.newRuntime();
    this.#rt.setMemoryLimit(limits.memoryBytes);
    this.#rt.setMaxStackSize(limits.stackBytes);
    this.#rt.setInterruptHandler(() => this.#overLimit());
    // A normalizer's throw reaches QuickJS without its message: refusals travel as a name
    // the loader then fails with.
    this.#rt.setModuleLoader(
      (name) =>
        name.startsWith(REFUSED) ? { error: new Error(name.slice(REFUSED.length)) } : sources.source(name),
      (base, requested) => {
        try {
          return sources.resolve(base, requested);
        } catch (e) {
          return REFUSED + (e instanceof Error ? e.message : String(e));
        }
      },
    );
    this.#ctx = this.#rt.newContext();
    try {
      this.#boot(sources, entry);
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  #boot(sources: ModuleSources, entry: string): void {
    const ctx = this.#ctx;
    const hostCall = this.#keep(
      ctx.newFunction('hostCall', (id, m, a) =>
        this.#bridge(ctx.getNumber(id), ctx.getString(m), ctx.getString(a)),
      ),
    );
    const factory = this.#keep(
      this.#slice(() => ctx.evalCode(PRELUDE_SOURCE, 'forgebase:prelude', { type: 'global' })),
    );
    this.#api = this.#keep(this.#slice(() => ctx.callFunction(factory, ctx.undefined, hostCall)));
    let ns = this.#keep(this.#slice(() => ctx.evalCode(sources.source(entry), entry, { type: 'module' })));
    this.#slice(() => this.#rt.executePendingJobs());
    const state = ctx.getPromiseState(ns); // a module with top-level await gives a promise
    if (state.type === 'pending') throw this.#failure({ message: 'top-level await did not settle at load' });
    if (state.type === 'rejected') throw this.#failure(this.#errorOf(this.#keep(state.error)));
    if (!state.notAPromise) ns = this.#keep(state.value);
    this.#ns = ns;
    this.#bootHandles = this.#handles.length;
  }

  /** The exports that are definitions, as JSON (names, kinds, schemas). */
  exportsJson(): string {
    const fn = this.#keep(this.#ctx.getProp(this.#api, 'exportsOf'));
    return this.#ctx.getString(
      this.#keep(this.#slice(() => this.#ctx.callFunction(fn, this.#ctx.undefined, this.#ns))),
    );
  }

  /** The limits of the coming invocation; its CPU budget starts afresh (the top level had its own). */
  setLimits(limits: VmLimits): void {
    this.#limits = limits;
    this.#rt.setMemoryLimit(limits.memoryBytes);
    this.#usedMs = 0;
    this.#memoryCheckedAt = -MEMORY_CHECK_MS;
  }

  /**
   * Runs export `name` with `inputJson`; resolves with the JSON envelope the prelude made.
   * Rejects with a VmFailure when QuickJS itself fails (a limit, an uncatchable error).
   */
  invoke(name: string, inputJson: string, hostCall: HostCall): Promise<string> {
    const id = this.#nextCall++;
    this.#calls.set(id, hostCall);
    const { promise, resolve, reject } = Promise.withResolvers<string>();
    this.#onFailure = reject;
    const ctx = this.#ctx;
    const done = this.#keep(ctx.newFunction('done', (h) => resolve(ctx.getString(h))));
    const fn = this.#keep(ctx.getProp(this.#api, 'invoke'));
    const args = [this.#keep(ctx.newNumber(id)), this.#ns, this.#keep(ctx.newString(name))];
    args.push(this.#keep(ctx.newString(inputJson)), done);
    try {
      this.#keep(this.#slice(() => ctx.callFunction(fn, ctx.undefined, args)));
      this.#pump();
    } catch (e) {
      reject(e);
    }
    return promise.finally(() => {
      this.#calls.delete(id);
      this.#onFailure = undefined;
      this.#release();
    });
  }

  /**
   * Whether the VM may serve another call: not after a failure or a limit, nor while a
   * bridge call of the last one is still out (its answer would land in the next call).
   */
  get reusable(): boolean {
    return !this.#disposed && !this.#failed && this.#pending.size === 0;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const d of this.#pending) if (d.alive) d.dispose();
    for (const h of this.#handles) if (h.alive) h.dispose();
    this.#ctx.dispose();
    this.#rt.dispose();
  }

  #bridge(id: number, method: string, argsJson: string): QuickJSHandle {
    const refused = async () =>
      JSON.stringify({ ok: false, error: { message: 'this ctx belongs to a finished call' } });
    const hostCall = this.#calls.get(id) ?? refused;
    if (method.startsWith('log.')) {
      void hostCall(method, argsJson);
      return this.#ctx.undefined;
    }
    const deferred = this.#ctx.newPromise();
    this.#pending.add(deferred);
    hostCall(method, argsJson).then((envelope) => {
      if (this.#disposed) return;
      this.#pending.delete(deferred);
      try {
        const h = this.#ctx.newString(envelope);
        deferred.resolve(h);
        h.dispose();
        deferred.dispose();
        this.#pump();
      } catch (e) {
        this.#onFailure?.(e instanceof VmFailure ? e : this.#failure({ message: String(e) }));
      }
    });
    return deferred.handle;
  }

  #pump(): void {
    this.#slice(() => this.#rt.executePendingJobs());
  }

  /** Runs one synchronous slice inside QuickJS, counting its CPU time, and unwraps its result. */
  #slice<V>(run: () => { error?: QuickJSHandle; value?: V }): V {
    this.#sliceStart = performance.now();
    this.#sliceCpu = threadCpuMs();
    let result: { error?: QuickJSHandle; value?: V };
    try {
      result = run();
    } finally {
      this.#usedMs += threadCpuMs() - this.#sliceCpu;
      this.#sliceStart = 0;
    }
    if (result.error) throw this.#failure(this.#errorOf(this.#keep(result.error)));
    if (this.#tripped) throw this.#failure({ message: 'interrupted' });
    return result.value as V;
  }

  /**
   * The interrupt handler. CPU: the thread's CPU time in QuickJS so far. The wall clock of
   * the slice bounds it from above and is cheaper to read, so the CPU clock is read only
   * once the wall clock says the budget may be spent (a loaded machine stretches wall time).
   * Memory: QuickJS's own malloc limit is no use in this WASM build (without
   * malloc_usable_size it counts 8 bytes per allocation, whatever its size), so the heap is
   * measured (JS_ComputeMemoryUsage walks it), at most once per MEMORY_CHECK_MS of VM time
   * and never more than a third of it.
   */
  #overLimit(): boolean {
    if (this.#tripped) return true;
    if (!this.#sliceStart) return false;
    const now = performance.now();
    const used = this.#usedMs + now - this.#sliceStart;
    if (used > this.#limits.cpuMs && this.#usedMs + threadCpuMs() - this.#sliceCpu > this.#limits.cpuMs)
      this.#tripped = 'cpu';
    else if (used - this.#memoryCheckedAt >= this.#memoryCheckEvery) {
      this.#memoryCheckedAt = used;
      const bytes = this.#heapBytes();
      const cost = performance.now() - now;
      this.#memoryCheckEvery = Math.max(MEMORY_CHECK_MS, 3 * cost);
      if (bytes > this.#limits.memoryBytes) this.#tripped = 'memory';
    }
    return this.#tripped !== undefined;
  }

  /** QuickJS's estimate of its heap (objects, strings, shapes, bytecode...). */
  #heapBytes(): number {
    const usage = this.#rt.computeMemoryUsage();
    try {
      return this.#ctx.getProp(usage, 'memory_used_size').consume((h) => this.#ctx.getNumber(h));
    } finally {
      usage.dispose();
    }
  }

  #errorOf(handle: QuickJSHandle): VmError {
    const v = this.#ctx.dump(handle) as unknown;
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      return { name: str(o.name), message: str(o.message) ?? String(v), stack: str(o.stack) };
    }
    return { message: String(v) };
  }

  /** A VmFailure, with the limit it hit when QuickJS's own error says so. */
  #failure(e: VmError): VmFailure {
    this.#failed = true;
    let limit = this.#tripped;
    if (!limit && e.name === 'InternalError' && /out of memory/i.test(e.message)) limit = 'memory';
    if (
      !limit &&
      (e.name === 'InternalError' || e.name === 'RangeError') &&
      /stack overflow/i.test(e.message)
    )
      limit = 'stack';
    if (!limit && e.message === 'out of memory') limit = 'memory';
    return new VmFailure(e, limit);
  }

  /** Frees the handles of the last call (the ones booting made stay). */
  #release(): void {
    for (const h of this.#handles.splice(this.#bootHandles)) if (h.alive) h.dispose();
  }

  #keep<H extends QuickJSHandle>(h: H): H {
    this.#handles.push(h);
    return h;
  }
}

/** This thread's CPU time (user + system), in ms. */
function threadCpuMs(): number {
  const { user, system } = process.threadCpuUsage();
  return (user + system) / 1000;
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
