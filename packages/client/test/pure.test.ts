import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { creationOptions, credentialJSON, filter, requestOptions, tokenClaims } from '../src/index.ts';
import { topicKey } from '../src/realtime/realtime.ts';
import { recordBody } from '../src/records/body.ts';

const b64url = (s: string) => Buffer.from(s).toString('base64url');

describe('client helpers', () => {
  test('filter() quotes strings, dates, objects and writes numbers, booleans and null as they are', () => {
    const when = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6));
    assert.equal(
      filter('a = {:s} && b = {:n} && c = {:b} && d = {:z} && e > {:d} && f = {:o}', {
        s: "o'hara",
        n: 1.5,
        b: false,
        z: null,
        d: when,
        o: { k: 'v' },
      }),
      `a = 'o\\'hara' && b = 1.5 && c = false && d = null && e > '2026-01-02 03:04:05.006Z' && f = '{"k":"v"}'`,
    );
    assert.equal(filter('x = {:a} || y = {:a}', { a: 2 }), 'x = 2 || y = 2');
    assert.throws(() => filter('x = {:a}', { a: 'ends\\' }), /backslash/);
    assert.throws(() => filter('x = {:a}'), /no value for \{:a\}/);
  });

  test('topic keys carry filter, expand and fields as PocketBase options', () => {
    assert.equal(topicKey('posts', {}), 'posts');
    const key = topicKey('posts/1', { filter: 'a = 1', fields: 'id' });
    const [topic, options] = key.split('?options=');
    assert.equal(topic, 'posts/1');
    assert.deepEqual(JSON.parse(decodeURIComponent(options ?? '')), {
      query: { filter: 'a = 1', fields: 'id' },
    });
  });

  test('tokenClaims reads a JWT payload and answers {} for anything else', () => {
    const jwt = `${b64url('{"alg":"HS256"}')}.${b64url('{"id":"u1","exp":123,"name":"Zoë"}')}.sig`;
    assert.deepEqual(tokenClaims(jwt), { id: 'u1', exp: 123, name: 'Zoë' });
    assert.deepEqual(tokenClaims('not a token'), {});
    assert.deepEqual(tokenClaims('a.!!!.c'), {});
  });

  test('record bodies with files become FormData with @jsonPayload; others stay JSON', async () => {
    assert.deepEqual(recordBody({ a: 1 }), { a: 1 });
    const form = recordBody({
      title: 't',
      tags: ['x'],
      doc: new Blob(['hi']),
      pics: [new Blob(['1']), new Blob(['2'])],
    });
    assert.ok(form instanceof FormData);
    assert.deepEqual(JSON.parse(String(form.get('@jsonPayload'))), { title: 't', tags: ['x'] });
    assert.equal(await (form.get('doc') as Blob).text(), 'hi');
    assert.equal(form.getAll('pics').length, 2);
  });

  test('passkey options become buffers for the browser, and credentials become JSON again', () => {
    const challenge = b64url('challenge-bytes');
    const create = creationOptions({
      challenge,
      user: { id: b64url('user-1'), name: 'a' },
      excludeCredentials: [{ id: b64url('cred-1'), type: 'public-key' }],
    });
    assert.equal(Buffer.from(create.challenge as ArrayBuffer).toString(), 'challenge-bytes');
    assert.equal(Buffer.from(create.user.id as ArrayBuffer).toString(), 'user-1');
    assert.equal(Buffer.from(create.excludeCredentials?.[0]?.id as ArrayBuffer).toString(), 'cred-1');
    const get = requestOptions({ challenge, allowCredentials: [] });
    assert.equal(Buffer.from(get.challenge as ArrayBuffer).toString(), 'challenge-bytes');
    const bytes = (s: string) => new TextEncoder().encode(s).buffer;
    const json = credentialJSON({
      id: 'cred-1',
      rawId: bytes('cred-1'),
      type: 'public-key',
      authenticatorAttachment: 'platform',
      getClientExtensionResults: () => ({}),
      response: {
        clientDataJSON: bytes('{}'),
        authenticatorData: bytes('ad'),
        signature: bytes('sig'),
        userHandle: bytes('user-1'),
      },
    } as unknown as PublicKeyCredential);
    assert.deepEqual(json, {
      id: 'cred-1',
      rawId: b64url('cred-1'),
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url('{}'),
        authenticatorData: b64url('ad'),
        signature: b64url('sig'),
        userHandle: b64url('user-1'),
      },
    });
  });
});
