import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { type CreatedS3Key, createS3Key } from '../support/s3-client.ts';

const hex = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const hmac = (k: Buffer | string, s: string) => createHmac('sha256', k).update(s).digest();
const EMPTY = hex('');

/**
 * A PUT with a signed aws-chunked body (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`), as older SDKs
 * and MinIO clients send, signed here independently of the server's code, per the AWS
 * spec (seed signature over the headers, then each chunk chained from the previous one).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 */
async function signedChunkedPut(
  t: TestApp,
  key: CreatedS3Key,
  path: string,
  chunks: Buffer[],
  tamper = false,
) {
  const url = new URL(`${t.url}${path}`);
  const date = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  const day = date.slice(0, 8);
  const scope = `${day}/us-east-1/s3/aws4_request`;
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const headers: Record<string, string> = {
    'content-encoding': 'aws-chunked',
    host: url.host,
    'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
    'x-amz-date': date,
    'x-amz-decoded-content-length': String(total),
  };
  const names = Object.keys(headers).sort();
  const canonical = [
    'PUT',
    url.pathname,
    '',
    ...names.map((n) => `${n}:${headers[n]}`),
    '',
    names.join(';'),
    'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  ].join('\n');
  const k = hmac(hmac(hmac(hmac(`AWS4${key.secretAccessKey}`, day), 'us-east-1'), 's3'), 'aws4_request');
  const seed = hmac(k, ['AWS4-HMAC-SHA256', date, scope, hex(canonical)].join('\n')).toString('hex');
  let previous = seed;
  const parts: Buffer[] = [];
  for (const data of [...chunks, Buffer.alloc(0)]) {
    const sts = ['AWS4-HMAC-SHA256-PAYLOAD', date, scope, previous, EMPTY, hex(data)].join('\n');
    previous = hmac(k, sts).toString('hex');
    parts.push(
      Buffer.from(`${data.length.toString(16)};chunk-signature=${previous}\r\n`),
      data,
      Buffer.from('\r\n'),
    );
  }
  const body = Buffer.concat(parts);
  // flips a bit of the first chunk's data
  const at = body.indexOf('\r\n') + 5;
  if (tamper) body.writeUInt8(body.readUInt8(at) ^ 1, at);
  const { host: _host, ...sent } = headers;
  return fetch(url, {
    method: 'PUT',
    headers: {
      ...sent,
      authorization: `AWS4-HMAC-SHA256 Credential=${key.accessKeyId}/${scope},SignedHeaders=${names.join(';')},Signature=${seed}`,
    },
    body,
  });
}

for (const dialect of DIALECTS) {
  describe(`S3-compatible API: signed aws-chunked uploads (${dialect})`, () => {
    let t: TestApp;
    let key: CreatedS3Key;
    before(async () => {
      t = await startTestApp(dialect);
      key = await createS3Key(t);
      const res = await t.request('POST', '/api/storage/buckets', {
        token: 'superuser',
        body: { name: 'chunks' },
      });
      assert.equal(res.status, 200);
    });
    after(() => t.close());

    test('a signed chunked body is decoded and stored; a changed byte is SignatureDoesNotMatch', async () => {
      const chunks = [Buffer.alloc(70_000, 'a'), Buffer.alloc(1000, 'b')];
      const ok = await signedChunkedPut(t, key, '/s3/chunks/signed.txt', chunks);
      assert.equal(ok.status, 200, await ok.clone().text());
      const all = Buffer.concat(chunks);
      assert.equal(ok.headers.get('etag'), `"${createHash('md5').update(all).digest('hex')}"`);
      const dl = await t.request('GET', '/api/storage/object/info/chunks/signed.txt', { token: 'superuser' });
      assert.equal(dl.body.size, all.length);
      const bad = await signedChunkedPut(t, key, '/s3/chunks/tampered.txt', chunks, true);
      assert.equal(bad.status, 403);
      assert.match(await bad.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
      const missing = await t.request('GET', '/api/storage/object/info/chunks/tampered.txt', {
        token: 'superuser',
      });
      assert.equal(missing.status, 404);
    });
  });
}
