import { stripTypeScriptTypes } from 'node:module';
import { parentPort } from 'node:worker_threads';
import { newQuickJSWASMModule } from 'quickjs-emscripten';
import type { ModuleSources } from './module-sources.ts';
import { SHIM_SOURCE, SHIM_SPECIFIER } from './prelude.ts';
import { type LimitHit, Vm, type VmError, VmFailure, type VmLimits } from './vm.ts';
import { createVmPool, type VmPool } from './vm-pool.ts';

/**
 * The sandbox worker thread: every isolated module's QuickJS VMs live here, so a busy loop
 * in one blocks this thread (until its CPU limit), never the server's event loop. It speaks
 * to sandbox.ts in the messages below; the bridge calls go back to the main thread, where
 * the capabilities are.
 */

/** Main thread → worker. */
export type ToWorker =
  | { t: 'load'; id: number; file: string; root: string; limits: VmLimits }
  | { t: 'invoke'; id: number; call: number; name: string; input: string; limits: VmLimits }
  | { t: 'answer'; seq: number; envelope: string }
  | { t: 'unload'; id: number };

/** What went wrong in the worker: a VM failure (maybe a limit) or a host-side error. */
export interface WorkerFailure {
  limit?: LimitHit;
  vmError: VmError;
}

/** Worker → main thread. */
export type FromWorker =
  | { t: 'loaded'; id: number; exports: string; moduleName: string }
  | { t: 'load-failed'; id: number; failure: WorkerFailure }
  | { t: 'bridge'; seq: number; call: number; method: string; args: string }
  | { t: 'done'; call: number; envelope: string }
  | { t: 'failed'; call: number; failure: WorkerFailure };

const port = parentPort;
if (!port) throw new Error('sandbox/worker.ts runs as a worker thread');
const wasm = await newQuickJSWASMModule();
await warmUp();
const modules = new Map<number, VmPool>();
const answers = new Map<number, (envelope: string) => void>();
let nextSeq = 1;
const post = (m: FromWorker) => port.postMessage(m);

function failureOf(e: unknown): WorkerFailure {
  if (e instanceof VmFailure) return { limit: e.limit, vmError: e.vmError };
  const err = e instanceof Error ? e : new Error(String(e));
  return { vmError: { name: err.name, message: err.message, stack: err.stack } };
}

/**
 * Strips types once and boots and calls a few throwaway VMs before the worker says it is
 * ready: V8 compiles WebAssembly lazily (QuickJS's, and the type stripper's), and the first
 * modules loaded would otherwise pay for it (tens of ms each) in their cold start.
 */
async function warmUp(): Promise<void> {
  stripTypeScriptTypes('export const a: number = 1;', { mode: 'strip' }); // its own WebAssembly, too
  const code = `import { query } from '${SHIM_SPECIFIER}';\nexport const q = query((ctx, a) => ({ ...a, at: Date.now() }));\n`;
  const sources: ModuleSources = {
    resolve: (_base, requested) => requested,
    source: (name) => (name === SHIM_SPECIFIER ? SHIM_SOURCE : code),
    moduleName: () => 'warm-up',
  };
  const limits = { memoryBytes: 8 * 1024 * 1024, cpuMs: 1000, stackBytes: 256 * 1024 };
  for (let i = 0; i < 3; i++) {
    const vm = new Vm(wasm, sources, 'warm-up', limits);
    try {
      vm.exportsJson();
      await vm.invoke('q', '{"args":{"n":1}}', async () => '{"ok":true,"value":null}');
    } finally {
      vm.dispose();
    }
  }
}

port.on('message', (m: ToWorker) => {
  if (m.t === 'answer') {
    answers.get(m.seq)?.(m.envelope);
    answers.delete(m.seq);
  } else if (m.t === 'load') {
    try {
      const pool = createVmPool(wasm, m.file, m.root, m.limits);
      modules.set(m.id, pool);
      post({ t: 'loaded', id: m.id, exports: pool.exportsJson, moduleName: pool.moduleName });
    } catch (e) {
      post({ t: 'load-failed', id: m.id, failure: failureOf(e) });
    }
  } else if (m.t === 'unload') {
    modules.get(m.id)?.dispose();
    modules.delete(m.id);
  } else {
    const pool = modules.get(m.id);
    if (!pool)
      return post({ t: 'failed', call: m.call, failure: failureOf(new Error('the module is not loaded')) });
    const hostCall = (method: string, args: string) =>
      new Promise<string>((resolve) => {
        const seq = nextSeq++;
        answers.set(seq, resolve);
        post({ t: 'bridge', seq, call: m.call, method, args });
      });
    pool.invoke(m.name, m.input, hostCall, m.limits).then(
      (envelope) => post({ t: 'done', call: m.call, envelope }),
      (e) => post({ t: 'failed', call: m.call, failure: failureOf(e) }),
    );
  }
});
post({ t: 'loaded', id: 0, exports: '[]', moduleName: '' }); // ready
