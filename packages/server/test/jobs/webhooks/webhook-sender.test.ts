import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { guardedLookup, isPrivateAddress } from '../../../src/jobs/webhooks/address-guard.ts';
import { RESPONSE_EXCERPT_BYTES, sendWebhook } from '../../../src/jobs/webhooks/webhook-sender.ts';
import { newWebhookSecret, signWebhook } from '../../../src/jobs/webhooks/webhook-signer.ts';
import { startWebhookReceiver, verifyStandardSignature } from '../../support/webhook-receiver.ts';

const OPEN = { timeoutMs: 5000, allowPrivate: true };

describe('webhook sender', () => {
  let server: Server;
  let base: string;
  let hits = 0;
  before(async () => {
    server = createServer((req, res) => {
      hits++;
      if (req.url === '/redirect') {
        res.writeHead(302, { location: '/elsewhere' });
        res.end();
      } else if (req.url === '/big') {
        res.writeHead(200);
        res.end('x'.repeat(5000));
      } else if (req.url === '/silent') {
        // never answers: the sender's timeout ends the attempt
      } else {
        res.writeHead(204);
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  test('private, loopback and link-local addresses are refused unless allowed; public ones pass', () => {
    for (const a of [
      '127.0.0.1',
      '10.0.0.8',
      '172.20.1.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '[::1]',
    ])
      assert.equal(isPrivateAddress(a), true, a);
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8'])
      assert.equal(isPrivateAddress(a), false, a);
  });

  test('a name that resolves to a private address is refused at connect time', async () => {
    const err = await new Promise<Error | null>((resolve) =>
      guardedLookup('localhost', {}, (e) => resolve(e)),
    );
    assert.equal(err?.name, 'PrivateAddressError');
  });

  test('a private literal is refused before any connection; allowed, it is sent', async () => {
    const before = hits;
    const refused = await sendWebhook(`${base}/ok`, {}, '{}', { ...OPEN, allowPrivate: false });
    assert.equal(refused.status, 0);
    assert.match(refused.error, /^refused: 127\.0\.0\.1 is a private address/);
    assert.equal(hits, before);
    const sent = await sendWebhook(`${base}/ok`, {}, '{}', OPEN);
    assert.deepEqual([sent.status, sent.error], [204, '']);
  });

  test('redirects are not followed, answers are cut to an excerpt, a silent receiver times out', async () => {
    const before = hits;
    const redirect = await sendWebhook(`${base}/redirect`, {}, '{}', OPEN);
    assert.equal(redirect.status, 302);
    assert.equal(hits, before + 1);
    const big = await sendWebhook(`${base}/big`, {}, '{}', OPEN);
    assert.equal(big.response.length, RESPONSE_EXCERPT_BYTES);
    const silent = await sendWebhook(`${base}/silent`, {}, '{}', { ...OPEN, timeoutMs: 200 });
    assert.deepEqual([silent.status, silent.error], [0, 'timed out after 200 ms']);
  });

  test('TLS certificates are verified: a self-signed receiver is not sent to', async () => {
    const rx = await startWebhookReceiver({ tls: true });
    try {
      const r = await sendWebhook(rx.url, {}, '{}', OPEN);
      assert.equal(r.status, 0);
      assert.match(r.error, /self[- ]signed|certificate/i);
      assert.equal(rx.received.length, 0);
    } finally {
      await rx.close();
    }
  });

  test('the signature is the Standard Webhooks one: v1, base64 HMAC-SHA256 of id.timestamp.body', async () => {
    const secret = newWebhookSecret();
    const body = '{"a":1}';
    const h = signWebhook(secret, 'evt_1', 1_674_087_231_999, body);
    assert.equal(h['webhook-timestamp'], '1674087231');
    assert.match(h['webhook-signature'], /^v1,[A-Za-z0-9+/]{43}=$/);
    assert.ok(verifyStandardSignature(secret, { headers: { ...h }, body, json: {}, at: 0 }));
    // the spec's own example: its secret, id, timestamp and payload give its signature
    const spec = signWebhook(
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      1_614_265_330_000,
      '{"test": 2432232314}',
    );
    assert.equal(spec['webhook-signature'], 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });
});
