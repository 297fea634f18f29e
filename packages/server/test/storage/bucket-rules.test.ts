import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import sharp from 'sharp';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { createUser, createUsersCollection, type TestUser } from '../support/auth-users.ts';
import { getBytes, sendBytes } from '../support/storage-api.ts';

// bucket rules speak the filter language over objects: name, size, mimeType, owner, ...
const OWNER_ONLY = 'owner = @request.auth.id';

for (const dialect of DIALECTS) {
  describe(`storage rules, signed URLs and transforms (${dialect})`, () => {
    let t: TestApp;
    let a: TestUser;
    let b: TestUser;
    before(async () => {
      t = await startTestApp(dialect);
      await createUsersCollection(t);
      a = await createUser(t, 'a@example.com');
      b = await createUser(t, 'b@example.com');
      const make = (body: Record<string, unknown>) =>
        t.request('POST', '/api/storage/buckets', { token: 'superuser', body });
      await make({
        name: 'private',
        listRule: OWNER_ONLY,
        viewRule: OWNER_ONLY,
        createRule: "@request.auth.id != '' && size < 1000 && name !~ 'secret'",
        updateRule: OWNER_ONLY,
        deleteRule: OWNER_ONLY,
      });
      await make({ name: 'public-assets', public: true, createRule: "@request.auth.id != ''" });
      await make({ name: 'images', public: true, createRule: '', allowedMimeTypes: ['image/*'] });
    });
    after(() => t.close());

    const names = async (bucket: string, token?: string) => {
      const res = await t.request('POST', `/api/storage/object/list/${bucket}`, {
        body: { delimiter: '' },
        ...(token ? { token } : {}),
      });
      return res.status === 200 ? res.body.items.map((i: { name: string }) => i.name) : res.status;
    };

    test('rules matrix: anonymous, owner, other user, superuser', async () => {
      assert.equal((await sendBytes(t, 'POST', '/api/storage/object/private/anon.txt', 'x')).status, 403);
      assert.equal(
        (await sendBytes(t, 'POST', '/api/storage/object/private/a.txt', 'from a', { token: a.token }))
          .status,
        200,
      );
      assert.equal(
        (await sendBytes(t, 'POST', '/api/storage/object/private/b.txt', 'from b', { token: b.token }))
          .status,
        200,
      );
      // the createRule sees the would-be object
      assert.equal(
        (await sendBytes(t, 'POST', '/api/storage/object/private/secret.txt', 'x', { token: a.token }))
          .status,
        403,
      );
      assert.equal(
        (
          await sendBytes(t, 'POST', '/api/storage/object/private/large.bin', Buffer.alloc(1500), {
            token: a.token,
          })
        ).status,
        403,
      );
      assert.deepEqual(await names('private', a.token), ['a.txt']);
      assert.deepEqual(await names('private', b.token), ['b.txt']);
      assert.deepEqual(await names('private'), []);
      assert.deepEqual(await names('private', 'superuser'), ['a.txt', 'b.txt']);
      assert.equal((await getBytes(t, '/api/storage/object/private/a.txt', { token: a.token })).status, 200);
      assert.equal((await getBytes(t, '/api/storage/object/private/a.txt', { token: b.token })).status, 404);
      assert.equal((await getBytes(t, '/api/storage/object/private/a.txt')).status, 404);
      assert.equal(
        (await getBytes(t, '/api/storage/object/private/a.txt', { token: 'superuser' })).status,
        200,
      );
      // b may not overwrite a's object, nor delete it
      const overwrite = await sendBytes(t, 'PUT', '/api/storage/object/private/a.txt', 'b was here', {
        token: b.token,
      });
      assert.equal(overwrite.status, 403);
      assert.equal(
        (await t.request('DELETE', '/api/storage/object/private/a.txt', { token: b.token })).status,
        404,
      );
      assert.equal(
        (await t.request('DELETE', '/api/storage/object/private/a.txt', { token: a.token })).status,
        204,
      );
      assert.deepEqual(await names('private', 'superuser'), ['b.txt']);
    });

    test('public buckets serve anyone; a null listRule still hides the listing', async () => {
      assert.equal(
        (await sendBytes(t, 'POST', '/api/storage/object/public-assets/logo.txt', 'logo', { token: a.token }))
          .status,
        200,
      );
      const got = await getBytes(t, '/api/storage/object/public-assets/logo.txt');
      assert.equal(got.status, 200);
      assert.equal(got.bytes.toString(), 'logo');
      assert.equal(await names('public-assets'), 403);
    });

    test('signed download URLs work without auth for that object only, until they expire', async () => {
      await sendBytes(t, 'POST', '/api/storage/object/private/signed.txt', 'signed bytes', {
        token: a.token,
      });
      const denied = await t.request('POST', '/api/storage/object/sign/private/signed.txt', {
        token: b.token,
        body: { expiresIn: 60 },
      });
      assert.equal(denied.status, 404);
      const signed = await t.request('POST', '/api/storage/object/sign/private/signed.txt', {
        token: a.token,
        body: { expiresIn: 60 },
      });
      assert.equal(signed.status, 200);
      const url: string = signed.body.signedURL;
      const got = await getBytes(t, url);
      assert.equal(got.status, 200);
      assert.equal(got.bytes.toString(), 'signed bytes');
      assert.equal((await getBytes(t, url.replace('signed.txt', 'b.txt'))).status, 400);
      assert.equal((await getBytes(t, `${url.slice(0, -3)}abc`)).status, 400);
      // a token past its expiry, signed with the server's own key
      const row = await t.app.db.first<{ value: string }>(
        t.app.db.qb.selectFrom('_params').select('value').where('id', '=', 'storageSigningKey'),
      );
      const key = new TextEncoder().encode(JSON.parse(row!.value) as string);
      const bucket = await t.request('GET', '/api/storage/buckets/private', { token: 'superuser' });
      const expired = await new SignJWT({ b: bucket.body.id, o: 'signed.txt', act: 'download' })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime(Math.floor(Date.now() / 1000) - 10)
        .sign(key);
      assert.equal(
        (await getBytes(t, `/api/storage/object/sign/private/signed.txt?token=${expired}`)).status,
        400,
      );
      const bad = await t.request('POST', '/api/storage/object/sign/private/signed.txt', {
        token: a.token,
        body: { expiresIn: 0 },
      });
      assert.equal(bad.status, 400);
    });

    test('signed upload URLs let anyone upload that one name once', async () => {
      const signed = await t.request('POST', '/api/storage/object/upload/sign/private/upload-here.txt', {
        token: a.token,
      });
      assert.equal(signed.status, 200);
      const put = await sendBytes(t, 'PUT', signed.body.url, 'via signed url');
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.equal(put.body.owner, a.id);
      assert.equal((await sendBytes(t, 'PUT', signed.body.url, 'again')).status, 409);
      const wrongName = signed.body.url.replace('upload-here.txt', 'elsewhere.txt');
      assert.equal((await sendBytes(t, 'PUT', wrongName, 'x')).status, 400);
      assert.equal((await t.request('POST', '/api/storage/object/upload/sign/private/x.txt')).status, 403);
      const taken = await t.request('POST', '/api/storage/object/upload/sign/private/upload-here.txt', {
        token: a.token,
      });
      assert.equal(taken.status, 409);
      const replace = await t.request('POST', '/api/storage/object/upload/sign/private/upload-here.txt', {
        token: b.token,
        headers: { 'x-upsert': 'true' },
      });
      // the object belongs to a, who signed the URL: b's updateRule fails
      assert.equal(replace.status, 403);
    });

    test('image transforms resize and convert, cached after the first request', async () => {
      const png = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#3366ff' } })
        .png()
        .toBuffer();
      assert.equal((await sendBytes(t, 'POST', '/api/storage/object/images/photo.png', png)).status, 200);
      const path = '/api/storage/render/image/images/photo.png?width=50&format=webp&quality=60';
      const first = await getBytes(t, path);
      assert.equal(first.status, 200);
      assert.equal(first.headers.get('content-type'), 'image/webp');
      const meta = await sharp(first.bytes).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ['webp', 50, 25]);
      const render = async (q: string) =>
        sharp((await getBytes(t, `/api/storage/render/image/images/photo.png?${q}`)).bytes).metadata();
      const contained = await render('width=50&height=50&resize=contain');
      assert.deepEqual([contained.format, contained.width, contained.height], ['png', 50, 25]);
      const covered = await render('width=50&height=50&format=jpeg');
      assert.deepEqual([covered.format, covered.width, covered.height], ['jpeg', 50, 50]);
      const filled = await render('width=50&height=80&resize=fill');
      assert.deepEqual([filled.width, filled.height], [50, 80]);
      const second = await getBytes(t, path);
      assert.equal(second.headers.get('etag'), first.headers.get('etag'));
      assert.equal((await getBytes(t, '/api/storage/render/image/images/photo.png?width=99999')).status, 400);
      assert.equal((await getBytes(t, '/api/storage/render/image/images/photo.png?format=gif')).status, 400);
    });
  });
}
