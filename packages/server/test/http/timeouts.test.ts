import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

/** A raw connection to the app: what it received, and a promise of its close (rejects after `waitMs`). */
function open(t: TestApp) {
  const { hostname, port } = new URL(t.url);
  const socket: Socket = connect(Number(port), hostname);
  let received = '';
  socket.on('data', (c: Buffer) => {
    received += c.toString('utf8');
  });
  socket.on('error', () => {});
  const closed = (waitMs = 8000) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`still open after ${waitMs} ms; got: ${received}`));
      }, waitMs);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve(received);
      });
    });
  return { socket, closed, received: () => received };
}

/** Writes `byte` every `everyMs` until stopped (a client that keeps the connection busy). */
function trickle(socket: Socket, byte: string, everyMs: number) {
  const timer = setInterval(() => socket.write(byte), everyMs);
  return () => clearInterval(timer);
}

// security #11: request, header and idle timeouts; streamed uploads are idle-based only.
// Each waits on the connection's close event with a bounded wait; without the timeouts the
// connection stays open past it (Node's defaults: no request or idle timeout).
for (const dialect of DIALECTS) {
  describe(`server timeouts (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect, {
        headersTimeoutSeconds: 1,
        requestTimeoutSeconds: 1,
        idleTimeoutSeconds: 3,
      });
      // set up in process: on a loaded machine an HTTP request of the setup could itself
      // outlast these short timeouts
      await t.app.collections.create({
        name: 'notes',
        createRule: '',
        fields: [
          { name: 'title', type: 'text' },
          { name: 'doc', type: 'file' },
        ],
      });
    });
    after(() => t.close());

    test('headers that never finish get a 408 and the connection closes', async () => {
      const c = open(t);
      c.socket.write('GET /api/health HTTP/1.1\r\nHost: x\r\n');
      const stopped = trickle(c.socket, 'X-Slow: 1\r\n', 250);
      try {
        assert.match(await c.closed(), /^HTTP\/1\.1 408 /);
      } finally {
        stopped();
      }
    });

    test('a JSON body that keeps trickling is cut at the request timeout with a 408', async () => {
      const c = open(t);
      c.socket.write(
        'POST /api/collections/notes/records HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"title":"',
      );
      const stopped = trickle(c.socket, 'a', 250);
      try {
        assert.match(await c.closed(), /^HTTP\/1\.1 408 /);
      } finally {
        stopped();
      }
    });

    test('a stalled upload is closed by the idle timeout', async () => {
      const c = open(t);
      c.socket.write(
        'POST /api/collections/notes/records HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\n',
      );
      const part = '--b\r\nContent-Disposition: form-data; name="doc"; filename="a.txt"\r\n\r\nhello';
      c.socket.write(`${part.length.toString(16)}\r\n${part}\r\n`);
      await c.closed();
    });

    test('an upload that keeps moving outlives the request timeout and succeeds', async () => {
      const c = open(t);
      const chunk = (s: string) => c.socket.write(`${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`);
      c.socket.write(
        'POST /api/collections/notes/records HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
      );
      chunk('--b\r\nContent-Disposition: form-data; name="doc"; filename="a.txt"\r\n\r\n');
      // the client paces its writes (not a wait for the server): 12 writes 250 ms apart,
      // three times the request timeout, never idle as long as the idle timeout
      for (let i = 0; i < 12; i++) {
        chunk('x'.repeat(100));
        await new Promise((r) => setTimeout(r, 250));
      }
      chunk('\r\n--b\r\nContent-Disposition: form-data; name="title"\r\n\r\nslow\r\n--b--\r\n');
      c.socket.write('0\r\n\r\n');
      const reply = await c.closed();
      assert.match(reply, /^HTTP\/1\.1 200 /);
      assert.match(reply, /"title":"slow"/);
    });
  });
}
