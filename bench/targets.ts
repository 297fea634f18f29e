// The servers under test: ForgeBase on SQLite, ForgeBase on PostgreSQL, and the bare Fastify baseline.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { BASELINE_TS, freePort, MAIN_TS, runCli, type ServerProcess, spawnServer } from './processes.ts';

export type TargetName = 'sqlite' | 'postgres' | 'fastify';
/** Every target, in the order a run measures them. */
export const TARGETS: TargetName[] = ['sqlite', 'postgres', 'fastify'];
export const TARGET_LABELS: Record<TargetName, string> = {
  sqlite: 'ForgeBase (SQLite)',
  postgres: 'ForgeBase (PostgreSQL)',
  fastify: 'bare Fastify (memory)',
};

const PG_URL = process.env.FORGEBASE_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
export const SUPERUSER = { email: 'bench@example.com', password: 'bench-password-123' };
const pending = new Set<() => Promise<void>>();

/** A prepared, not yet started target: its data dir (and PostgreSQL schema), removed by `cleanup`. */
export interface PreparedTarget {
  name: TargetName;
  /** Starts the server process; the caller times it and waits for health. */
  spawn(): Promise<ServerProcess>;
  /** Stops the server if started, removes the temp dir and drops the schema. */
  cleanup(): Promise<void>;
}

/**
 * Prepares a target on a fresh empty data dir (and a fresh `fb_bench_*` schema for PostgreSQL).
 * With `superuser`, creates the bench superuser through the CLI first (ForgeBase only).
 */
export async function prepareTarget(
  name: TargetName,
  opts: { superuser: boolean; bin?: string },
): Promise<PreparedTarget> {
  const bin = opts.bin ?? MAIN_TS;
  const dir = mkdtempSync(join(tmpdir(), 'fb-bench-'));
  const schema = name === 'postgres' ? `fb_bench_${randomBytes(6).toString('hex')}` : undefined;
  let server: ServerProcess | undefined;
  const cleanup = async () => {
    pending.delete(cleanup);
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
    if (schema) await dropSchema(schema);
  };
  pending.add(cleanup);
  const fbArgs = ['--dir', join(dir, 'fb_data'), '--migrations-dir', join(dir, 'fb_migrations')];
  if (schema) {
    const u = new URL(PG_URL);
    u.searchParams.set('schema', schema);
    fbArgs.push('--db', u.toString());
  }
  try {
    if (opts.superuser && name !== 'fastify') {
      await runCli(['superuser', 'upsert', SUPERUSER.email, SUPERUSER.password, ...fbArgs], dir, bin);
    }
  } catch (e) {
    await cleanup();
    throw e;
  }
  return {
    name,
    async spawn() {
      const port = await freePort();
      const http = `127.0.0.1:${port}`;
      server =
        name === 'fastify'
          ? spawnServer(BASELINE_TS, ['--http', http], dir, port)
          : spawnServer(bin, ['serve', '--http', http, ...fbArgs], dir, port);
      return server;
    },
    cleanup,
  };
}

/** Cleans up every target not cleaned up yet (on SIGINT/SIGTERM). */
export async function cleanupAll(): Promise<void> {
  await Promise.allSettled([...pending].map((c) => c()));
}

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
