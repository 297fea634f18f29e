// Child processes for the benchmark: spawn, wait for health, read RSS, and always kill.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(import.meta.dirname, '..');
/** The ForgeBase CLI entry the benchmark starts. */
// how users start it (npm start): the bin, which enables the compile cache
export const MAIN_TS = join(ROOT, 'packages/server/bin/forgebase.js');
/** The Node flags `npm start` runs the server with (a small young generation keeps RSS low). */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=2'];
/** The bare Fastify baseline server. */
export const BASELINE_TS = join(ROOT, 'bench/baseline-server.ts');

// Linux's USER_HZ, the unit of /proc/<pid>/stat's CPU times (100 on every mainstream build)
const CLOCK_TICKS = 100;
// rate limits off: one load generator on one address stands in for many users
const CHILD_ENV = {
  ...process.env,
  FORGEBASE_LOG_REQUESTS: 'false',
  FORGEBASE_LOG_LEVEL: 'warn',
  FORGEBASE_RATE_LIMITS_ENABLED: 'false',
};
const running = new Set<ChildProcess>();

/** A server child process with the URL it listens on. */
export interface ServerProcess {
  pid: number;
  url: string;
  /** The last few KiB of the child's stdout and stderr, for error messages. */
  output(): string;
  /** SIGTERM, then SIGKILL if the process has not exited after a grace period. */
  stop(): Promise<void>;
}

/** A free loopback TCP port (bound once, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Spawns `node <script> <args>` in `cwd`; the process is tracked so `killAll` can end it. */
export function spawnServer(script: string, args: string[], cwd: string, port: number): ServerProcess {
  const child = spawn(
    process.execPath,
    [...(script === BASELINE_TS ? [] : SERVER_NODE_FLAGS), script, ...args],
    {
      cwd,
      env: CHILD_ENV,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  if (child.pid === undefined) throw new Error(`could not spawn ${script}`);
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  exited.then(() => running.delete(child));
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4096);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return {
    pid: child.pid,
    url: `http://127.0.0.1:${port}`,
    output: () => tail,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** SIGKILLs every child still running (used on error paths and at exit). */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/**
 * Polls `GET /api/health` until it answers 200; resolves with the milliseconds since `since`
 * (a `performance.now()` value). Rejects if the process dies or `timeoutMs` passes.
 */
export async function waitHealthy(server: ServerProcess, since: number, timeoutMs = 15000): Promise<number> {
  const deadline = since + timeoutMs;
  while (performance.now() < deadline) {
    if ((await healthStatus(server.url)) === 200) return performance.now() - since;
    if (!isAlive(server.pid)) throw new Error(`server exited before becoming healthy:\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`server not healthy after ${timeoutMs} ms:\n${server.output()}`);
}

/** Status of one `GET /api/health` (0 when the connection fails); plain node:http keeps polling cheap. */
function healthStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = get(`${url}/api/health`, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** CPU time (user + system) a process has used, in ms, from /proc/<pid>/stat. */
export function cpuMs(pid: number): number {
  // the fields after the command name (which may hold spaces): utime and stime are 14 and 15
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/** Resident set size of a process in MiB, from /proc/<pid>/status (VmRSS). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) / 1024;
}

/** Samples a process's RSS every `everyMs` until `stop()` is called; returns the maximum seen. */
export function sampleRss(pid: number, everyMs = 100): { stop(): number } {
  let max = rssMiB(pid);
  const timer = setInterval(() => {
    try {
      max = Math.max(max, rssMiB(pid));
    } catch {
      // the process is gone; the caller notices through the load results
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return max;
    },
  };
}

const execFileP = promisify(execFile);

/** Runs a one-shot ForgeBase CLI command (e.g. `superuser upsert`) with `bin` and waits for it. */
export async function runCli(args: string[], cwd: string, bin: string = MAIN_TS): Promise<void> {
  await execFileP(process.execPath, [bin, ...args], { cwd, env: CHILD_ENV, timeout: 60000 });
}
