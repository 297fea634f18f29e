/** The claims of a ForgeBase auth token the SDK reads (it never verifies: the server does). */
export interface TokenClaims {
  id?: string;
  type?: string;
  collectionId?: string;
  exp?: number;
  refreshable?: boolean;
  [claim: string]: unknown;
}

/** The payload of a JWT, or `{}` when the text is not one. */
export function tokenClaims(token: string): TokenClaims {
  const part = token.split('.')[1];
  if (!part) return {};
  try {
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    return claims && typeof claims === 'object' ? (claims as TokenClaims) : {};
  } catch {
    return {};
  }
}

/** Seconds until the token expires (negative once it has; -Infinity for no token). */
export function secondsLeft(token: string, nowMs = Date.now()): number {
  const exp = tokenClaims(token).exp;
  return typeof exp === 'number' ? exp - nowMs / 1000 : Number.NEGATIVE_INFINITY;
}
