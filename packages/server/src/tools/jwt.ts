import { createHmac, timingSafeEqual } from 'node:crypto';

const PART = /^[A-Za-z0-9_-]+$/;
// an HS256 signature is 32 bytes: 43 base64url characters, unpadded
const SIGNATURE_CHARS = 43;

function jsonPart(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies a compact HS256 JWT with node:crypto (no WebCrypto round trip, no dynamic import):
 * the header must say `alg: HS256` with no `crit` extensions, the signature must match
 * `key` (compared in constant time), `exp` must be after `nowMs` and `nbf`, if set, not
 * after it, as jose's `jwtVerify` checks them. Returns the payload, or undefined.
 */
export function verifyHs256(
  token: string,
  key: Uint8Array,
  nowMs: number,
): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [head, body, signature] = parts as [string, string, string];
  if (!PART.test(head) || !PART.test(body) || signature.length !== SIGNATURE_CHARS || !PART.test(signature))
    return undefined;
  const header = jsonPart(head);
  if (header?.alg !== 'HS256' || header.crit !== undefined || header.b64 !== undefined) return undefined;
  const expected = createHmac('sha256', key).update(`${head}.${body}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const payload = jsonPart(body);
  if (!payload) return undefined;
  const now = Math.floor(nowMs / 1000);
  const { exp, nbf, iat } = payload;
  if (exp !== undefined && (typeof exp !== 'number' || exp <= now)) return undefined;
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now)) return undefined;
  if (iat !== undefined && typeof iat !== 'number') return undefined;
  return payload;
}
