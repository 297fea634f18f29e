import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Dialect } from './app.ts';
import { schemaUrl } from './pg.ts';

/** The CLI entry the `forgebase` bin runs. */
export const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/** Global CLI flags that point a process at one test's data (temp dir, and a schema on PostgreSQL). */
export function dataArgs(dialect: Dialect, dir: string, schema: string): string[] {
  return [
    '--dir',
    join(dir, 'fb_data'),
    '--migrations-dir',
    join(dir, 'fb_migrations'),
    ...(dialect === 'postgres' ? ['--db', schemaUrl(schema)] : []),
  ];
}

/** A port that was free a moment ago: bind port 0, read the port, close. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const addr = srv.address();
  srv.close();
  await once(srv, 'close');
  if (!addr || typeof addr !== 'object') throw new Error('no port');
  return addr.port;
}

/** The parent's environment without FORGEBASE_* (so a developer's settings cannot leak in), plus `extra`. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FORGEBASE_')) env[k] = v;
  // many requests from 127.0.0.1: rate limits off unless a test turns them on
  return { ...env, FORGEBASE_LOG_REQUESTS: 'false', FORGEBASE_RATE_LIMITS_ENABLED: 'false', ...extra };
}

/** Runs the CLI once (`forgebase <args>`) and resolves with its exit code and output. */
export function runCli(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = childEnv(),
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    execFile(process.execPath, [MAIN, ...args], { cwd, env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolvePromise({ code, stdout, stderr });
    });
  });
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the first match of `re` in the output; rejects on exit or after `timeoutMs`. */
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Spawns `forgebase serve --http 127.0.0.1:<port> <args>` as a real child process and
 * resolves once it answers `GET /api/health` (polled with a bounded timeout).
 */
export async function spawnServer(
  args: string[],
  cwd: string,
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [MAIN, 'serve', '--http', `127.0.0.1:${port}`, ...args], {
    cwd,
    env: opts.env ?? childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    out += chunk.toString('utf8');
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => {
      for (const l of listeners) l();
      r({ code, signal });
    }),
  );
  let dead = false;
  void exited.then(() => {
    dead = true;
  });

  const waitForOutput = (re: RegExp, timeoutMs = 20_000) =>
    new Promise<RegExpMatchArray>((resolvePromise, reject) => {
      const check = () => {
        const m = out.match(re);
        if (m) done(() => resolvePromise(m));
        else if (dead || child.exitCode !== null || child.signalCode !== null)
          done(() => reject(new Error(`server exited before printing ${re}:\n${out}`)));
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`timed out waiting for ${re}:\n${out}`))),
        timeoutMs,
      );
      const done = (fn: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        fn();
      };
      listeners.add(check);
      check();
    });

  const server: ServerProcess = { child, url, output: () => out, waitForOutput, exited };
  try {
    await waitForHealth(server, opts.timeoutMs ?? 20_000);
  } catch (e) {
    child.kill('SIGKILL');
    await exited;
    throw e;
  }
  return server;
}

/** Polls `GET /api/health` until it answers 200; fails when the process exits or time runs out. */
async function waitForHealth(server: ServerProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void server.exited.then(() => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(`server exited during start-up:\n${server.output()}`);
    try {
      const res = await fetch(`${server.url}/api/health`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await delay(25); // poll interval, bounded by the deadline above
  }
  throw new Error(`server did not become healthy within ${timeoutMs} ms:\n${server.output()}`);
}

/** Stops a server process: SIGKILL when it is still running; always waits for the exit. */
export async function killServer(server: ServerProcess | undefined): Promise<void> {
  if (!server) return;
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
  await server.exited;
}
