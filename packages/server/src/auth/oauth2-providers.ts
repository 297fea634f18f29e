import { BadRequestError } from '../errors/api-error.ts';
import {
  getJson,
  type Json,
  type OAuthProvider,
  oidcFields,
  type ProviderConfig,
  str,
  toOAuthUser,
  withoutRedirect,
} from './oauth2-user.ts';
import { createOidcProvider, type OidcEndpoints } from './oidc.ts';

export type { OAuthProvider, OAuthUser, ProviderConfig } from './oauth2-user.ts';

// arctic loads when a provider is first used: most servers never sign in with OAuth2
const arctic = () => import('arctic');

export { codeChallenge } from './oauth2-user.ts';

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
            new (await arctic()).Google(cfg.clientId, secret, '').createAuthorizationURL(
              state,
              verifier,
              scopes,
            ),
          ),
        async signIn(code, verifier, redirect) {
          const tokens = await new (await arctic()).Google(
            cfg.clientId,
            secret,
            redirect,
          ).validateAuthorizationCode(code, verifier);
          const raw = await getJson('https://openidconnect.googleapis.com/v1/userinfo', tokens.accessToken());
          return toOAuthUser(tokens, raw, oidcFields(raw));
        },
      };
    }
    case 'github': {
      const scopes = cfg.scopes ?? ['read:user', 'user:email'];
      return {
        pkce: false,
        authURL: async (state) =>
          withoutRedirect(
            new (await arctic()).GitHub(cfg.clientId, secret, null).createAuthorizationURL(state, scopes),
          ),
        async signIn(code, _verifier, redirect) {
          const tokens = await new (await arctic()).GitHub(
            cfg.clientId,
            secret,
            redirect,
          ).validateAuthorizationCode(code);
          const raw = await getJson('https://api.github.com/user', tokens.accessToken());
          const emails = (await getJson(
            'https://api.github.com/user/emails',
            tokens.accessToken(),
          )) as unknown;
          const primary = Array.isArray(emails)
            ? (emails as Json[]).find((e) => e.primary === true && e.verified === true)
            : undefined;
          return toOAuthUser(tokens, raw, {
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
            new (await arctic()).Discord(cfg.clientId, secret, '').createAuthorizationURL(
              state,
              verifier,
              scopes,
            ),
          ),
        async signIn(code, verifier, redirect) {
          const tokens = await new (await arctic()).Discord(
            cfg.clientId,
            secret,
            redirect,
          ).validateAuthorizationCode(code, verifier);
          const raw = await getJson('https://discord.com/api/users/@me', tokens.accessToken());
          const avatar = raw.avatar
            ? `https://cdn.discordapp.com/avatars/${str(raw.id)}/${str(raw.avatar)}.png`
            : '';
          return toOAuthUser(tokens, raw, {
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
          withoutRedirect(
            new (await arctic()).GitLab(base, cfg.clientId, secret, '').createAuthorizationURL(state, scopes),
          ),
        async signIn(code, _verifier, redirect) {
          const tokens = await new (await arctic()).GitLab(
            base,
            cfg.clientId,
            secret,
            redirect,
          ).validateAuthorizationCode(code);
          const raw = await getJson(`${base}/api/v4/user`, tokens.accessToken());
          return toOAuthUser(tokens, raw, {
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
            new (await arctic()).MicrosoftEntraId(
              tenant,
              cfg.clientId,
              secret || null,
              '',
            ).createAuthorizationURL(state, verifier, scopes),
          ),
        async signIn(code, verifier, redirect) {
          const client = new (await arctic()).MicrosoftEntraId(
            tenant,
            cfg.clientId,
            secret || null,
            redirect,
          );
          const tokens = await client.validateAuthorizationCode(code, verifier);
          const raw = await getJson('https://graph.microsoft.com/v1.0/me', tokens.accessToken());
          // like PocketBase: Microsoft's `mail` is an address the tenant manages
          return toOAuthUser(tokens, raw, {
            id: str(raw.id),
            name: str(raw.displayName),
            email: str(raw.mail),
          });
        },
      };
    }
    case 'apple': {
      const scopes = cfg.scopes ?? ['name', 'email'];
      const key = () => pemToDer(cfg.privateKey ?? '');
      const client = async (redirect: string) =>
        new (await arctic()).Apple(cfg.clientId, cfg.teamId ?? '', cfg.keyId ?? '', key(), redirect);
      return {
        pkce: false,
        // Apple posts the answer back (response_mode=form_post) when it asks for the name
        authURL: async (state) => {
          const url = (await client('')).createAuthorizationURL(state, scopes);
          url.searchParams.set('response_mode', 'form_post');
          return withoutRedirect(url);
        },
        async signIn(code, _verifier, redirect) {
          const tokens = await (await client(redirect)).validateAuthorizationCode(code);
          const claims = await oidc.verifyIdToken(
            { issuer: 'https://appleid.apple.com', jwksURL: 'https://appleid.apple.com/auth/keys' },
            cfg.clientId,
            tokens.idToken(),
          );
          const verified = claims.email_verified === true || claims.email_verified === 'true';
          return toOAuthUser(tokens, claims, {
            id: str(claims.sub),
            email: verified ? str(claims.email) : '',
          });
        },
      };
    }
    case 'oidc':
    case 'oidc2':
    case 'oidc3':
      return createOidcProvider(cfg, oidc);
    default:
      throw new BadRequestError(`Unknown OAuth2 provider ${cfg.name}.`);
  }
}

/** PEM (PKCS#8) to DER bytes, for Apple's client-secret key. */
function pemToDer(pem: string): Uint8Array {
  const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(b64, 'base64'));
}
