import type { RecordValues } from '../records/record-codec.ts';
import type { Collection } from '../schema/collection.ts';

// jose loads on first use: most requests carry no token, and start-up stays lean
const jose = () => import('jose');

const enc = new TextEncoder();

/** The signing key of a record's tokens: its tokenKey plus the collection's secret (like PocketBase). */
function authKey(c: Collection, record: RecordValues): Uint8Array {
  return enc.encode(`${String(record.tokenKey ?? '')}${c.authToken?.secret ?? ''}`);
}

/** Signs an auth token (HS256) for a record of an auth collection. */
export async function signAuthToken(c: Collection, record: RecordValues): Promise<string> {
  const duration = c.authToken?.duration ?? 86400;
  const { SignJWT } = await jose();
  return new SignJWT({ id: String(record.id), type: 'auth', collectionId: c.id, refreshable: true })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setExpirationTime(Math.floor(Date.now() / 1000) + duration)
    .sign(authKey(c, record));
}

/**
 * The unverified claims a token says it carries (only to find the record whose key
 * verifies it); undefined when it is not a JWT.
 */
export function peekClaims(
  token: string,
): { id?: unknown; type?: unknown; collectionId?: unknown } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return claims && typeof claims === 'object' && !Array.isArray(claims) ? claims : undefined;
  } catch {
    return undefined;
  }
}

/** Verifies an auth token against the record it names; false for a bad signature or expiry. */
export async function verifyAuthToken(token: string, c: Collection, record: RecordValues): Promise<boolean> {
  const { jwtVerify } = await jose();
  try {
    await jwtVerify(token, authKey(c, record), { algorithms: ['HS256'] });
    return true;
  } catch {
    return false;
  }
}

/** How long a file token lasts (PocketBase's default: 3 minutes). */
export const FILE_TOKEN_SECONDS = 180;

/** Signs a short-lived file token (type `file`) for protected file downloads. */
export async function signFileToken(c: Collection, record: RecordValues): Promise<string> {
  const { SignJWT } = await jose();
  return new SignJWT({ id: String(record.id), type: 'file', collectionId: c.id })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setExpirationTime(Math.floor(Date.now() / 1000) + FILE_TOKEN_SECONDS)
    .sign(authKey(c, record));
}
