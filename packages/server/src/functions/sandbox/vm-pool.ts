import type { QuickJSWASMModule } from 'quickjs-emscripten';
import { createModuleSources, entryFile } from './module-sources.ts';
import { type HostCall, Vm, type VmLimits } from './vm.ts';

/** Idle VMs kept per module for the next calls. */
const IDLE_VMS = 4;
/**
 * VMs per module at most, busy or idle: more calls at once wait for one to free. Each VM may
 * hold up to its memory limit, so this bounds what one module can take of the worker.
 */
export const MAX_VMS = 8;

/** One loaded isolated module inside the sandbox worker: its sources and its VMs. */
export interface VmPool {
  /** The definition exports, as the prelude listed them (JSON). */
  exportsJson: string;
  /** The module's name under the root ("isolated/billing"). */
  moduleName: string;
  /** Runs one call on an idle VM (or a fresh one); resolves with the prelude's envelope. */
  invoke(name: string, inputJson: string, hostCall: HostCall, limits: VmLimits): Promise<string>;
  dispose(): void;
}

/**
 * Loads `file` (inside `root`) and boots its first VM, which lists the exports and then
 * serves the first call. Throws a VmFailure when the module fails to evaluate.
 *
 * A call takes an idle VM or boots one (up to MAX_VMS, then it waits), so concurrent calls
 * never share a VM, and gives it back when it ended cleanly; a VM that failed (a limit, an
 * uncatchable error) or still has a bridge call out is disposed, never reused.
 */
export function createVmPool(wasm: QuickJSWASMModule, file: string, root: string, limits: VmLimits): VmPool {
  const sources = createModuleSources(root);
  const entry = entryFile(file, root);
  const boot = () => new Vm(wasm, sources, entry, limits);
  const first = boot();
  let exportsJson: string;
  try {
    exportsJson = first.exportsJson();
  } catch (e) {
    first.dispose();
    throw e;
  }
  const idle: Vm[] = [first];
  const waiting: ((vm: Vm | Error) => void)[] = [];
  let live = 1; // VMs that exist, idle or busy
  let disposed = false;

  function acquire(): Promise<Vm> | Vm {
    const vm = idle.pop();
    if (vm) return vm;
    if (live < MAX_VMS) {
      live++;
      try {
        return boot();
      } catch (e) {
        live--;
        throw e;
      }
    }
    return new Promise((resolve, reject) => {
      waiting.push((v) => (v instanceof Error ? reject(v) : resolve(v)));
    });
  }

  function release(vm: Vm): void {
    if (!disposed && vm.reusable) {
      const next = waiting.shift();
      if (next) {
        next(vm);
        return;
      }
      if (idle.length < IDLE_VMS) {
        idle.push(vm);
        return;
      }
    }
    vm.dispose();
    live--;
    const next = waiting.shift();
    if (!next) return;
    if (disposed) {
      next(new Error('the module was unloaded'));
      return;
    }
    live++;
    try {
      next(boot());
    } catch (e) {
      live--;
      next(e instanceof Error ? e : new Error(String(e)));
    }
  }

  return {
    exportsJson,
    moduleName: sources.moduleName(entry),
    async invoke(name, inputJson, hostCall, callLimits) {
      if (disposed) throw new Error('the module was unloaded');
      const vm = await acquire();
      try {
        vm.setLimits(callLimits);
        return await vm.invoke(name, inputJson, hostCall);
      } finally {
        release(vm);
      }
    },
    dispose() {
      disposed = true;
      for (const vm of idle.splice(0)) vm.dispose();
      for (const next of waiting.splice(0)) next(new Error('the module was unloaded'));
    },
  };
}
