import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** argon2id cost settings (as stored in a PHC string). */
export interface Argon2Params {
  memory: number;
  passes: number;
  parallelism: number;
  tagLength: number;
}

/**
 * Password hashing off the event loop, at low CPU priority: a few worker threads that run
 * argon2id and lower their own scheduling priority (on Linux the nice value is per
 * thread), so a burst of sign-ins takes the idle CPU and request handling keeps its
 * latency. Workers start on first use and keep the process alive only while they hash.
 */
export interface HashPool {
  /** The argon2id tag of `password` with `nonce` (salt). */
  derive(password: string, nonce: Buffer, params: Argon2Params): Promise<Buffer>;
  /** Stops the workers; pending hashes fail. */
  close(): Promise<void>;
}

// the worker: lowers its priority once, then hashes each job synchronously
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { argon2Sync } = require('node:crypto');
try { require('node:os').setPriority(workerData.nice); } catch {}
parentPort.on('message', ({ id, message, nonce, params }) => {
  try {
    const key = argon2Sync('argon2id', { message, nonce: Buffer.from(nonce), ...params });
    parentPort.postMessage({ id, key });
  } catch (e) {
    parentPort.postMessage({ id, error: String(e && e.message || e) });
  }
});`;

interface Job {
  id: number;
  message: string;
  nonce: Buffer;
  params: Argon2Params;
  resolve(key: Buffer): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
}

/**
 * Builds a pool of `threads` workers (default: the number of CPUs) at nice value `nice`
 * (default 19, the lowest priority).
 */
export function createHashPool(opts: { threads?: number; nice?: number } = {}): HashPool {
  const size = Math.max(1, opts.threads ?? availableParallelism());
  const nice = opts.nice ?? 19;
  const slots: Slot[] = [];
  const queue: Job[] = [];
  let nextId = 0;
  let closed = false;

  const startWorker = (): Slot => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { nice } });
    const slot: Slot = { worker, job: undefined };
    worker.on('message', (msg: { id: number; key?: Uint8Array; error?: string }) => {
      const job = slot.job;
      if (!job || job.id !== msg.id) return;
      slot.job = undefined;
      worker.unref();
      if (msg.error !== undefined) job.reject(new Error(msg.error));
      else job.resolve(Buffer.from(msg.key!));
      pump();
    });
    const fail = (err: Error) => {
      const i = slots.indexOf(slot);
      if (i >= 0) slots.splice(i, 1);
      slot.job?.reject(err);
      slot.job = undefined;
      pump();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`hash worker stopped (exit code ${code})`)));
    // a worker keeps the process alive only while it hashes (set after the listeners: adding
    // a 'message' listener refs the worker again)
    worker.unref();
    slots.push(slot);
    return slot;
  };

  const pump = () => {
    while (!closed && queue.length > 0) {
      let slot = slots.find((s) => !s.job);
      if (!slot && slots.length < size) slot = startWorker();
      if (!slot) return;
      const job = queue.shift()!;
      slot.job = job;
      slot.worker.ref();
      slot.worker.postMessage({ id: job.id, message: job.message, nonce: job.nonce, params: job.params });
    }
  };

  return {
    derive(message, nonce, params) {
      if (closed) return Promise.reject(new Error('the hash pool is closed'));
      return new Promise<Buffer>((resolve, reject) => {
        queue.push({ id: nextId++, message, nonce, params, resolve, reject });
        pump();
      });
    },
    async close() {
      closed = true;
      for (const job of queue.splice(0)) job.reject(new Error('the hash pool is closed'));
      await Promise.all(slots.splice(0).map((s) => s.worker.terminate()));
    },
  };
}
