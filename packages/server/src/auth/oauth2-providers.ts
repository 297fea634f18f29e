import { createHash } from 'node:crypto';
import {
  Apple,
  CodeChallengeMethod,
  Discord,
  GitHub,
  GitLab,
  Google,
  MicrosoftEntraId,
  OAuth2Client,
  type OAuth2Tokens,
} from 'arctic';
import { BadRequestError } from '../errors/api-error.ts';

/** One entry of a collection's `oauth2.providers` (PocketBase's shape, plus OIDC and Apple keys). */
export interface ProviderConfig {
  name: string;
  clientId: string;
  clientSecret?: string;
  displayName?: string;
  /** oidc: the issuer whose `/.well-known/openid-configuration` gives the endpoints. */
  issuer?: string;
  /** oidc (and overrides): explicit endpoints instead of discovery. */
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

/** The provider names ForgeBase knows. */
export const PROVIDER_NAMES = [
  'google',
  'github',
  'apple',
  'microsoft',
  'gitlab',
  'discord',
  'oidc',
  'oidc2',
  'oidc3',
] as const;

type Json = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

async function getJson(url: string, accessToken: string): Promise<Json> {
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

function user(tokens: OAuth2Tokens, raw: Json, fields: Partial<OAuthUser>): OAuthUser {
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
function withoutRedirect(url: URL): string {
  url.searchParams.delete('redirect_uri');
  return `${url.toString()}&redirect_uri=`;
}

/** Claims of a standard OIDC identity (id_token or userinfo) mapped to an OAuthUser's fields. */
function oidcFields(claims: Json): Partial<OAuthUser> {
  return {
    id: str(claims.sub),
    name: str(claims.name),
    username: str(claims.preferred_username),
    email: claims.email_verified === true ? str(claims.email) : '',
    avatarURL: str(claims.picture),
  };
}

/** Builds the client of a configured provider; `oidc` needs `discover` for endpoints. */
export function createProvider(cfg: ProviderConfig, oidc: OidcEndpoints): OAuthProvider {
  const secret = cfg.clientSecret ?? '';
  switch (cfg.name) {
    case 'google': {
      const scopes = cfg.scopes ?? ['openid', 'email', 'profile'];
      return {
        pkce: true,
        authURL: async (state, verifier) =>
          withoutRedirect(
            new Google(cfg.clientId, secret, '').createAuthorizationURL(state, verifier, scopes),
          ),
        async signIn(code, verifier, redirect) {
          const tokens = await new Google(cfg.clientId, secret, redirect).validateAuthorizationCode(
            code,
            verifier,
          );
          const raw = await getJson('https://openidconnect.googleapis.com/v1/userinfo', tokens.accessToken());
          return user(tokens, raw, oidcFields(raw));
        },
      };
    }
    case 'github': {
      const scopes = cfg.scopes ?? ['read:user', 'user:email'];
      return {
        pkce: false,
        authURL: async (state) =>
          withoutRedirect(new GitHub(cfg.clientId, secret, null).createAuthorizationURL(state, scopes)),
        async signIn(code, _verifier, redirect) {
          const tokens = await new GitHub(cfg.clientId, secret, redirect).validateAuthorizationCode(code);
          const raw = await getJson('https://api.github.com/user', tokens.accessToken());
          const emails = (await getJson(
            'https://api.github.com/user/emails',
            tokens.accessToken(),
          )) as unknown;
          const primary = Array.isArray(emails)
            ? (emails as Json[]).find((e) => e.primary === true && e.verified === true)
            : undefined;
          return user(tokens, raw, {
            id: str(raw.id),
            name: str(raw.name),
            username: str(raw.login),
            email: str(primary?.email),
            avatarURL: str(raw.avatar_url),
          });
        },
      };
    }
    case 'discord': {
      const scopes = cfg.scopes ?? ['identify', 'email'];
      return {
        pkce: true,
        authURL: async (state, verifier) =>
          withoutRedirect(
            new Discord(cfg.clientId, secret, '').createAuthorizationURL(state, verifier, scopes),
          ),
        async signIn(code, verifier, redirect) {
          const tokens = await new Discord(cfg.clientId, secret, redirect).validateAuthorizationCode(
            code,
            verifier,
          );
          const raw = await getJson('https://discord.com/api/users/@me', tokens.accessToken());
          const avatar = raw.avatar
            ? `https://cdn.discordapp.com/avatars/${str(raw.id)}/${str(raw.avatar)}.png`
            : '';
          return user(tokens, raw, {
            id: str(raw.id),
            name: str(raw.global_name) || str(raw.username),
            username: str(raw.username),
            email: raw.verified === true ? str(raw.email) : '',
            avatarURL: avatar,
          });
        },
      };
    }
    case 'gitlab': {
      const base = cfg.baseURL ?? 'https://gitlab.com';
      const scopes = cfg.scopes ?? ['read_user'];
      return {
        pkce: false,
        authURL: async (state) =>
          withoutRedirect(new GitLab(base, cfg.clientId, secret, '').createAuthorizationURL(state, scopes)),
        async signIn(code, _verifier, redirect) {
          const tokens = await new GitLab(base, cfg.clientId, secret, redirect).validateAuthorizationCode(
            code,
          );
          const raw = await getJson(`${base}/api/v4/user`, tokens.accessToken());
          return user(tokens, raw, {
            id: str(raw.id),
            name: str(raw.name),
            username: str(raw.username),
            email: raw.confirmed_at ? str(raw.email) : '',
            avatarURL: str(raw.avatar_url),
          });
        },
      };
    }
    case 'microsoft': {
      const tenant = cfg.tenant ?? 'common';
      const scopes = cfg.scopes ?? ['openid', 'email', 'profile', 'User.Read'];
      return {
        pkce: true,
        authURL: async (state, verifier) =>
          withoutRedirect(
            new MicrosoftEntraId(tenant, cfg.clientId, secret || null, '').createAuthorizationURL(
              state,
              verifier,
              scopes,
            ),
          ),
        async signIn(code, verifier, redirect) {
          const client = new MicrosoftEntraId(tenant, cfg.clientId, secret || null, redirect);
          const tokens = await client.validateAuthorizationCode(code, verifier);
          const raw = await getJson('https://graph.microsoft.com/v1.0/me', tokens.accessToken());
          // like PocketBase: Microsoft's `mail` is an address the tenant manages
          return user(tokens, raw, { id: str(raw.id), name: str(raw.displayName), email: str(raw.mail) });
        },
      };
    }
    case 'apple': {
      const scopes = cfg.scopes ?? ['name', 'email'];
      const key = () => pemToDer(cfg.privateKey ?? '');
      const client = (redirect: string) =>
        new Apple(cfg.clientId, cfg.teamId ?? '', cfg.keyId ?? '', key(), redirect);
      return {
        pkce: false,
        // Apple posts the answer back (response_mode=form_post) when it asks for the name
        authURL: async (state) => {
          const url = client('').createAuthorizationURL(state, scopes);
          url.searchParams.set('response_mode', 'form_post');
          return withoutRedirect(url);
        },
        async signIn(code, _verifier, redirect) {
          const tokens = await client(redirect).validateAuthorizationCode(code);
          const claims = await oidc.verifyIdToken(
            { issuer: 'https://appleid.apple.com', jwksURL: 'https://appleid.apple.com/auth/keys' },
            cfg.clientId,
            tokens.idToken(),
          );
          const verified = claims.email_verified === true || claims.email_verified === 'true';
          return user(tokens, claims, { id: str(claims.sub), email: verified ? str(claims.email) : '' });
        },
      };
    }
    case 'oidc':
    case 'oidc2':
    case 'oidc3':
      return {
        pkce: true,
        async authURL(state, verifier) {
          const ep = await oidc.endpoints(cfg);
          const client = new OAuth2Client(cfg.clientId, secret || null, null);
          const scopes = cfg.scopes ?? ['openid', 'email', 'profile'];
          const url = client.createAuthorizationURLWithPKCE(
            ep.authURL,
            state,
            CodeChallengeMethod.S256,
            verifier,
            scopes,
          );
          return withoutRedirect(url);
        },
        async signIn(code, verifier, redirect) {
          const ep = await oidc.endpoints(cfg);
          const client = new OAuth2Client(cfg.clientId, secret || null, redirect);
          const tokens = await client.validateAuthorizationCode(ep.tokenURL, code, verifier);
          let claims: Json = {};
          if ('id_token' in tokens.data && ep.jwksURL)
            claims = await oidc.verifyIdToken(ep, cfg.clientId, tokens.idToken());
          if (ep.userInfoURL) {
            const info = await getJson(ep.userInfoURL, tokens.accessToken());
            // the userinfo must describe the same subject as the id_token
            if (claims.sub !== undefined && info.sub !== claims.sub)
              throw new BadRequestError('Failed to fetch OAuth2 user.');
            claims = { ...claims, ...info };
          }
          if (!str(claims.sub)) throw new BadRequestError('Failed to fetch OAuth2 user.');
          return user(tokens, claims, oidcFields(claims));
        },
      };
    default:
      throw new BadRequestError(`Unknown OAuth2 provider ${cfg.name}.`);
  }
}

/** Resolved endpoints of an OIDC provider. */
export interface ResolvedEndpoints {
  issuer?: string | undefined;
  authURL: string;
  tokenURL: string;
  userInfoURL?: string | undefined;
  jwksURL?: string | undefined;
}

/** OIDC discovery and id_token verification (cached per issuer by the caller's service). */
export interface OidcEndpoints {
  endpoints(cfg: ProviderConfig): Promise<ResolvedEndpoints>;
  verifyIdToken(
    ep: { issuer?: string | undefined; jwksURL?: string | undefined },
    audience: string,
    idToken: string,
  ): Promise<Json>;
}

/** PEM (PKCS#8) to DER bytes, for Apple's client-secret key. */
function pemToDer(pem: string): Uint8Array {
  const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

/** The S256 code challenge of a PKCE verifier (RFC 7636). */
export function codeChallenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}
