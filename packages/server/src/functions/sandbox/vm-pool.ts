import type { QuickJSWASMModule } from 'quickjs-emscripten';
import { createModuleSources, entryFile } from './module-sources.ts';
import { type HostCall, Vm, type VmLimits } from './vm.ts';

/** Idle VMs kept per module for the next calls (more are booted under concurrency). */
const IDLE_VMS = 4;

/** One loaded isolated module inside the sandbox worker: its sources and its idle VMs. */
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
 * A call takes an idle VM or boots one, so concurrent calls never share a VM, and gives it
 * back when it ended cleanly; a VM that failed (a limit, an uncatchable error) or still has
 * a bridge call out is disposed, never reused.
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
  let disposed = false;
  return {
    exportsJson,
    moduleName: sources.moduleName(entry),
    async invoke(name, inputJson, hostCall, callLimits) {
      if (disposed) throw new Error('the module was unloaded');
      const vm = idle.pop() ?? boot();
      try {
        vm.setLimits(callLimits);
        return await vm.invoke(name, inputJson, hostCall);
      } finally {
        if (!disposed && vm.reusable && idle.length < IDLE_VMS) idle.push(vm);
        else vm.dispose();
      }
    },
    dispose() {
      disposed = true;
      for (const vm of idle.splice(0)) vm.dispose();
    },
  };
}
