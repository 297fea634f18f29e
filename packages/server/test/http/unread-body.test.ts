import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

/**
 * Sends `first` (its chunked body in 16 kB chunks) and then `second` on one keep-alive
 * connection; resolves with everything received once `want` responses arrived (rejects
 * after `waitMs`: a wedged connection never answers the second request).
 */
function twoRequests(t: TestApp, head: string, body: Buffer, second: string, waitMs = 6000) {
  const { hostname, port } = new URL(t.url);
  const socket = connect(Number(port), hostname);
  let received = '';
  return new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no second response within ${waitMs} ms; got: ${received}`));
    }, waitMs);
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.on('data', (c: Buffer) => {
      received += c.toString('latin1');
      const statuses = [...received.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]!);
      if (statuses.length >= 2) {
        clearTimeout(timer);
        socket.destroy();
        resolve(statuses);
      }
    });
    socket.write(head);
    for (let i = 0; i < body.length; i += 16384) {
      const chunk = body.subarray(i, i + 16384);
      socket.write(`${chunk.length.toString(16)}\r\n`);
      socket.write(chunk);
      socket.write('\r\n');
    }
    socket.write('0\r\n\r\n');
    socket.write(second);
  });
}

// security #12: an early refusal of a chunked upload drains the rest of the body, so the
// keep-alive connection answers its next request
for (const dialect of DIALECTS) {
  describe(`early refusal of a streamed body (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
      const res = await t.request('POST', '/api/storage/buckets', {
        token: 'superuser',
        body: { name: 'small', public: false, maxSize: 1000, createRule: '' },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      await t.createCollection({
        name: 'one',
        createRule: '',
        fields: [{ name: 'f', type: 'file', maxSelect: 1 }],
      });
    });
    after(() => t.close());

    test('a chunked bucket upload over maxSize is a 413 and the connection serves the next request', async () => {
      const statuses = await twoRequests(
        t,
        'POST /api/storage/object/small/big.bin HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n',
        Buffer.alloc(512 * 1024, 7),
        'GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n',
      );
      assert.deepEqual(statuses, ['413', '200']);
    });

    test('a multipart create refused half-way (a file beyond maxSelect) leaves the connection usable', async () => {
      const file = (n: string) =>
        `--b\r\nContent-Disposition: form-data; name="f"; filename="${n}.bin"\r\n\r\n${'z'.repeat(300_000)}\r\n`;
      const part = Buffer.from(`${file('a')}${file('b')}${file('c')}--b--\r\n`);
      const statuses = await twoRequests(
        t,
        'POST /api/collections/one/records HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\n',
        part,
        'GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n',
      );
      assert.deepEqual(statuses, ['400', '200']);
    });
  });
}
