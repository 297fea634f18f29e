import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { BadRequestError, ValidationError } from '../errors/api-error.ts';
import { FieldCode, fieldError } from '../errors/codes.ts';
import type { Logger } from '../observability/logger.ts';
import { type BlobInfo, type BlobStore, isValidKey } from '../storage/blob-store.ts';
import type { Clock } from '../tools/clock.ts';
import { readArchive, writeArchive, zipOnly } from './backup-archive.ts';
import { createBackupStores } from './backup-store.ts';

/** PocketBase's backup name rule. */
const NAME_RE = /^[a-z0-9_-]+\.zip$/;
/** Automatic backups are named with this prefix; cronMaxKeep counts only them. */
export const AUTO_PREFIX = 'fb_auto_backup_';
const STORAGE_PREFIX = 'storage/';
const STORAGE_INDEX = 'storage.json';
const BUSY = 'Try again later - another backup/restore process has already been started';
const INVALID = 'An error occurred while validating the submitted data.';

/** One backup archive, as `GET /api/backups` lists it. */
export interface BackupInfo {
  key: string;
  size: number;
  /** PocketBase's date format (`2006-01-02 15:04:05.000Z`). */
  modified: string;
}

/** What a backup or restore reports as it goes (the CLI's progress bar). */
export type BackupProgress = (done: number, total: number, label: string) => void;

