import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { createSecretBox, keyId, parseSecretKey, SecretKeyError } from '../../src/tools/secret-box.ts';

describe('secret box (AES-256-GCM, versioned, with a key id)', () => {
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);

  test('seals to fbenc:v1:<kid>:<iv>:<ct+tag> and opens back; a fresh IV every time', () => {
    const box = createSecretBox([k1]);
    const a = box.seal('smtp-pass');
    const b = box.seal('smtp-pass');
    assert.match(a, /^fbenc:v1:[0-9a-f]{8}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+$/);
    assert.equal(a.split(':')[2], keyId(k1));
    assert.notEqual(a, b);
    assert.ok(!a.includes('smtp-pass'));
    assert.equal(box.open(a), 'smtp-pass');
    assert.equal(box.open(box.seal('')), '');
    assert.equal(box.open(box.seal('ünïcødé ✓')), 'ünïcødé ✓');
    assert.ok(box.isSealed(a));
    assert.ok(!box.isSealed('plain'));
  });

  test('a value stored in clear before encryption is read as-is and asks to be resealed', () => {
    const box = createSecretBox([k1]);
    assert.equal(box.open('legacy-secret'), 'legacy-secret');
    assert.ok(box.needsReseal('legacy-secret'));
    assert.ok(!box.needsReseal(box.seal('x')));
  });

  test('a previous key still opens and its values ask for the current key', () => {
    const old = createSecretBox([k1]).seal('rotate me');
    const box = createSecretBox([k2, k1]);
    assert.equal(box.open(old), 'rotate me');
    assert.ok(box.needsReseal(old));
    assert.ok(!box.needsReseal(box.seal('rotate me')));
  });

  test('an unknown key, an altered value or a moved key id is refused with a clear error', () => {
    const sealed = createSecretBox([k1]).seal('s');
    assert.throws(() => createSecretBox([k2]).open(sealed), {
      name: 'SecretKeyError',
      message: new RegExp(`sealed with encryption key ${keyId(k1)}, which is not configured`),
    });
    const parts = sealed.split(':');
    const body = Buffer.from(parts[4]!, 'base64url');
    body[0] = body[0]! ^ 1;
    const altered = [...parts.slice(0, 4), body.toString('base64url')].join(':');
    assert.throws(() => createSecretBox([k1]).open(altered), /does not open: wrong key or altered value/);
    // the same ciphertext under another key id fails authentication
    const both = createSecretBox([k1, k2]);
    const moved = [parts[0], parts[1], keyId(k2), parts[3], parts[4]].join(':');
    assert.throws(() => both.open(moved), SecretKeyError);
    assert.throws(() => createSecretBox([k1]).open('fbenc:v1:zz:'), SecretKeyError);
  });

  test('keys: 64 hex digits, base64 of 32 bytes or 32 characters; anything else is refused', () => {
    assert.deepEqual(parseSecretKey(k1.toString('hex'), 'K'), k1);
    assert.deepEqual(parseSecretKey(k1.toString('base64'), 'K'), k1);
    assert.deepEqual(parseSecretKey(k1.toString('base64url'), 'K'), k1);
    assert.deepEqual(parseSecretKey('a'.repeat(32), 'K'), Buffer.from('a'.repeat(32)));
    for (const bad of ['', 'short', 'a'.repeat(31), 'a'.repeat(33), randomBytes(20).toString('hex')])
      assert.throws(() => parseSecretKey(bad, 'MY_KEY'), /MY_KEY: an encryption key must be 32 bytes/);
    assert.throws(() => createSecretBox([]), SecretKeyError);
  });
});
