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

const jose = () => import('jose');

/**
 * OpenID Connect plumbing for the OAuth2 sign-in: discovery (`{issuer}/.well-known/
 * openid-configuration`, cached per issuer for an hour) unless the provider lists its
 * endpoints, and id_token checks (signature against the provider's JWKS, issuer,
 * audience, expiry). State lives in the returned object, one per auth service.
 */
export function createOidc(): OidcEndpoints {
  const discovered = new Map<string, { at: number; doc: Promise<Record<string, unknown>> }>();
  const keySets = new Map<string, ReturnType<Awaited<ReturnType<typeof jose>>['createRemoteJWKSet']>>();

  async function discover(issuer: string): Promise<Record<string, unknown>> {
    const hit = discovered.get(issuer);
    if (hit && hit.at + 3_600_000 > Date.now()) return hit.doc;
    const doc = (async () => {
      const res = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, {
        signal: AbortSignal.timeout(30_000),
      });
      if (!res.ok) throw new BadRequestError('Failed to load the OpenID Connect configuration.');
      return (await res.json()) as Record<string, unknown>;
    })();
    discovered.set(issuer, { at: Date.now(), doc });
    doc.catch(() => discovered.delete(issuer));
    return doc;
  }

  const text = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

  return {
    async endpoints(cfg: ProviderConfig): Promise<ResolvedEndpoints> {
      const doc = cfg.issuer && (!cfg.authURL || !cfg.tokenURL) ? await discover(cfg.issuer) : {};
      const authURL = cfg.authURL || text(doc.authorization_endpoint);
      const tokenURL = cfg.tokenURL || text(doc.token_endpoint);
      if (!authURL || !tokenURL)
        throw new BadRequestError('The OIDC provider has no authorization or token endpoint.');
      return {
        issuer: cfg.issuer || text(doc.issuer),
        authURL,
        tokenURL,
        userInfoURL: cfg.userInfoURL || text(doc.userinfo_endpoint),
        jwksURL: cfg.jwksURL || text(doc.jwks_uri),
      };
    },

    async verifyIdToken(ep, audience, idToken) {
      if (!ep.jwksURL) throw new BadRequestError('Failed to fetch OAuth2 user.');
      const { createRemoteJWKSet, jwtVerify } = await jose();
      let keys = keySets.get(ep.jwksURL);
      if (!keys) {
        keys = createRemoteJWKSet(new URL(ep.jwksURL));
        keySets.set(ep.jwksURL, keys);
      }
      try {
        const { payload } = await jwtVerify(idToken, keys, {
          audience,
          ...(ep.issuer ? { issuer: ep.issuer } : {}),
        });
        return payload as Record<string, unknown>;
      } catch (e) {
        throw new BadRequestError('Failed to fetch OAuth2 user.', {}, { cause: e });
      }
    },
  };
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

/** A generic OpenID Connect provider (`oidc`, `oidc2`, `oidc3`) with PKCE, through arctic's OAuth2Client. */
export function createOidcProvider(cfg: ProviderConfig, oidc: OidcEndpoints): OAuthProvider {
  const secret = cfg.clientSecret ?? '';
  return {
    pkce: true,
    async authURL(state, verifier) {
      const ep = await oidc.endpoints(cfg);
      const { CodeChallengeMethod, OAuth2Client } = await import('arctic');
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
      const { OAuth2Client } = await import('arctic');
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
      return toOAuthUser(tokens, claims, oidcFields(claims));
    },
  };
}
