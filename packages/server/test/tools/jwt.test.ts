import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { SignJWT } from 'jose';
import { verifyHs256 } from '../../src/tools/jwt.ts';

const key = new TextEncoder().encode('a-record-token-key-and-collection-secret');
const now = Date.UTC(2026, 0, 2, 3, 4, 5);
const sec = Math.floor(now / 1000);
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
/** A token put together by hand, signed with `signKey` (for headers jose would not write). */
const handMade = (header: unknown, payload: unknown, signKey = key) => {
  const head = `${b64(header)}.${b64(payload)}`;
  return `${head}.${createHmac('sha256', signKey).update(head).digest('base64url')}`;
};
const sign = (payload: Record<string, unknown>, exp = sec + 60) =>
  new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setExpirationTime(exp).sign(key);

test('verifies what jose signs, and returns its claims', async () => {
  const token = await sign({ id: 'r1', type: 'auth' });
  assert.deepEqual(verifyHs256(token, key, now), { id: 'r1', type: 'auth', exp: sec + 60 });
});

test('refuses a wrong key, a changed payload or signature, and malformed tokens', async () => {
  const token = await sign({ id: 'r1' });
  const [h, p, s] = token.split('.') as [string, string, string];
  assert.equal(verifyHs256(token, new TextEncoder().encode('another key'), now), undefined);
  assert.equal(verifyHs256(`${h}.${b64({ id: 'r2', exp: sec + 60 })}.${s}`, key, now), undefined);
  assert.equal(verifyHs256(`${h}.${p}.${s.slice(0, -1)}A`, key, now), undefined);
  assert.equal(verifyHs256(`${h}.${p}.${s}=`, key, now), undefined, 'padding');
  assert.equal(verifyHs256(`${h}.${p}`, key, now), undefined);
  assert.equal(verifyHs256(`${h}.${p}.${s}.x`, key, now), undefined);
  assert.equal(verifyHs256(`${h}+.${p}.${s}`, key, now), undefined, 'not base64url');
  assert.equal(verifyHs256('', key, now), undefined);
});

test('refuses other algorithms, alg none and critical extensions', () => {
  const payload = { id: 'r1', exp: sec + 60 };
  assert.ok(verifyHs256(handMade({ alg: 'HS256' }, payload), key, now));
  assert.equal(verifyHs256(handMade({ alg: 'HS512' }, payload), key, now), undefined);
  assert.equal(verifyHs256(handMade({ alg: 'none' }, payload), key, now), undefined);
  assert.equal(verifyHs256(`${b64({ alg: 'none' })}.${b64(payload)}.`, key, now), undefined);
  assert.equal(verifyHs256(handMade({ alg: 'HS256', crit: ['exp'], exp: 1 }, payload), key, now), undefined);
  assert.equal(verifyHs256(handMade({ alg: 'HS256', b64: false }, payload), key, now), undefined);
  assert.equal(verifyHs256(handMade(['HS256'], payload), key, now), undefined, 'header not an object');
  assert.equal(verifyHs256(handMade({ alg: 'HS256' }, [1]), key, now), undefined, 'payload not an object');
});

test('checks exp and nbf at the given time, as jose does', async () => {
  assert.equal(verifyHs256(await sign({}, sec), key, now), undefined, 'expires at this second');
  assert.ok(verifyHs256(await sign({}, sec + 1), key, now));
  assert.equal(verifyHs256(handMade({ alg: 'HS256' }, { exp: String(sec + 60) }), key, now), undefined);
  assert.equal(verifyHs256(handMade({ alg: 'HS256' }, { nbf: sec + 1 }), key, now), undefined);
  assert.ok(verifyHs256(handMade({ alg: 'HS256' }, { nbf: sec }), key, now));
  assert.equal(verifyHs256(handMade({ alg: 'HS256' }, { iat: 'yesterday' }), key, now), undefined);
});
