import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type PocketBase from 'pocketbase';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { backupsIdle, superuserClient } from '../support/backups.ts';
import { startTestS3, type TestS3 } from '../support/s3.ts';

for (const dialect of DIALECTS) {
  describe(`backups in S3, files in S3 (${dialect})`, () => {
    let files: TestS3;
    let store: TestS3;
    let t: TestApp;
    let pb: PocketBase;
    before(async () => {
      files = await startTestS3('fb-files');
      store = await startTestS3('fb-backups');
      t = await startTestApp(dialect, {
        ...files.config,
        backupsS3: {
          enabled: true,
          bucket: store.bucket,
          region: 'us-east-1',
          endpoint: store.endpoint,
          accessKey: 'S3RVER',
          secret: 'S3RVER',
          forcePathStyle: true,
        },
      });
      pb = await superuserClient(t);
      await t.createCollection({
        name: 'docs',
        type: 'base',
        viewRule: '',
        fields: [{ name: 'file', type: 'file', maxSelect: 1, maxSize: 1_000_000 }],
      });
    });
    after(async () => {
      await t.close();
      await files.close();
      await store.close();
    });

    test('a backup goes to the backups bucket and restores a deleted record with its S3 file', async () => {
      const doc = await pb
        .collection('docs')
        .create({ file: new File(['in the bucket'], 'note.txt', { type: 'text/plain' }) });
      await pb.backups.create('s3_backup.zip');
      const list = await pb.backups.getFullList();
      assert.deepEqual(
        list.map((b) => b.key),
        ['s3_backup.zip'],
      );
      // nothing in the local backups directory: the archive is in the bucket
      const token = await pb.files.getToken();
      const zip = await fetch(pb.backups.getDownloadURL(token, 's3_backup.zip'));
      assert.equal(zip.status, 200);
      assert.equal((await zip.arrayBuffer()).byteLength, list[0]!.size);

      await pb.collection('docs').delete(doc.id);
      assert.deepEqual(await t.app.files.blobs.list(`${doc.collectionId}/`), []);
      await pb.backups.restore('s3_backup.zip');
      await backupsIdle(t);
      const back = await pb.collection('docs').getOne(doc.id);
      const res = await fetch(pb.files.getURL(back, back.file));
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'text/plain');
      assert.equal(await res.text(), 'in the bucket');
      assert.equal(await pb.backups.delete('s3_backup.zip'), true);
      assert.deepEqual(await pb.backups.getFullList(), []);
    });
  });
}
