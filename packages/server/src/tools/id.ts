import { randomBytes } from 'node:crypto';

const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

const POOL_SIZE = 4096;

/** Random bytes drawn from a refilled pool: one syscall per 4 KiB instead of one per id. */
function createBytePool() {
  let pool = randomBytes(POOL_SIZE);
  let offset = 0;
  return function nextByte(): number {
    if (offset === POOL_SIZE) {
      pool = randomBytes(POOL_SIZE);
      offset = 0;
    }
    return pool[offset++]!;
  };
}

const nextByte = createBytePool();

/**
 * A random string of `length` characters drawn uniformly from `alphabet`.
 * Uses rejection sampling on random bytes so no character is favoured.
 */
export function randomString(length: number, alphabet: string = LOWER_ALNUM): string {
  const n = alphabet.length;
  const limit = 256 - (256 % n);
  let out = '';
  while (out.length < length) {
    const b = nextByte();
    if (b < limit) out += alphabet[b % n];
  }
  return out;
}

/** The default record id: 15 lowercase alphanumeric characters, like PocketBase. */
export function newRecordId(): string {
  return randomString(15);
}

/** A url-safe secret with `bytes` bytes of entropy. */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
