import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clientIpOf, proxyList } from '../../src/tools/client-ip.ts';

describe('client IP behind a trusted proxy', () => {
  const proxies = proxyList(['10.0.0.0/8', '::1']);
  const trust = { proxies, headers: ['X-Real-IP', 'X-Forwarded-For'], useLeftmostIp: false };
  const xff = { 'x-forwarded-for': '198.51.100.7, 6.6.6.6, 203.0.113.9' };

  test('a header is believed only from a trusted proxy', () => {
    assert.equal(clientIpOf('10.1.2.3', xff, trust), '203.0.113.9');
    assert.equal(clientIpOf('::1', xff, trust), '203.0.113.9');
    // a client reaching the server directly cannot spoof its address
    assert.equal(clientIpOf('192.0.2.1', xff, trust), '192.0.2.1');
    assert.equal(clientIpOf('::ffff:192.0.2.1', xff, trust), '192.0.2.1');
    assert.equal(clientIpOf('10.1.2.3', xff, { ...trust, headers: [] }), '10.1.2.3');
  });

  test('rightmost by default, leftmost on request; the first present header wins; junk is skipped', () => {
    assert.equal(clientIpOf('10.1.2.3', xff, { ...trust, useLeftmostIp: true }), '198.51.100.7');
    assert.equal(clientIpOf('10.1.2.3', { ...xff, 'x-real-ip': '192.0.2.50' }, trust), '192.0.2.50');
    assert.equal(clientIpOf('10.1.2.3', { 'x-forwarded-for': '198.51.100.7, junk' }, trust), '198.51.100.7');
    assert.equal(clientIpOf('10.1.2.3', { 'x-forwarded-for': 'junk' }, trust), '10.1.2.3');
  });

  test('malformed proxy entries are refused', () => {
    for (const bad of ['10.0.0.0/33', 'example.com', '10.0.0.0/', '1.2.3.4/8/8'])
      assert.throws(() => proxyList([bad]), /invalid trusted proxy/);
  });
});
