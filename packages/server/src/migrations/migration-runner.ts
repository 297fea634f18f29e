import { existsSync, mkdirSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Database, Transaction } from '../db/database.ts';
import type { CollectionService, SchemaChange } from '../schema/collection-service.ts';
import {
  blankSource,
  type Migration,
  type MigrationContext,
  schemaChangeSource,
  snapshotSource,
} from './migration-file.ts';

const FILE_RE = /^\d+_[\w-]+\.(ts|mts|js|mjs)$/;

export interface MigrationRunnerDeps {
  db: Database;
  collections: CollectionService;
  dir: string;
}

export type MigrationRunner = ReturnType<typeof createMigrationRunner>;

/**
 * The user's schema migrations: files in `fb_migrations/` (meant for git), applied ones
 * recorded in `_migrations`. Schema changes made through the API write a file and mark
 * it applied in the same transaction.
 */
export function createMigrationRunner({ db, collections, dir }: MigrationRunnerDeps) {
  let recording = true;

  function files(): string[] {
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => FILE_RE.test(f))
      .sort();
  }

  function newFileName(label: string): string {
    const slug =
      label
        .toLowerCase()
        .replace(/[^\w]+/g, '_')
        .replace(/^_+|_+$/g, '')
        .slice(0, 80) || 'migration';
    let ts = Math.floor(Date.now() / 1000);
    const taken = new Set(files().map((f) => f.replace(/^(\d+)_.*/, '$1')));
    while (taken.has(String(ts))) ts++;
    return `${ts}_${slug}.ts`;
  }

  async function applied(): Promise<Map<string, string>> {
    const rows = await db.all<{ file: string; applied: string }>(
      db.sys.selectFrom('_migrations').select(['file', 'applied']),
    );
    return new Map(rows.map((r) => [r.file, r.applied]));
  }

  async function load(file: string): Promise<Migration> {
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as { default?: Migration };
    const m = mod.default;
    if (!m || typeof m.up !== 'function' || typeof m.down !== 'function') {
      throw new Error(`${file}: a migration must export default { up, down }`);
    }
    return m;
  }

  const context: MigrationContext = {
    collections: {
      async save(definition) {
        const id = typeof definition.id === 'string' ? definition.id : '';
        const existing = (id && collections.find(id)) || undefined;
        if (existing) await collections.update(existing.id, definition);
        else await collections.create(definition);
      },
      async delete(idOrName) {
        if (collections.find(idOrName)) await collections.delete(idOrName);
      },
      find: (idOrName) => collections.find(idOrName),
      import: (definitions) => collections.import(definitions, false),
    },
    exec: (sql) => db.exec(sql),
  };

  async function withoutRecording<T>(fn: () => Promise<T>): Promise<T> {
    recording = false;
    try {
      return await fn();
    } finally {
      recording = true;
    }
  }

  return {
    dir,
    files,

    /** Writes one migration file per schema change and marks it applied (called inside the change's transaction). */
    async record(tx: Transaction, changes: SchemaChange[]): Promise<void> {
      if (!recording) return;
      mkdirSync(dir, { recursive: true });
      for (const ch of changes) {
        const c = ch.after ?? ch.before!;
        const action = !ch.before ? 'created' : !ch.after ? 'deleted' : 'updated';
        const file = newFileName(`${action}_${c.name}`);
        writeFileSync(join(dir, file), schemaChangeSource(ch.before, ch.after));
        await tx.run(db.sys.insertInto('_migrations').values({ file, applied: new Date().toISOString() }));
      }
    },

    /** Applies every file not yet applied, oldest first; returns their names. */
    async up(): Promise<string[]> {
      const done = await applied();
      const ran: string[] = [];
      for (const file of files()) {
        if (done.has(file)) continue;
        const m = await load(file);
        await withoutRecording(() => m.up(context));
        await db.run(db.sys.insertInto('_migrations').values({ file, applied: new Date().toISOString() }));
        ran.push(file);
      }
      return ran;
    },

    /** Reverts the last `count` applied migrations, newest first; returns their names. */
    async down(count = 1): Promise<string[]> {
      const done = [...(await applied()).entries()].sort((a, b) =>
        a[1] === b[1] ? b[0].localeCompare(a[0]) : b[1].localeCompare(a[1]),
      );
      const present = new Set(files());
      const ran: string[] = [];
      for (const [file] of done.slice(0, count)) {
        if (!present.has(file))
          throw new Error(
            `cannot revert ${file}: the file is missing (run "migrate history-sync" to forget it)`,
          );
        const m = await load(file);
        await withoutRecording(() => m.down(context));
        await db.run(db.sys.deleteFrom('_migrations').where('file', '=', file));
        ran.push(file);
      }
      return ran;
    },

    /** Writes an empty migration to fill in by hand; returns its path. */
    create(name: string): string {
      mkdirSync(dir, { recursive: true });
      const path = join(dir, newFileName(name));
      writeFileSync(path, blankSource());
      return path;
    },

    /** Writes a snapshot of every collection as one migration, marked applied; returns its path. */
    async snapshot(): Promise<string> {
      mkdirSync(dir, { recursive: true });
      const file = newFileName('collections_snapshot');
      writeFileSync(join(dir, file), snapshotSource(collections.all()));
      try {
        await db.run(db.sys.insertInto('_migrations').values({ file, applied: new Date().toISOString() }));
      } catch (e) {
        unlinkSync(join(dir, file));
        throw e;
      }
      return join(dir, file);
    },

    /** Forgets applied entries whose files no longer exist; returns them. */
    async historySync(): Promise<string[]> {
      const present = new Set(files());
      const gone = [...(await applied()).keys()].filter((f) => !present.has(f));
      for (const file of gone) await db.run(db.sys.deleteFrom('_migrations').where('file', '=', file));
      return gone;
    },
  };
}
