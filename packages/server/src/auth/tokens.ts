import type { Collection, TokenConfig } from '../schema/collection.ts';
import type { RecordValues } from '../schema/record-values.ts';
import type { Clock } from '../tools/clock.ts';
import { verifyHs256 } from '../tools/jwt.ts';

// jose (signing only) loads on first use: most requests carry no token, and start-up stays lean
const jose = () => import('jose');

const enc = new TextEncoder();

/** The kinds of record token, each signed with its own collection secret (PocketBase's types). */
export type TokenType = 'auth' | 'verification' | 'passwordReset' | 'emailChange' | 'file';

const OPTION: Record<TokenType, keyof Collection> = {
  auth: 'authToken',
  verification: 'verificationToken',
  passwordReset: 'passwordResetToken',
  emailChange: 'emailChangeToken',
  file: 'fileToken',
};

/** The collection's setting (secret, duration) for a token type. */
function tokenConfig(c: Collection, type: TokenType): TokenConfig | undefined {
  return c[OPTION[type]] as TokenConfig | undefined;
}

/**
 * The signing key of a record's tokens of a type: its tokenKey plus the collection's
 * secret for that type (like PocketBase). A new password rotates tokenKey, so every
 * older token of the record stops verifying.
 */
function tokenKey(c: Collection, record: RecordValues, type: TokenType): Uint8Array {
  return enc.encode(`${String(record.tokenKey ?? '')}${tokenConfig(c, type)?.secret ?? ''}`);
}

/**
 * Signs a record token (HS256) of a type with `{id, type, collectionId}` plus `claims`;
 * `duration` (seconds) from `clock`'s now defaults to the collection's setting for the type.
 */
export async function signRecordToken(
  clock: Clock,
  c: Collection,
  record: RecordValues,
  type: TokenType,
  claims: Record<string, unknown> = {},
  duration?: number,
): Promise<string> {
  const seconds = duration && duration > 0 ? duration : (tokenConfig(c, type)?.duration ?? 86400);
  const { SignJWT } = await jose();
  return new SignJWT({ ...claims, id: String(record.id), type, collectionId: c.id })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setExpirationTime(Math.floor(clock.now() / 1000) + seconds)
    .sign(tokenKey(c, record, type));
}

/** Signs an auth token; a static one (impersonation) is not refreshable and has its own duration. */
export function signAuthToken(
  clock: Clock,
  c: Collection,
  record: RecordValues,
  opts: { duration?: number; refreshable?: boolean } = {},
): Promise<string> {
  return signRecordToken(clock, c, record, 'auth', { refreshable: opts.refreshable ?? true }, opts.duration);
}

/** What a record token claims to be, unverified. */
export interface TokenClaims {
  id?: unknown;
  type?: unknown;
  collectionId?: unknown;
  email?: unknown;
  newEmail?: unknown;
  refreshable?: unknown;
  exp?: unknown;
}

/**
 * The unverified claims a token says it carries (only to find the record whose key
 * verifies it); undefined when it is not a JWT.
 */
export function peekClaims(token: string): TokenClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return claims && typeof claims === 'object' && !Array.isArray(claims) ? claims : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies a record token of a type against the record it names: signature (with that
 * type's secret), expiry (at `clock`'s now) and the `type` claim; false otherwise. HS256
 * through node:crypto (tools/jwt.ts): a signed-in request pays one HMAC, not a WebCrypto call.
 */
export function verifyRecordToken(
  clock: Clock,
  token: string,
  c: Collection,
  record: RecordValues,
  type: TokenType,
): boolean {
  const payload = verifyHs256(token, tokenKey(c, record, type), clock.now());
  return payload?.type === type && payload.id === record.id && payload.collectionId === c.id;
}

/** A verified token's expiry (ms since the epoch), from its `exp` claim. */
export function tokenExpiry(token: string): number {
  const exp = peekClaims(token)?.exp;
  return typeof exp === 'number' ? exp * 1000 : 0;
}

/** Verifies an auth token against the record it names; false for a bad signature or expiry. */
export function verifyAuthToken(clock: Clock, token: string, c: Collection, record: RecordValues): boolean {
  return verifyRecordToken(clock, token, c, record, 'auth');
}

/** How long a file token lasts when the collection sets nothing (PocketBase's default: 3 minutes). */
export const FILE_TOKEN_SECONDS = 180;

/** Signs a short-lived file token (type `file`) for protected file downloads. */
export function signFileToken(clock: Clock, c: Collection, record: RecordValues): Promise<string> {
  return signRecordToken(
    clock,
    c,
    record,
    'file',
    {},
    tokenConfig(c, 'file')?.duration || FILE_TOKEN_SECONDS,
  );
}
