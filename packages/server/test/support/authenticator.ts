import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { encodeCbor } from './cbor.ts';

const b64url = (b: Uint8Array | Buffer | string) => Buffer.from(b).toString('base64url');
const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest();

/** One credential the software authenticator holds. */
interface Credential {
  id: Buffer;
  privateKey: KeyObject;
  x: Buffer;
  y: Buffer;
  userHandle: string;
  rpId: string;
  counter: number;
}

/**
 * A software WebAuthn authenticator for tests: ES256 keys from node:crypto, attestation
 * `none`, discoverable credentials, and the responses a browser would hand to the server
 * (the JSON shape of @simplewebauthn/browser), built byte by byte per the WebAuthn spec.
 */
export function createSoftAuthenticator(origin: string) {
  const credentials: Credential[] = [];

  /** authenticatorData: rpIdHash | flags | signCount (| attested credential data). */
  function authData(rpId: string, flags: number, counter: number, attested?: Uint8Array): Buffer {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), count, ...(attested ? [attested] : [])]);
  }

  const clientData = (type: string, challenge: string, at = origin) =>
    Buffer.from(JSON.stringify({ type, challenge, origin: at, crossOrigin: false }));

  return {
    credentials,

    /**
     * navigator.credentials.create(): a new key pair for the options' rp and user;
     * `userVerified: false` is a security key that only checks presence (no PIN or biometric).
     */
    create(options: any, opts: { origin?: string; userVerified?: boolean } = {}) {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const jwk = publicKey.export({ format: 'jwk' });
      const cred: Credential = {
        id: randomBytes(16),
        privateKey,
        x: Buffer.from(String(jwk.x), 'base64url'),
        y: Buffer.from(String(jwk.y), 'base64url'),
        userHandle: options.user.id,
        rpId: options.rp.id,
        counter: 0,
      };
      // COSE_Key: kty EC2 (2), alg ES256 (-7), crv P-256 (1), x, y
      const coseKey = encodeCbor(
        new Map<number, number | Uint8Array>([
          [1, 2],
          [3, -7],
          [-1, 1],
          [-2, cred.x],
          [-3, cred.y],
        ]),
      );
      const idLength = Buffer.alloc(2);
      idLength.writeUInt16BE(cred.id.length);
      const attested = Buffer.concat([Buffer.alloc(16), idLength, cred.id, coseKey]);
      // flags: user present (0x01), user verified (0x04), attested credential data (0x40)
      const data = authData(cred.rpId, opts.userVerified === false ? 0x41 : 0x45, 0, attested);
      const attestationObject = encodeCbor({ fmt: 'none', attStmt: {}, authData: new Uint8Array(data) });
      credentials.push(cred);
      return {
        id: b64url(cred.id),
        rawId: b64url(cred.id),
        type: 'public-key',
        response: {
          clientDataJSON: b64url(clientData('webauthn.create', options.challenge, opts.origin)),
          attestationObject: b64url(attestationObject),
          transports: ['internal'],
        },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform',
      };
    },

    /** navigator.credentials.get(): an assertion by a credential (the first, by default), user verified unless told. */
    get(
      options: any,
      opts: { credential?: Credential; counter?: number; origin?: string; userVerified?: boolean } = {},
    ) {
      const cred = opts.credential ?? credentials[0];
      if (!cred) throw new Error('no credential');
      cred.counter = opts.counter ?? cred.counter + 1;
      // flags: user present (0x01), user verified (0x04)
      const data = authData(options.rpId, opts.userVerified === false ? 0x01 : 0x05, cred.counter);
      const cdj = clientData('webauthn.get', options.challenge, opts.origin);
      const signature = sign('sha256', Buffer.concat([data, sha256(cdj)]), cred.privateKey);
      return {
        id: b64url(cred.id),
        rawId: b64url(cred.id),
        type: 'public-key',
        response: {
          clientDataJSON: b64url(cdj),
          authenticatorData: b64url(data),
          signature: b64url(signature),
          userHandle: cred.userHandle,
        },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform',
      };
    },
  };
}
