// Backups on SQLite: a VACUUM INTO copy made off the main thread, restored through ATTACH.
import { createReadStream, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { pipeline } from 'node:stream/promises';
import { Worker } from 'node:worker_threads';
import type { DataSnapshot } from '../database.ts';
import { quoteIdent } from '../ident.ts';

/** The archive entry holding the SQLite snapshot (PocketBase's backups hold `data.db` too). */
export const SQLITE_ENTRY = 'data.db';

// runs in a worker: VACUUM INTO reads one snapshot (a read transaction, so writers go on in
// WAL mode) and can take seconds on a large file, which must not stall the event loop
const VACUUM_WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const { DatabaseSync } = require('node:sqlite');
const db = new DatabaseSync(workerData.source, { timeout: 30000 });
try {
  db.prepare('VACUUM INTO ?').run(workerData.target);
  parentPort.postMessage('ok');
} finally {
  db.close();
}`;

function vacuumInto(source: string, target: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(VACUUM_WORKER, { eval: true, workerData: { source, target } });
    let done = false;
    worker.once('message', () => {
      done = true;
      resolve();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (!done) reject(new Error(`VACUUM INTO stopped (worker exit ${code})`));
    });
  });
}

interface MasterRow {
  type: string;
  name: string;
  sql: string | null;
}

const FTS_SHADOW = ['_data', '_idx', '_docsize', '_config', '_content'];

/** Tables SQLite makes itself: its own and the shadow tables of virtual (FTS5) tables. */
function ownTables(rows: MasterRow[]): (name: string) => boolean {
  const vtabs = rows.filter((r) => r.type === 'table' && /^\s*CREATE\s+VIRTUAL\s+TABLE/i.test(r.sql ?? ''));
  return (name) =>
    name.startsWith('sqlite_') || vtabs.some((v) => FTS_SHADOW.some((s) => name === `${v.name}${s}`));
}

function master(conn: DatabaseSync, schema: string): MasterRow[] {
  return conn
    .prepare(`SELECT type, name, sql FROM ${schema}.sqlite_master ORDER BY rowid`)
    .all() as unknown as MasterRow[];
}

/** Drops every table, view, index and trigger of `main` (inside the caller's transaction). */
function dropAll(conn: DatabaseSync): void {
  const rows = master(conn, 'main');
  const own = ownTables(rows);
  for (const r of rows.filter((x) => x.type === 'view'))
    conn.exec(`DROP VIEW IF EXISTS ${quoteIdent(r.name)}`);
  for (const r of rows.filter((x) => x.type === 'trigger'))
    conn.exec(`DROP TRIGGER IF EXISTS ${quoteIdent(r.name)}`);
  for (const r of rows.filter((x) => x.type === 'table' && !own(x.name)))
    conn.exec(`DROP TABLE IF EXISTS ${quoteIdent(r.name)}`);
}

/** Recreates `fb_restore`'s schema in `main` and copies its rows (inside the caller's transaction). */
function copyAll(conn: DatabaseSync): void {
  const rows = master(conn, 'fb_restore');
  const own = ownTables(rows);
  const virtual: string[] = [];
  for (const r of rows) {
    if (r.type !== 'table' || own(r.name) || !r.sql) continue;
    conn.exec(r.sql);
    if (/^\s*CREATE\s+VIRTUAL\s+TABLE/i.test(r.sql)) virtual.push(r.name);
    else conn.exec(`INSERT INTO main.${quoteIdent(r.name)} SELECT * FROM fb_restore.${quoteIdent(r.name)}`);
  }
  for (const r of rows) if (r.type !== 'table' && r.sql) conn.exec(r.sql);
  for (const v of virtual) conn.exec(`INSERT INTO ${quoteIdent(v)}(${quoteIdent(v)}) VALUES ('rebuild')`);
}

function sequences(conn: DatabaseSync, schema: string): Map<string, number> {
  const exists = conn.prepare(`SELECT 1 FROM ${schema}.sqlite_master WHERE name = 'sqlite_sequence'`).get();
  if (!exists) return new Map();
  const rows = conn.prepare(`SELECT name, seq FROM ${schema}.sqlite_sequence`).all() as {
    name: string;
    seq: number;
  }[];
  return new Map(rows.map((r) => [r.name, Number(r.seq)]));
}

/** Replaces main's schema and rows by the attached snapshot's, in one transaction. */
function replaceFromAttached(conn: DatabaseSync): void {
  conn.exec('BEGIN IMMEDIATE');
  try {
    const before = sequences(conn, 'main');
    dropAll(conn);
    copyAll(conn);
    // AUTOINCREMENT counters never go back: the change log's seq stays above what was handed out
    const restored = sequences(conn, 'main');
    for (const [name, seq] of before) {
      if ((restored.get(name) ?? -1) >= seq) continue;
      conn.prepare('DELETE FROM main.sqlite_sequence WHERE name = ?').run(name);
      conn.prepare('INSERT INTO main.sqlite_sequence (name, seq) VALUES (?, ?)').run(name, seq);
    }
    conn.exec('COMMIT');
  } catch (e) {
    conn.exec('ROLLBACK');
    throw e;
  }
}

/**
 * Backups of a SQLite database file. `exclusive` runs a function on the writer
 * connection outside any transaction, with every other write waiting (ATTACH cannot run
 * inside one).
 */
export function sqliteSnapshot(
  path: string,
  exclusive: (fn: (conn: DatabaseSync) => void) => Promise<void>,
): DataSnapshot {
  return {
    async dump(add, tmpDir) {
      const file = join(tmpDir, SQLITE_ENTRY);
      await vacuumInto(path, file);
      await add(SQLITE_ENTRY, createReadStream(file), { compress: true });
    },

    async restore(open, tmpDir) {
      const entry = await open(SQLITE_ENTRY);
      if (!entry) throw new Error(`the backup holds no SQLite database (${SQLITE_ENTRY})`);
      const file = join(tmpDir, 'restore.db');
      await pipeline(entry, createWriteStream(file));
      await exclusive((conn) => {
        conn.prepare('ATTACH DATABASE ? AS fb_restore').run(file);
        try {
          const check = conn.prepare('PRAGMA fb_restore.quick_check').get() as Record<string, unknown>;
          if (Object.values(check)[0] !== 'ok') throw new Error('the backup database is damaged');
          replaceFromAttached(conn);
        } finally {
          conn.exec('DETACH DATABASE fb_restore');
        }
      });
    },
  };
}
