import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type App, createApp } from '../../src/app.ts';
import { DIALECTS, silentLogger, testConfig } from '../support/app.ts';
import { runForgebase } from '../support/cli.ts';
import { freePort } from '../support/server-process.ts';
import { type TestStorage, testStorage } from '../support/storage.ts';

/** A self-signed pair for 127.0.0.1 (openssl, as an operator would make one). */
function selfSigned(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function collect(resolve: (a: Answer) => void) {
  return (res: import('node:http').IncomingMessage) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      body += c;
    });
    res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
  };
}

for (const dialect of DIALECTS) {
  describe(`serve --https with a certificate pair (${dialect})`, () => {
    let storage: TestStorage;
    let app: App;
    let url: string;
    let ca: Buffer;
    let httpPort: number;
    before(async () => {
      storage = testStorage(dialect);
      const pair = selfSigned(storage.dir);
      ca = readFileSync(pair.cert);
      httpPort = await freePort();
      const config = testConfig(dialect, storage.dir, storage.schema, {
        http: `127.0.0.1:${httpPort}`,
        https: '127.0.0.1:0',
        httpsCert: pair.cert,
        httpsKey: pair.key,
      });
      app = await createApp(config, { logger: silentLogger() });
      url = await app.start();
    });
    after(async () => {
      await app.stop();
      await storage.remove();
    });

    test('the API answers over TLS with the given certificate', async () => {
      assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const res = await new Promise<Answer>((resolve, reject) =>
        httpsRequest(`${url}/api/health`, { ca }, collect(resolve)).on('error', reject).end(),
      );
      assert.equal(res.status, 200);
      assert.deepEqual(JSON.parse(res.body), { message: 'API is healthy.', code: 200, data: {} });
      // a client that does not trust the pair refuses the connection
      await assert.rejects(
        new Promise((resolve, reject) =>
          httpsRequest(`${url}/api/health`, resolve).on('error', reject).end(),
        ),
        /self-signed certificate/,
      );
    });

    test('the HTTP address redirects reads to HTTPS and refuses writes in clear text', async () => {
      const httpsPort = new URL(url).port;
      const get = await new Promise<Answer>((resolve, reject) =>
        httpRequest(`http://127.0.0.1:${httpPort}/api/health?x=1`, collect(resolve))
          .on('error', reject)
          .end(),
      );
      assert.equal(get.status, 302);
      assert.equal(get.headers.location, `https://127.0.0.1:${httpsPort}/api/health?x=1`);
      const post = await new Promise<Answer>((resolve, reject) =>
        httpRequest(
          `http://127.0.0.1:${httpPort}/api/collections/_superusers/auth-with-password`,
          { method: 'POST' },
          collect(resolve),
        )
          .on('error', reject)
          .end('{}'),
      );
      assert.equal(post.status, 400);
      assert.deepEqual(JSON.parse(post.body), { data: {}, message: 'Use HTTPS.', status: 400 });
    });
  });
}

test('serve --https without a certificate pair fails before listening, saying what is missing', async () => {
  const storage = testStorage('sqlite');
  try {
    const res = await runForgebase(
      ['--dir', join(storage.dir, 'data'), 'serve', '--https', '127.0.0.1:0'],
      storage.dir,
    );
    assert.equal(res.code, 1);
    assert.equal(
      res.stderr,
      'forgebase: --https needs a certificate pair: --httpsCert and --httpsKey (PEM files)\n',
    );
  } finally {
    await storage.remove();
  }
});
