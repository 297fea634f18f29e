import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import * as tus from 'tus-js-client';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { createUser, createUsersCollection, type TestUser } from '../support/auth-users.ts';
import { getBytes, sendBytes } from '../support/storage-api.ts';
import { startCutProxy } from '../support/tcp-cut-proxy.ts';

const TUS = '/api/storage/upload/resumable';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const metadata = (m: Record<string, string>) =>
  Object.entries(m)
    .map(([k, v]) => `${k} ${b64(v)}`)
    .join(',');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const RETRY = [0, 20, 50, 100, 200, 400, 800, 1600];

for (const dialect of DIALECTS) {
  describe(`tus resumable uploads (${dialect})`, () => {
    let t: TestApp;
    let user: TestUser;
    before(async () => {
      t = await startTestApp(dialect);
      await createUsersCollection(t);
      user = await createUser(t, 'tus-user@example.com');
      for (const body of [
        { name: 'big', createRule: '', viewRule: '' },
        { name: 'members', createRule: '@request.auth.id != ""', viewRule: '' },
        { name: 'small', createRule: '', viewRule: '', maxSize: 1000 },
      ]) {
        const res = await t.request('POST', '/api/storage/buckets', { token: 'superuser', body });
        assert.equal(res.status, 200, JSON.stringify(res.body));
      }
    });
    after(() => t.close());

    /** A raw tus request (Tus-Resumable set unless overridden). */
    const tusFetch = async (
      method: string,
      path: string,
      headers: Record<string, string> = {},
      body?: Buffer,
    ) => {
      const res = await fetch(t.url + path, {
        method,
        headers: { 'Tus-Resumable': '1.0.0', ...headers },
        ...(body ? { body } : {}),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
    };
    const create = async (
      meta: Record<string, string>,
      length: number,
      headers: Record<string, string> = {},
    ) =>
      tusFetch('POST', TUS, {
        'Upload-Length': String(length),
        'Upload-Metadata': metadata(meta),
        ...headers,
      });
    const uploadRow = (id: string) =>
      t.app.db.first<{ lockToken: string }>(
        t.app.db.qb.selectFrom('_tus_uploads').selectAll().where('id', '=', id),
      );
    /** Re-checks `ok` (every 5 ms, at most 2 s): the server finishes a dropped request on its own time. */
    const until = async (ok: () => Promise<boolean>) => {
      const deadline = Date.now() + 2000;
      while (!(await ok())) {
        assert.ok(Date.now() < deadline, 'timed out waiting for the server');
        await delay(5);
      }
    };
    const chunkDir = (location: string) =>
      join(t.config.dataDir, 'storage', '_tus', location.split('/').pop()!);
    const octets = (offset: number, extra: Record<string, string> = {}) => ({
      'Content-Type': 'application/offset+octet-stream',
      'Upload-Offset': String(offset),
      ...extra,
    });

    test('OPTIONS announces the version, extensions, max size and checksum algorithms', async () => {
      const res = await fetch(t.url + TUS, { method: 'OPTIONS' });
      assert.equal(res.status, 204);
      assert.equal(res.headers.get('tus-resumable'), '1.0.0');
      assert.equal(res.headers.get('tus-version'), '1.0.0');
      assert.equal(
        res.headers.get('tus-extension'),
        'creation,creation-with-upload,termination,checksum,expiration',
      );
      assert.equal(res.headers.get('tus-checksum-algorithm'), 'sha1,md5,sha256');
      assert.match(res.headers.get('tus-max-size') ?? '', /^\d+$/);
      const noVersion = await fetch(t.url + TUS, { method: 'POST', headers: { 'Upload-Length': '1' } });
      assert.equal(noVersion.status, 412);
      assert.equal(noVersion.headers.get('tus-version'), '1.0.0');
    });

    test('tus-js-client: a 50 MiB upload cut off mid-way resumes where it broke and ends byte-identical', async () => {
      const data = randomBytes(50 * 1024 * 1024);
      const proxy = await startCutProxy(t.url, 20 * 1024 * 1024);
      after(() => proxy.close());
      const options = {
        endpoint: proxy.url + TUS,
        metadata: {
          bucketName: 'big',
          objectName: 'videos/big.bin',
          contentType: 'application/octet-stream',
        },
        headers: { Authorization: user.token },
      };
      // the connection drops after 20 MiB: without retries, the client reports the failure
      const first = new tus.Upload(data, { ...options, retryDelays: null });
      const failure = await new Promise<Error>((resolve, reject) => {
        first.options.onError = resolve;
        first.options.onSuccess = () => reject(new Error('the first upload was not interrupted'));
        first.start();
      });
      assert.match(String(failure), /tus: failed to upload chunk/);
      assert.ok(proxy.cutAfter() > 0);
      assert.ok(first.url, 'the upload was created');
      const resumedAt: number[] = [];
      const second = new tus.Upload(data, {
        ...options,
        retryDelays: RETRY,
        uploadUrl: first.url,
        onAfterResponse: (req, res) => {
          if (req.getMethod() === 'PATCH' && res.getStatus() === 204)
            resumedAt.push(Number(req.getHeader('Upload-Offset')));
        },
      });
      await new Promise<void>((resolve, reject) => {
        second.options.onError = reject;
        second.options.onSuccess = () => resolve();
        second.start();
      });
      // the server kept what arrived before the cut (less the POST's bytes on that connection)
      assert.ok(resumedAt[0]! > 0 && resumedAt[0]! < proxy.cutAfter(), `resumed from ${resumedAt[0]}`);
      const got = await getBytes(t, '/api/storage/object/big/videos/big.bin');
      assert.equal(got.status, 200);
      assert.equal(got.bytes.length, data.length);
      assert.equal(sha256(got.bytes), sha256(data));
      const head = await tusFetch('HEAD', new URL(first.url!).pathname, { Authorization: user.token });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('upload-offset'), String(data.length));
      assert.equal(existsSync(chunkDir(first.url!)) && readdirSync(chunkDir(first.url!)).length > 0, false);
    });

    test('creation-with-upload through tus-js-client finishes in one request', async () => {
      const data = Buffer.from('hello resumable world');
      await new Promise<void>((resolve, reject) => {
        new tus.Upload(data, {
          endpoint: t.url + TUS,
          uploadDataDuringCreation: true,
          metadata: { bucketName: 'big', objectName: 'notes/hello.txt', contentType: 'text/plain' },
          onError: reject,
          onSuccess: () => resolve(),
        }).start();
      });
      const info = await t.request('GET', '/api/storage/object/info/big/notes/hello.txt');
      assert.equal(info.status, 200);
      assert.equal(info.body.size, data.length);
      assert.equal(info.body.mimeType, 'text/plain');
      assert.equal(info.body.owner, '');
    });

    test('HEAD reports progress; a wrong offset is 409; a bad checksum is 460 and the chunk is dropped', async () => {
      const created = await create({ bucketName: 'big', objectName: 'check.bin' }, 10);
      assert.equal(created.status, 201);
      const path = created.headers.get('location')!;
      assert.match(path, new RegExp(`^${TUS}/[0-9a-f-]{36}$`));
      assert.ok(Date.parse(created.headers.get('upload-expires')!) > Date.now());
      assert.equal(created.headers.get('tus-resumable'), '1.0.0');

      const part = Buffer.from('01234');
      const sha1 = (b: Buffer) => `sha1 ${createHash('sha1').update(b).digest('base64')}`;
      const bad = await tusFetch(
        'PATCH',
        path,
        octets(0, { 'Upload-Checksum': sha1(Buffer.from('x')) }),
        part,
      );
      assert.equal(bad.status, 460);
      const afterBad = await tusFetch('HEAD', path);
      assert.equal(afterBad.status, 200);
      assert.equal(afterBad.headers.get('upload-offset'), '0');
      assert.equal(afterBad.headers.get('upload-length'), '10');
      assert.equal(afterBad.headers.get('cache-control'), 'no-store');

      const unknownAlgo = await tusFetch('PATCH', path, octets(0, { 'Upload-Checksum': 'crc32 AAAA' }), part);
      assert.equal(unknownAlgo.status, 400);
      const ok = await tusFetch('PATCH', path, octets(0, { 'Upload-Checksum': sha1(part) }), part);
      assert.equal(ok.status, 204);
      assert.equal(ok.headers.get('upload-offset'), '5');

      const wrong = await tusFetch('PATCH', path, octets(3), Buffer.from('34567'));
      assert.equal(wrong.status, 409);
      const noType = await tusFetch('PATCH', path, { 'Upload-Offset': '5' }, Buffer.from('56789'));
      assert.equal(noType.status, 415);
      const tooLong = await tusFetch('PATCH', path, octets(5), Buffer.from('56789!'));
      assert.equal(tooLong.status, 413);
      const last = await tusFetch('PATCH', path, octets(5), Buffer.from('56789'));
      assert.equal(last.status, 204);
      assert.equal(last.headers.get('upload-offset'), '10');
      const got = await getBytes(t, '/api/storage/object/big/check.bin');
      assert.equal(got.bytes.toString(), '0123456789');
      const done = await tusFetch('PATCH', path, octets(10), Buffer.from('x'));
      assert.equal(done.status, 409);
    });

    test('termination removes the upload and its bytes; others cannot see an upload', async () => {
      const created = await create({ bucketName: 'members', objectName: 'gone.bin' }, 100, {
        Authorization: user.token,
      });
      assert.equal(created.status, 201);
      const path = created.headers.get('location')!;
      const patched = await tusFetch(
        'PATCH',
        path,
        { ...octets(0), Authorization: user.token },
        randomBytes(40),
      );
      assert.equal(patched.status, 204);
      assert.equal(readdirSync(chunkDir(path)).length, 1);
      assert.equal((await tusFetch('HEAD', path)).status, 404);
      assert.equal((await tusFetch('DELETE', path)).status, 404);
      const deleted = await tusFetch('DELETE', path, { Authorization: user.token });
      assert.equal(deleted.status, 204);
      assert.equal(deleted.headers.get('tus-resumable'), '1.0.0');
      assert.equal(existsSync(chunkDir(path)), false);
      assert.equal((await tusFetch('HEAD', path, { Authorization: user.token })).status, 404);
    });

    test('one writer at a time (423 to PATCH and HEAD); a dropped PATCH keeps what arrived; expired uploads are 410', async () => {
      const created = await create({ bucketName: 'big', objectName: 'locked.bin' }, 1000);
      const path = created.headers.get('location')!;
      // a PATCH that sends 400 of its 1000 bytes and waits
      const slow = request(t.url + path, {
        method: 'PATCH',
        headers: { 'Tus-Resumable': '1.0.0', ...octets(0), 'Content-Length': '1000' },
      });
      const slowDone = new Promise<void>((resolve) => slow.on('close', () => resolve()));
      slow.on('error', () => {});
      slow.write(Buffer.alloc(400, 1));
      const id = path.split('/').pop()!;
      await until(async () => (await uploadRow(id))?.lockToken !== '');
      const second = await tusFetch('PATCH', path, octets(0), Buffer.alloc(10));
      assert.equal(second.status, 423);
      assert.equal((await tusFetch('HEAD', path)).status, 423);
      slow.destroy();
      await slowDone;
      await until(async () => (await uploadRow(id))?.lockToken === '');
      const head = await tusFetch('HEAD', path);
      assert.equal(head.headers.get('upload-offset'), '400');
      const rest = await tusFetch('PATCH', path, octets(400), Buffer.alloc(600, 2));
      assert.equal(rest.status, 204);
      const got = await getBytes(t, '/api/storage/object/big/locked.bin');
      assert.deepEqual(got.bytes, Buffer.concat([Buffer.alloc(400, 1), Buffer.alloc(600, 2)]));

      const old = await create({ bucketName: 'big', objectName: 'old.bin' }, 10);
      const oldPath = old.headers.get('location')!;
      const oldId = oldPath.split('/').pop()!;
      const db = t.app.db;
      await db.run(
        db.qb
          .updateTable('_tus_uploads')
          .set({ expires: '2000-01-01T00:00:00.000Z' })
          .where('id', '=', oldId),
      );
      assert.equal((await tusFetch('HEAD', oldPath)).status, 410);
      assert.equal((await tusFetch('HEAD', oldPath)).status, 404);
    });

    test('creation checks the rules (403) and the size limit (413) before any bytes', async () => {
      const anon = await create({ bucketName: 'members', objectName: 'a.bin' }, 10);
      assert.equal(anon.status, 403);
      assert.equal(anon.headers.get('tus-resumable'), '1.0.0');
      assert.equal(anon.body.message, 'You are not allowed to upload this object.');
      const signed = await create({ bucketName: 'members', objectName: 'a.bin' }, 10, {
        Authorization: user.token,
      });
      assert.equal(signed.status, 201);
      const big = await create({ bucketName: 'small', objectName: 'b.bin' }, 1001);
      assert.equal(big.status, 413);
      assert.equal(big.body.data.size.code, 'validation_file_size_limit');
      assert.equal((await create({ bucketName: 'small', objectName: 'b.bin' }, 1000)).status, 201);
      assert.equal((await create({ bucketName: 'nope', objectName: 'b.bin' }, 1)).status, 404);
      assert.equal((await create({ bucketName: 'small' }, 1)).status, 400);
      const noLength = await tusFetch('POST', TUS, {
        'Upload-Metadata': metadata({ bucketName: 'small', objectName: 'c' }),
      });
      assert.equal(noLength.status, 400);
      // an existing object: only with x-upsert (and the updateRule) may it be replaced
      const put = await sendBytes(t, 'POST', '/api/storage/object/big/exists.txt', 'here');
      assert.equal(put.status, 200);
      const exists = await create({ bucketName: 'big', objectName: 'exists.txt' }, 1);
      assert.equal(exists.status, 409);
      const upsert = await create({ bucketName: 'big', objectName: 'exists.txt' }, 1, { 'x-upsert': 'true' });
      assert.equal(upsert.status, 403);
    });
  });
}
