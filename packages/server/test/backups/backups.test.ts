import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import PocketBase, { ClientResponseError } from 'pocketbase';
import yazl from 'yazl';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { backupsIdle, superuserClient } from '../support/backups.ts';

async function failure(fn: () => Promise<unknown>): Promise<ClientResponseError> {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof ClientResponseError, String(e));
    return e;
  }
  assert.fail('expected the request to fail');
}

/**
 * An archive that fails half-way through a restore: a file to put back, then a database
 * part that breaks (SQLite: not a database; PostgreSQL: a table whose rows are missing,
 * found after the current tables were dropped in the restore's transaction).
 */
function brokenArchive(): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from('stray'), 'storage/stray/file.txt');
  zip.addBuffer(
    Buffer.from(JSON.stringify([{ key: 'stray/file.txt', contentType: 'text/plain' }])),
    'storage.json',
  );
  zip.addBuffer(Buffer.from('not a database at all, not even close'.repeat(200)), 'data.db');
  const table = {
    name: 'broken',
    columns: [{ name: 'a', type: 'text', notNull: false, default: null, identity: '' }],
    constraints: [],
    indexes: [],
    entry: 'postgres/tables/missing.copy',
  };
  const manifest = { version: 1, tables: [table], sequences: [], views: [] };
  zip.addBuffer(Buffer.from(JSON.stringify(manifest)), 'postgres/manifest.json');
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

const NOTES = {
  name: 'notes',
  type: 'base',
  listRule: '',
  viewRule: '',
  createRule: '',
  fields: [
    { name: 'title', type: 'text' },
    { name: 'attachment', type: 'file', maxSelect: 1, maxSize: 1_000_000 },
  ],
};

