import type { HostCall, VmLimits } from './vm.ts';
import type { FromWorker, ToWorker } from './worker.ts';

export type { WorkerFailure } from './worker.ts';

/** The main thread's handle on the sandbox worker (sandbox/worker.ts). */
export interface SandboxWorker {
  /** Loads a module; rejects with a WorkerFailure when it does not evaluate. */
  load(
    file: string,
    root: string,
    limits: VmLimits,
  ): Promise<{ id: number; exports: string; moduleName: string }>;
  /** Runs one call; its bridge calls are answered by `hostCall`. Rejects with a WorkerFailure. */
  invoke(id: number, name: string, input: string, limits: VmLimits, hostCall: HostCall): Promise<string>;
  unload(id: number): void;
  terminate(): Promise<void>;
}

interface Pending {
  resolve(v: never): void;
  reject(e: unknown): void;
  hostCall?: HostCall;
}

// One worker per process, started on first use (an app that has no isolated function never
// starts it) and shared by every app of the process: it holds no app state, only VMs keyed
// by load id. If it dies, every call in flight fails and the next use starts a new one.
let current: Promise<SandboxWorker> | undefined;

/** The running sandbox worker, started if need be. */
export function sandboxWorker(): Promise<SandboxWorker> {
  if (!current) {
    const forget = () => {
      if (current === starting) current = undefined;
    };
    const starting: Promise<SandboxWorker> = startWorker(forget);
    starting.catch(forget); // a worker that failed to start is tried again next time
    current = starting;
  }
  return current;
}

/**
 * Stops the worker (calls in flight fail); the next call starts a new one and modules load
 * again into it by themselves. For a process that wants its threads gone, and for tests.
 */
export async function stopSandboxWorker(): Promise<void> {
  const running = current;
  current = undefined;
  if (running) await (await running.catch(() => undefined))?.terminate();
}

async function startWorker(onStop: () => void): Promise<SandboxWorker> {
  const { Worker } = await import('node:worker_threads'); // not paid by a server without isolated functions
  const worker = new Worker(new URL('./worker.ts', import.meta.url));
  const loads = new Map<number, Pending>();
  const calls = new Map<number, Pending>();
  let nextId = 1;
  let busy = 0;
  const { promise: ready, resolve: started, reject: failedToStart } = Promise.withResolvers<void>();
  const post = (m: ToWorker) => worker.postMessage(m);
  // keep the process alive only while something is asked of the worker
  const track = <T>(p: Promise<T>): Promise<T> => {
    if (busy++ === 0) worker.ref();
    return p.finally(() => {
      if (--busy === 0) worker.unref();
    });
  };
  worker.unref();

  worker.on('message', (m: FromWorker) => {
    if (m.t === 'loaded') {
      if (m.id === 0) return started();
      loads.get(m.id)?.resolve({ id: m.id, exports: m.exports, moduleName: m.moduleName } as never);
      loads.delete(m.id);
    } else if (m.t === 'load-failed') {
      loads.get(m.id)?.reject(m.failure);
      loads.delete(m.id);
    } else if (m.t === 'bridge') {
      const hostCall = calls.get(m.call)?.hostCall;
      const refused = JSON.stringify({
        ok: false,
        error: { message: 'this ctx belongs to a finished call' },
      });
      (hostCall ? hostCall(m.method, m.args) : Promise.resolve(refused)).then((envelope) =>
        post({ t: 'answer', seq: m.seq, envelope }),
      );
    } else if (m.t === 'done') {
      calls.get(m.call)?.resolve(m.envelope as never);
      calls.delete(m.call);
    } else {
      calls.get(m.call)?.reject(m.failure);
      calls.delete(m.call);
    }
  });
  const stopped = (err: Error) => {
    onStop();
    failedToStart(err);
    for (const p of [...loads.values(), ...calls.values()]) p.reject(err);
    loads.clear();
    calls.clear();
  };
  worker.on('error', (e) => stopped(new Error(`the sandbox worker failed: ${e.message}`, { cause: e })));
  worker.on('exit', (code) => stopped(new Error(`the sandbox worker exited (code ${code})`)));

  const client: SandboxWorker = {
    load(file, root, limits) {
      const id = nextId++;
      const { promise, resolve, reject } = Promise.withResolvers<never>();
      loads.set(id, { resolve, reject });
      post({ t: 'load', id, file, root, limits });
      return track(promise);
    },
    invoke(id, name, input, limits, hostCall) {
      const call = nextId++;
      const { promise, resolve, reject } = Promise.withResolvers<never>();
      calls.set(call, { resolve, reject, hostCall });
      post({ t: 'invoke', id, call, name, input, limits });
      return track(promise);
    },
    unload(id) {
      post({ t: 'unload', id });
    },
    async terminate() {
      await worker.terminate();
    },
  };
  await track(ready);
  return client;
}
