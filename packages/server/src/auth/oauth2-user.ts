import { createHash } from 'node:crypto';
import type { OAuth2Tokens } from 'arctic';
import { BadRequestError } from '../errors/api-error.ts';

/** One entry of a collection's `oauth2.providers` (PocketBase's shape, plus OIDC and Apple keys). */
export interface ProviderConfig {
  name: string;
  clientId: string;
  clientSecret?: string;
  displayName?: string;
  /** oidc: the issuer whose `/.well-known/openid-configuration` gives the endpoints. */
  issuer?: string;
  /** oidc: explicit endpoints instead of (or besides) discovery. */
  authURL?: string;
  tokenURL?: string;
  userInfoURL?: string;
  jwksURL?: string;
  /** microsoft: the Entra tenant (default `common`). gitlab: the instance URL. */
  tenant?: string;
  baseURL?: string;
  /** apple: the team and key ids and the PKCS#8 PEM private key that signs the client secret. */
  teamId?: string;
  keyId?: string;
  privateKey?: string;
  scopes?: string[];
}

/** The user a provider vouches for; `email` only when the provider says it is verified. */
export interface OAuthUser {
  id: string;
  name: string;
  username: string;
  email: string;
  avatarURL: string;
  accessToken: string;
  refreshToken: string;
  expiry: string;
  rawUser: Record<string, unknown>;
}

/** What the flow needs of a provider: its sign-in URL and the code exchange. */
export interface OAuthProvider {
  pkce: boolean;
  /** The authorization URL without a redirect URI (PocketBase ends it with `&redirect_uri=`). */
  authURL(state: string, codeVerifier: string): Promise<string>;
  /** Exchanges a code for tokens and fetches the user. */
  signIn(code: string, codeVerifier: string, redirectURL: string): Promise<OAuthUser>;
}

export type Json = Record<string, unknown>;
export const str = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';

/** GETs a provider API with the user's access token. */
export async function getJson(url: string, accessToken: string): Promise<Json> {
  const res = await fetch(url, {
    headers: {
      authorization: `Bearer ${accessToken}`,
      accept: 'application/json',
      'user-agent': 'ForgeBase',
    },
    signal: AbortSignal.timeout(30_000),
  });
  if (!res.ok) throw new BadRequestError('Failed to fetch OAuth2 user.');
  return (await res.json()) as Json;
}

/** An OAuthUser from the token answer, the raw profile and the mapped fields. */
export function toOAuthUser(tokens: OAuth2Tokens, raw: Json, fields: Partial<OAuthUser>): OAuthUser {
  let expiry = '';
  try {
    expiry = tokens.accessTokenExpiresAt().toISOString().replace('T', ' ');
  } catch {
    // the provider gave no expires_in
  }
  return {
    id: '',
    name: '',
    username: '',
    email: '',
    avatarURL: '',
    accessToken: tokens.accessToken(),
    refreshToken: tokens.hasRefreshToken() ? tokens.refreshToken() : '',
    expiry,
    rawUser: raw,
    ...fields,
  };
}

/** An authorization URL with its redirect_uri left for the client to append. */
export function withoutRedirect(url: URL): string {
  url.searchParams.delete('redirect_uri');
  return `${url.toString()}&redirect_uri=`;
}

/** Claims of a standard OIDC identity (id_token or userinfo) mapped to an OAuthUser's fields. */
export function oidcFields(claims: Json): Partial<OAuthUser> {
  return {
    id: str(claims.sub),
    name: str(claims.name),
    username: str(claims.preferred_username),
    email: claims.email_verified === true ? str(claims.email) : '',
    avatarURL: str(claims.picture),
  };
}

/** The S256 code challenge of a PKCE verifier (RFC 7636). */
export function codeChallenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}