for (const dialect of DIALECTS) {
  describe(`backups API (${dialect})`, () => {
    let t: TestApp;
    let pb: PocketBase;
    before(async () => {
      t = await startTestApp(dialect);
      pb = await superuserClient(t);
      await t.createCollection(NOTES);
    });
    after(() => t.close());

    test('create, list, download, upload and delete through the SDK', async () => {
      await pb.collection('notes').create({ title: 'one' });
      assert.equal(await pb.backups.create('first_backup.zip'), true);
      assert.equal(await pb.backups.create(''), true);
      const list = await pb.backups.getFullList();
      assert.equal(list.length, 2);
      const keys = list.map((b) => b.key).sort();
      assert.equal(keys[0], 'fb_backup_' + keys[0]!.slice(10, 24) + '.zip');
      assert.match(keys[0]!, /^fb_backup_\d{14}\.zip$/);
      assert.equal(keys[1], 'first_backup.zip');
      for (const b of list) {
        assert.ok(b.size > 100);
        assert.match(b.modified, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$/);
      }

      // bad and taken names
      const bad = await failure(() => pb.backups.create('Bad Name.zip'));
      assert.equal(bad.status, 400);
      assert.equal(bad.response.data.name.code, 'validation_match_invalid');
      const taken = await failure(() => pb.backups.create('first_backup.zip'));
      assert.equal(taken.response.data.name.code, 'validation_backup_name_exists');

      // download needs a superuser file token
      const token = await pb.files.getToken();
      const res = await fetch(pb.backups.getDownloadURL(token, 'first_backup.zip'));
      assert.equal(res.status, 200);
      const zip = Buffer.from(await res.arrayBuffer());
      assert.equal(zip.subarray(0, 2).toString(), 'PK');
      assert.equal(zip.length, list.find((b) => b.key === 'first_backup.zip')!.size);
      assert.equal((await fetch(pb.backups.getDownloadURL('nope', 'first_backup.zip'))).status, 403);

      // upload it back under another name; a non-zip is refused
      await pb.backups.upload({ file: new File([zip], 'copy.zip', { type: 'application/zip' }) });
      assert.ok((await pb.backups.getFullList()).some((b) => b.key === 'copy.zip' && b.size === zip.length));
      const notZip = await failure(() =>
        pb.backups.upload({ file: new File(['hello there'], 'text.zip', { type: 'application/zip' }) }),
      );
      assert.equal(notZip.status, 400);
      assert.ok(!(await pb.backups.getFullList()).some((b) => b.key === 'text.zip'));

      // delete
      assert.equal(await pb.backups.delete('copy.zip'), true);
      const gone = await failure(() => pb.backups.delete('copy.zip'));
      assert.equal(gone.status, 400);
      assert.equal(gone.message, 'Invalid or already deleted backup file.');

      // superusers only
      const anonymous = new PocketBase(t.url);
      assert.equal((await failure(() => anonymous.backups.getFullList())).status, 401);
    });

    test('a restore brings deleted records and files back, and drops what came after', async () => {
      const kept = await pb.collection('notes').create({
        title: 'keep me',
        attachment: new File(['file body'], 'hello.txt', { type: 'text/plain' }),
      });
      await pb.backups.create('before_delete.zip');
      await pb.collection('notes').delete(kept.id);
      const later = await pb.collection('notes').create({ title: 'after the backup' });
      await t.createCollection({ name: 'later_things', type: 'base', fields: [{ name: 'x', type: 'text' }] });

      assert.equal(await pb.backups.restore('before_delete.zip'), true);
      await backupsIdle(t);

      const back = await pb.collection('notes').getOne(kept.id);
      assert.equal(back.title, 'keep me');
      const url = pb.files.getURL(back, back.attachment);
      const file = await fetch(url);
      assert.equal(file.status, 200);
      assert.equal(await file.text(), 'file body');
      assert.equal((await failure(() => pb.collection('notes').getOne(later.id))).status, 404);
      assert.equal((await failure(() => pb.collections.getOne('later_things'))).status, 404);
      // the app goes on writing after the restore
      const fresh = await pb.collection('notes').create({ title: 'after restore' });
      assert.equal((await pb.collection('notes').getOne(fresh.id)).title, 'after restore');
    });

    test('while a restore runs, writes get a 503 and reads go on', async () => {
      const rec = await pb.collection('notes').create({ title: 'during' });
      await pb.backups.create('gate.zip');
      // an open transaction that read _params holds the restore back at its database step
      let release = () => {};
      const held = new Promise<void>((r) => {
        release = r;
      });
      let opened = () => {};
      const isOpen = new Promise<void>((r) => {
        opened = r;
      });
      const blocker = t.app.db.transaction(async (tx) => {
        await tx.all(t.app.db.sys.selectFrom('_params').select('id'));
        opened();
        await held;
      });
      await isOpen;
      await pb.backups.restore('gate.zip');
      assert.equal(t.app.backups.isRestoring(), true);
      const write = await failure(() => pb.collection('notes').create({ title: 'refused' }));
      assert.equal(write.status, 503);
      assert.equal(write.message, 'A backup is being restored; try again in a moment.');
      assert.equal((await pb.collection('notes').getOne(rec.id)).title, 'during');
      const busy = await failure(() => pb.backups.create('another.zip'));
      assert.equal(busy.status, 503);
      release();
      await blocker;
      await backupsIdle(t);
      assert.equal(t.app.backups.isRestoring(), false);
      assert.equal((await pb.collection('notes').create({ title: 'after' })).title, 'after');
    });

    test('a restore of a damaged archive fails and leaves the data as it was', async () => {
      const rec = await pb.collection('notes').create({ title: 'still here' });
      const filesBefore = await t.app.files.blobs.list();
      // a zip without a database snapshot, and one whose snapshot breaks half-way through
      const empty = new File(
        [Buffer.from('504b0506000000000000000000000000000000000000', 'hex')],
        'empty.zip',
      );
      await pb.backups.upload({ file: empty });
      await pb.backups.upload({ file: new File([await brokenArchive()], 'broken.zip') });
      for (const key of ['empty.zip', 'broken.zip']) {
        await pb.backups.restore(key);
        await backupsIdle(t);
        assert.equal((await pb.collection('notes').getOne(rec.id)).title, 'still here');
        assert.deepEqual(await t.app.files.blobs.list(), filesBefore);
      }
      const missing = await failure(() => pb.backups.restore('missing.zip'));
      assert.equal(missing.status, 400);
      assert.equal(missing.message, 'Missing or invalid backup file.');
    });
  });
}
