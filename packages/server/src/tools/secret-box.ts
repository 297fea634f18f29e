import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Secrets at rest (OAuth2 client secrets, the SMTP password, TOTP secrets, S3 key
 * secrets) are sealed with AES-256-GCM into one printable string:
 *
 *   fbenc:v1:<kid>:<base64url iv>:<base64url ciphertext+tag>
 *
 * `kid` names the key (a short hash of it, not the key), so a value sealed with a
 * previous key is recognised and re-sealed with the current one (rotation). The prefix
 * and key id are authenticated data: a value cannot be moved to another key id.
 */
const PREFIX = 'fbenc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** A key that is missing, malformed or does not open a sealed value. */
export class SecretKeyError extends Error {
  override name = 'SecretKeyError';
}

/** Seals and opens secrets with the current key; previous keys still open. */
export interface SecretBox {
  /** The current key's id (what `seal` writes). */
  readonly kid: string;
  /** Seals a clear value (`fbenc:v1:…`); sealing is not idempotent (fresh IV every time). */
  seal(plain: string): string;
  /** The clear value; a value that is not sealed (stored before encryption) comes back as-is. */
  open(sealed: string): string;
  /** Whether a value is in the sealed format. */
  isSealed(v: unknown): v is string;
  /** Whether a stored value should be written again: clear, or sealed with a previous key. */
  needsReseal(v: string): boolean;
}

/**
 * A key from its text form, one of: 64 hex digits; base64 (or base64url) of exactly 32
 * bytes; or a 32-character string used as its bytes (PocketBase's `--encryptionEnv`
 * format). Anything else is refused: a short passphrase is not stretched into a key.
 * `source` names where the text came from, for the error.
 */
export function parseSecretKey(text: string, source: string): Buffer {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(t)) {
    const bytes = Buffer.from(t.replaceAll('-', '+').replaceAll('_', '/'), 'base64');
    if (bytes.length === KEY_BYTES) return bytes;
  }
  const raw = Buffer.from(text, 'utf8');
  if (text.length === KEY_BYTES && raw.length === KEY_BYTES) return raw;
  throw new SecretKeyError(
    `${source}: an encryption key must be 32 bytes: 64 hex digits, base64 of 32 bytes, or a 32-character string (e.g. \`openssl rand -hex 32\`)`,
  );
}

/** A fresh random key in the hex form parseSecretKey reads. */
export function newSecretKeyText(): string {
  return randomBytes(KEY_BYTES).toString('hex');
}

/** The id a key is known by in sealed values: 8 hex digits of a hash of it. */
export function keyId(key: Uint8Array): string {
  return createHash('sha256').update('forgebase-secret-key:').update(key).digest('hex').slice(0, 8);
}

/**
 * A box over `keys`: the first seals, every one opens (the rest are previous keys kept
 * for reading during a rotation). Throws SecretKeyError without a key or with one that
 * is not 32 bytes.
 *
 * @example
 *   const box = createSecretBox([parseSecretKey(process.env.KEY!, 'KEY')]);
 *   const stored = box.seal('smtp-password'); // fbenc:v1:1a2b3c4d:…
 *   box.open(stored); // 'smtp-password'
 */
export function createSecretBox(keys: readonly Uint8Array[]): SecretBox {
  const current = keys[0];
  if (!current) throw new SecretKeyError('no encryption key');
  const byId = new Map<string, Uint8Array>();
  for (const k of keys) {
    if (k.length !== KEY_BYTES) throw new SecretKeyError('an encryption key must be 32 bytes');
    if (!byId.has(keyId(k))) byId.set(keyId(k), k);
  }
  const kid = keyId(current);
  const isSealed = (v: unknown): v is string => typeof v === 'string' && v.startsWith(PREFIX);
  return {
    kid,
    isSealed,
    seal(plain) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      cipher.setAAD(Buffer.from(`${PREFIX}${kid}`));
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${PREFIX}${kid}:${iv.toString('base64url')}:${body.toString('base64url')}`;
    },
    open(sealed) {
      if (!isSealed(sealed)) return sealed;
      const [id = '', ivText = '', bodyText = ''] = sealed.slice(PREFIX.length).split(':');
      const key = byId.get(id);
      if (!key)
        throw new SecretKeyError(
          `a secret was sealed with encryption key ${id}, which is not configured (the current key is ${kid})`,
        );
      const iv = Buffer.from(ivText, 'base64url');
      const body = Buffer.from(bodyText, 'base64url');
      if (iv.length !== IV_BYTES || body.length < TAG_BYTES)
        throw new SecretKeyError(`a secret sealed with key ${id} is malformed`);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv);
        decipher.setAAD(Buffer.from(`${PREFIX}${id}`));
        decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
        return Buffer.concat([
          decipher.update(body.subarray(0, body.length - TAG_BYTES)),
          decipher.final(),
        ]).toString('utf8');
      } catch {
        throw new SecretKeyError(`a secret sealed with key ${id} does not open: wrong key or altered value`);
      }
    },
    needsReseal(v) {
      return !isSealed(v) || !v.startsWith(`${PREFIX}${kid}:`);
    },
  };
}

/**
 * Re-seals the secrets of stored rows with the current key: opens each (so a value no
 * key opens throws here), and for those in clear or under a previous key calls `write`
 * with the new sealed value. Returns how many were written.
 */
export async function resealRows<R>(
  box: SecretBox,
  rows: readonly R[],
  secretOf: (row: R) => string,
  write: (row: R, sealed: string) => Promise<void>,
): Promise<number> {
  let n = 0;
  for (const row of rows) {
    const stored = secretOf(row);
    const clear = box.open(stored);
    if (!box.needsReseal(stored)) continue;
    await write(row, box.seal(clear));
    n++;
  }
  return n;
}
