import { randomBytes, timingSafeEqual } from 'node:crypto';
import { type Argon2Params, createHashPool, type HashPool } from './hash-pool.ts';

/** argon2id settings: OWASP's minimum (19 MiB, 2 passes, 1 lane). */
const PARAMS = { memory: 19456, passes: 2, parallelism: 1, tagLength: 32 } as const;

/**
 * The process's hashing threads, started on first use. A deliberate process-wide resource
 * (like libuv's own thread pool): it holds no app state, so apps in one process share it
 * safely, and sharing keeps the thread count at the number of cores.
 */
let pool: HashPool | undefined;
let derivations = 0;

/**
 * How many argon2 derivations (hashes and checks) this process has started: the work a
 * request did, for tests that two answer paths cost the same (e.g. request-otp for a
 * known and an unknown email) without timing them.
 */
export function argon2Derivations(): number {
  return derivations;
}

function derive(password: string, nonce: Buffer, p: Argon2Params): Promise<Buffer> {
  pool ??= createHashPool();
  derivations++;
  return pool.derive(password, nonce, p);
}

/** Hashes a password with argon2id into a PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`). Runs on low-priority worker threads, off the event loop. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS);
  return `$argon2id$v=19$m=${PARAMS.memory},t=${PARAMS.passes},p=${PARAMS.parallelism}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Checks a password against a PHC string in constant time; false for any malformed hash. */
export async function verifyPassword(password: string, phc: string): Promise<boolean> {
  const m = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([\w-]+)\$([\w-]+)$/.exec(phc);
  if (!m) return false;
  const expected = Buffer.from(m[5]!, 'base64url');
  const key = await derive(password, Buffer.from(m[4]!, 'base64url'), {
    memory: Number(m[1]),
    passes: Number(m[2]),
    parallelism: Number(m[3]),
    tagLength: expected.length,
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}