function pbDate(d: Date): string {
  return d.toISOString().replace('T', ' ');
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

function nameError(message: string, code: FieldCode = FieldCode.matchInvalid): ValidationError {
  return new ValidationError(INVALID, { name: fieldError(code, message) });
}

/**
 * Backups of the whole app (PocketBase's apis/backup*.go, core/base_backup.go): a zip of
 * a consistent database snapshot (db.snapshot) and every blob of the record/storage blob
 * store, kept in `<dataDir>/backups` or the `backupsS3` bucket. One backup or restore
 * runs at a time. A restore replaces the data in one database transaction while the app
 * refuses writes (`isRestoring`); a failed restore leaves the data as it was.
 */
export function createBackupService(deps: {
  db: Database;
  /** The app's record and storage files. */
  blobs: BlobStore;
  config: Config;
  logger: Logger;
  clock: Clock;
  /** Called after a restore committed: reload what is cached from the database (schema, settings). */
  onRestored: () => Promise<void>;
}) {
  const { db, blobs, config, logger, clock } = deps;
  const stores = createBackupStores(config);
  let active: string | undefined;
  let restoring = false;

  async function tempDir(): Promise<string> {
    const root = join(config.dataDir, '.fb_temp');
    await mkdir(root, { recursive: true });
    return mkdtemp(join(root, 'backup-'));
  }

  async function exists(key: string): Promise<boolean> {
    return (await stores.get().stat(key)) !== undefined;
  }

  async function checkName(name: string): Promise<void> {
    if (name.length > 150)
      throw nameError('The length must be between 1 and 150.', FieldCode.lengthOutOfRange);
    if (!NAME_RE.test(name)) throw nameError('Must be in a valid format.');
    if (await exists(name))
      throw nameError('The backup file name is invalid or already exists.', FieldCode.backupNameExists);
  }

  async function uniqueName(prefix: string): Promise<string> {
    const base = `${prefix}${stamp(clock.now())}`;
    for (let i = 1; ; i++) {
      const name = i === 1 ? `${base}.zip` : `${base}_${i}.zip`;
      if (!(await exists(name))) return name;
    }
  }

  /** Claims the one backup/restore slot; throws PocketBase's 400 when taken. */
  function claim(name: string, message = BUSY): void {
    if (active !== undefined) throw new BadRequestError(message);
    active = name;
  }

  async function write(name: string, progress?: BackupProgress): Promise<void> {
    const tmp = await tempDir();
    try {
      const archive = writeArchive(async (add) => {
        progress?.(0, 1, 'database');
        await db.snapshot.dump(add, tmp);
        // files listed after the snapshot: a file added meanwhile is kept (unreferenced), one
        // deleted meanwhile is missing from the backup
        const keys = await blobs.list();
        const index: { key: string; contentType: string }[] = [];
        for (const [i, key] of keys.entries()) {
          progress?.(i, keys.length, key);
          let body: Readable;
          let info: BlobInfo | undefined;
          try {
            info = await blobs.stat(key);
            body = await blobs.read(key);
          } catch {
            continue; // deleted since it was listed
          }
          index.push({ key, contentType: info?.contentType ?? 'application/octet-stream' });
          await add(STORAGE_PREFIX + key, body);
        }
        await add(STORAGE_INDEX, Readable.from([JSON.stringify(index)]), { compress: true });
        progress?.(keys.length, keys.length, 'done');
      });
      await stores.get().put(name, archive, { contentType: 'application/zip' });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  async function restoreFiles(
    open: (name: string) => Promise<Readable | undefined>,
    progress?: BackupProgress,
  ): Promise<{ kept: Set<string>; added: string[] }> {
    const raw = await open(STORAGE_INDEX);
    const index: { key: string; contentType: string }[] = [];
    if (raw) {
      const chunks: Buffer[] = [];
      for await (const c of raw) chunks.push(Buffer.from(c as Uint8Array));
      index.push(...JSON.parse(Buffer.concat(chunks).toString('utf8')));
    }
    const before = new Set(await blobs.list());
    const added: string[] = [];
    for (const [i, f] of index.entries()) {
      progress?.(i, index.length, f.key);
      if (!isValidKey(f.key)) continue;
      // record files never change under one name: one already here is the same file
      if (before.has(f.key)) continue;
      const body = await open(STORAGE_PREFIX + f.key);
      if (!body) continue;
      await blobs.put(f.key, body, { contentType: f.contentType });
      added.push(f.key);
    }
    return { kept: new Set(index.map((f) => f.key)), added };
  }

  async function restore(key: string, progress?: BackupProgress): Promise<void> {
    // writes stop from the start: nothing written now could survive the swap
    restoring = true;
    let tmp: string | undefined;
    try {
      tmp = await tempDir();
      const file = join(tmp, 'archive.zip');
      await pipeline(await stores.get().read(key), createWriteStream(file));
      const archive = await readArchive(file);
      try {
        const files = await restoreFiles(archive.open, progress);
        try {
          progress?.(0, 1, 'database');
          await db.snapshot.restore(archive.open, tmp);
        } catch (e) {
          for (const k of files.added) await blobs.delete(k).catch(() => undefined);
          throw e;
        }
        await deps.onRestored();
        for (const k of await blobs.list())
          if (!files.kept.has(k)) await blobs.delete(k).catch(() => undefined);
        progress?.(1, 1, 'done');
      } finally {
        archive.close();
      }
    } finally {
      restoring = false;
      if (tmp) await rm(tmp, { recursive: true, force: true });
    }
  }

  return {
    /** True while a backup or a restore runs (health's `canBackup` is its negation). */
    isRunning: (): boolean => active !== undefined,
    /** True while a restore replaces the data: the HTTP layer refuses writes meanwhile. */
    isRestoring: (): boolean => restoring,

    /** Creates a backup named `name` (or `fb_backup_<UTC time>.zip`); returns its key. */
    async create(name?: string, progress?: BackupProgress): Promise<string> {
      if (active !== undefined) throw new BadRequestError(BUSY);
      if (name) await checkName(name);
      const key = name || (await uniqueName('fb_backup_'));
      claim(key);
      try {
        await write(key, progress);
        return key;
      } finally {
        active = undefined;
      }
    },

    /** The backups, newest first. */
    async list(): Promise<BackupInfo[]> {
      const store = stores.get();
      const out: BackupInfo[] = [];
      for (const key of await store.list()) {
        if (key.includes('/') || !key.endsWith('.zip')) continue;
        const info = await store.stat(key);
        if (info) out.push({ key, size: info.size, modified: pbDate(info.modified) });
      }
      return out.sort((a, b) => (a.modified < b.modified ? 1 : a.modified > b.modified ? -1 : 0));
    },

    /** Keeps an uploaded archive as backup `name` (must be a new `.zip` name holding a zip). */
    async upload(name: string, body: Readable): Promise<void> {
      const fileError = (message: string, code: FieldCode) =>
        new ValidationError(INVALID, { file: fieldError(code, message) });
      if (!name.toLowerCase().endsWith('.zip') || !isValidKey(name) || name.includes('/')) {
        body.resume();
        throw fileError(
          'The file must be a zip archive with a simple name (letters, digits, _ - .).',
          FieldCode.invalidMimeType,
        );
      }
      if (await exists(name)) {
        body.resume();
        throw fileError('Backup file with the specified name already exists.', FieldCode.backupNameExists);
      }
      const checked = Readable.from(
        zipOnly(body, () => fileError('The file must be a zip archive.', FieldCode.invalidMimeType)),
      );
      await stores.get().put(name, checked, { contentType: 'application/zip' });
    },

    /** Deletes a backup; 400 while it is in use, or when it does not exist. */
    async delete(key: string): Promise<void> {
      if (active === key)
        throw new BadRequestError('The backup is currently being used and cannot be deleted.');
      if (!isValidKey(key) || !(await exists(key)))
        throw new BadRequestError('Invalid or already deleted backup file.');
      await stores.get().delete(key);
    },

    /** Opens a backup for download (undefined when missing). */
    async open(key: string): Promise<{ info: BlobInfo; store: BlobStore } | undefined> {
      if (!isValidKey(key)) return undefined;
      const store = stores.get();
      const info = await store.stat(key);
      return info ? { info, store } : undefined;
    },

    /**
     * Starts restoring backup `key`: checks it exists and claims the slot, then returns the
     * running restore (the HTTP route answers 204 without waiting; the CLI awaits it).
     */
    async restore(key: string, progress?: BackupProgress): Promise<{ done: Promise<void> }> {
      if (active !== undefined) throw new BadRequestError(`${BUSY}.`);
      if (!isValidKey(key) || !(await exists(key)))
        throw new BadRequestError('Missing or invalid backup file.');
      claim(key, `${BUSY}.`);
      const done = restore(key, progress).finally(() => {
        active = undefined;
      });
      return { done };
    },

    /** The `__fbAutoBackup__` job: a new automatic backup, then only `backupsCronMaxKeep` of them kept. */
    async autoBackup(): Promise<void> {
      await this.create(await uniqueName(AUTO_PREFIX));
      const keep = config.backupsCronMaxKeep;
      if (keep <= 0) return;
      // newest first by the time in the name (file times may tie within a second)
      const autos = (await this.list())
        .filter((b) => b.key.startsWith(AUTO_PREFIX))
        .sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
      for (const old of autos.slice(keep)) {
        await stores
          .get()
          .delete(old.key)
          .catch((err: unknown) =>
            logger.error({ err, key: old.key }, 'removing an old automatic backup failed'),
          );
      }
    },

    close: () => stores.close(),
  };
}

export type BackupService = ReturnType<typeof createBackupService>;

/** Whether a backup or restore is running (for health's `canBackup`). */
export function isBackupRunning(backups: Pick<BackupService, 'isRunning'>): boolean {
  return backups.isRunning();
}
